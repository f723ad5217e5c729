#!/usr/bin/python3
"""A real PostgreSQL server for the tests (Debian's postgresql package): initdb into a
directory of the test's own, a free loopback port, started and stopped with pg_ctl — as the
`postgres` user when run as root (PostgreSQL refuses to run as root).

As a module: `PgServer().start()` ... `.stop()`; `.conninfo(dbname)` for libpq. The server's
files go in a fresh directory under /tmp (the `postgres` user must be able to reach it, which
a test's own private temporary directory does not allow).
As a command (the ctest fixture of the store's unit tests):
    pg_server.py start DIR    starts a server; writes its connection string to DIR/conninfo
    pg_server.py stop DIR     stops it (by the PID in its postmaster.pid) and removes its files
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def pg_bindir():
    """The newest /usr/lib/postgresql/N/bin with initdb (Debian keeps server tools off PATH)."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not dirs:
        raise RuntimeError("PostgreSQL server not installed (Debian package postgresql; tools/install-deps)")
    return os.path.dirname(dirs[-1])


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, directory=None, user="propusk", database="propusk"):
        self.dir = os.path.abspath(directory) if directory else tempfile.mkdtemp(prefix="propusk-pg-")
        self.data = os.path.join(self.dir, "data")
        self.user = user
        self.database = database
        self.port = None
        self.bindir = pg_bindir()
        self.as_postgres = os.geteuid() == 0

    def _run(self, argv, **kw):
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)

    def _check(self, argv, what):
        p = self._run(argv)
        if p.returncode != 0:
            raise RuntimeError(f"{what} failed ({p.returncode}): {p.stdout}{p.stderr}")
        return p

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self._check([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                     "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"], "initdb")
        self.port = free_port()
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a", encoding="utf-8") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                    f"unix_socket_directories = '{self.dir}'\n"
                    # A test server: durability across a power cut is not what is tested.
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 200\nlog_min_messages = warning\n")
        self._check([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                     "-w", "-t", "60", "start"], "pg_ctl start")
        self.psql(f"CREATE ROLE {self.user} LOGIN SUPERUSER", "postgres")
        self.psql(f"CREATE DATABASE {self.database} OWNER {self.user}", "postgres")
        return self

    def psql(self, sql, database=None):
        return self._check([os.path.join(self.bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                            "-p", str(self.port), "-U", "postgres", "-d", database or self.database, "-c", sql],
                           "psql").stdout

    def conninfo(self, database=None):
        return f"host=127.0.0.1 port={self.port} dbname={database or self.database} user={self.user}"

    def pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid"), encoding="ascii") as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def stop(self, remove=True):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
            pid = self.pid()
            if pid:  # pg_ctl did not manage: stop it by its own PID
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self):
        """Stops the server (connections drop) and starts it again on the same port."""
        self._check([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"], "pg_ctl stop")
        self._check([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                     "-w", "-t", "60", "start"], "pg_ctl start")

    def pause(self):
        self._check([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"], "pg_ctl stop")

    def resume(self):
        self._check([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                     "-w", "-t", "60", "start"], "pg_ctl start")


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    directory = os.path.abspath(argv[2])
    where = os.path.join(directory, "server")
    if os.path.exists(where):  # a server left by an interrupted run
        with open(where, encoding="utf-8") as f:
            PgServer(f.read().strip()).stop()
        os.remove(where)
    if argv[1] == "start":
        os.makedirs(directory, exist_ok=True)
        server = PgServer().start()
        with open(where, "w", encoding="utf-8") as f:
            f.write(server.dir + "\n")
        with open(os.path.join(directory, "conninfo"), "w", encoding="utf-8") as f:
            f.write(server.conninfo() + "\n")
        print(f"PostgreSQL test server on 127.0.0.1:{server.port} ({server.dir})")
    else:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

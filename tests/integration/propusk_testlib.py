#!/usr/bin/python3
"""Shared helpers for Propusk's end-to-end tests (Debian's python3 standard library only).

Binaries come from $PROPUSK_BIN (the build directory ctest passes), else /work/main/build;
test data from $PROPUSK_SOURCE/tests/data/integration. Every process started here is
stopped by its own PID; every port is a free loopback port chosen at run time.
"""

import base64
import datetime
import http.client
import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import textwrap
import threading
import time
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.environ.get("PROPUSK_SOURCE") or os.path.join(HERE, "..", ".."))
BIN_DIR = os.path.abspath(os.environ.get("PROPUSK_BIN") or "/work/main/build")
DATA = os.path.join(SOURCE, "tests", "data", "integration")
EXAMPLE_SP = os.path.join(SOURCE, "sp-metadata", "example-sp.xml")
EXAMPLE_SP_ID = "https://sp.example.org/shibboleth"

PROPUSK = os.path.join(BIN_DIR, "propusk")
PROPUSKCTL = os.path.join(BIN_DIR, "propuskctl")

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
MD_ID_ATTR = "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

# A password that satisfies the default policy (8+ characters, 3 classes) and contains
# no test login.
PASSWORD = "Kr3pk1j-Parol!"


def require_binaries():
    """Fails loudly (not a skip) when the binaries under test are missing."""
    for b in (PROPUSK, PROPUSKCTL):
        if not os.access(b, os.X_OK):
            raise AssertionError(f"{b} not found: build it, or set PROPUSK_BIN to the directory holding it")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def temp_dir(test):
    """A fresh temporary directory removed when `test` finishes."""
    d = tempfile.TemporaryDirectory(prefix="propusk-it-")
    test.addCleanup(d.cleanup)
    return d.name


def run(argv, input=None, cwd=None, timeout=60, env=None):
    p = subprocess.run(argv, input=input, capture_output=True, text=True, cwd=cwd, timeout=timeout,
                       env=env, stdin=None if input is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def ctl(data_dir, *args, input=None, cwd=None, timeout=60):
    """propuskctl [--data DATA_DIR] ARGS...; returns (rc, stdout, stderr).

    `input` is written to stdin (the way passwords are given); otherwise stdin is /dev/null.
    data_dir None: no --data option (for --config or the ./var default)."""
    argv = [PROPUSKCTL] + (["--data", data_dir] if data_dir is not None else []) + [str(a) for a in args]
    return run(argv, input=input, cwd=cwd, timeout=timeout)


class CtlFailed(AssertionError):
    pass


def ctl_ok(data_dir, *args, input=None, cwd=None):
    rc, out, err = ctl(data_dir, *args, input=input, cwd=cwd)
    if rc != 0:
        raise CtlFailed(f"propuskctl {' '.join(map(str, args))} exited {rc}: {err.strip()}")
    return out


def ctl_json(data_dir, *args, input=None, cwd=None):
    return json.loads(ctl_ok(data_dir, *args, "--json", input=input, cwd=cwd))


def store_file(data_dir):
    return os.path.join(data_dir, "propusk.db")


# ---------------------------------------------------------------- the server

class Server:
    """`propusk ARGS` as a child process; output goes to files (no pipe can fill up).

    Use as a context manager, or call stop() from a cleanup: it sends SIGTERM to this PID,
    waits, and falls back to SIGKILL."""

    def __init__(self, args, cwd=None, workdir=None):
        self.args = [PROPUSK] + [str(a) for a in args]
        self.cwd = cwd
        workdir = workdir or cwd or tempfile.gettempdir()
        fd, self.stdout_path = tempfile.mkstemp(prefix="propusk-out-", dir=workdir)
        os.close(fd)
        fd, self.stderr_path = tempfile.mkstemp(prefix="propusk-err-", dir=workdir)
        os.close(fd)
        self.proc = None
        self.returncode = None

    def start(self):
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.args, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def stdout(self):
        with open(self.stdout_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, wait up to `timeout` s, then SIGKILL. Returns (exit code, seconds taken)."""
        if self.proc is None:
            return None, 0.0
        t0 = time.monotonic()
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                self.returncode = "killed"
                return self.returncode, time.monotonic() - t0
        if self.returncode is None:
            self.returncode = self.proc.returncode
        return self.returncode, time.monotonic() - t0

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def describe(self):
        return f"propusk {' '.join(self.args[1:])}\n--- stdout\n{self.stdout()}--- stderr\n{self.stderr()}"


def client_context(data_dir=None):
    """Trusts DATA/tls/server.crt (the self-signed certificate the server made) when it
    exists, with hostname checking for 127.0.0.1; else an unverified loopback context."""
    cert = os.path.join(data_dir, "tls", "server.crt") if data_dir else None
    if cert and os.path.exists(cert):
        return ssl.create_default_context(cafile=cert)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get()
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8")


def https_request(port, path, method="GET", body=None, headers=None, data_dir=None, timeout=10):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=client_context(data_dir), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    finally:
        conn.close()


def wait_ready(server, port, data_dir=None, deadline_s=20):
    """Polls GET /readyz until 200; fails early if the process exits."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        if not server.running():
            raise AssertionError(f"server exited with {server.proc.returncode} before ready\n{server.describe()}")
        try:
            r = https_request(port, "/readyz", data_dir=data_dir, timeout=2)
            if r.status == 200:
                return r
            last = f"HTTP {r.status} {r.body!r}"
        except (OSError, ssl.SSLError, http.client.HTTPException) as e:
            last = repr(e)
        time.sleep(0.05)
    raise AssertionError(f"/readyz not 200 within {deadline_s}s (last: {last})\n{server.describe()}")


def wait_for_output(server, needle, deadline_s=10):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        out = server.stdout()
        if needle in out:
            return out
        if not server.running():
            break
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not printed\n{server.describe()}")


# ---------------------------------------------------------------- keys, certificates, signatures

def openssl_key_cert(directory, name, cn=None, days=2):
    """A fresh RSA-2048 key and self-signed certificate (PEM) made with the openssl CLI."""
    key = os.path.join(directory, name + "-key.pem")
    cert = os.path.join(directory, name + "-cert.pem")
    rc, out, err = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", str(days), "-subj", "/CN=" + (cn or name)])
    if rc != 0:
        raise AssertionError(f"openssl req failed: {err}")
    return key, cert


def xmlsec_sign(template, key, cert, output):
    rc, out, err = run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}", "--id-attr:ID", MD_ID_ATTR,
                        "--output", output, template])
    if rc != 0:
        raise AssertionError(f"xmlsec1 --sign failed: {err}")
    return output


def xmlsec_verify(document, cert):
    """(rc, stderr) of `xmlsec1 --verify` of an EntityDescriptor with the key of `cert`."""
    rc, out, err = run(["xmlsec1", "--verify", "--pubkey-cert-pem", cert, "--id-attr:ID", MD_ID_ATTR, document])
    return rc, err


def pem_from_base64_der(b64):
    b = "".join(b64.split())
    base64.b64decode(b, validate=True)  # must be valid base64
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(b, 64)) + "\n-----END CERTIFICATE-----\n"


def der_sha256_hex(b64):
    import hashlib
    return hashlib.sha256(base64.b64decode("".join(b64.split()))).hexdigest()


# ---------------------------------------------------------------- SP metadata

def read_data(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def sp_metadata(path, entity_id, acs_location=None, extra_root_attrs="", acs_index='index="0"'):
    """Writes unsigned SP metadata from tests/data/integration/sp-template.xml."""
    text = (read_data("sp-template.xml")
            .replace("@ENTITY_ID@", entity_id)
            .replace("@ACS_LOCATION@", acs_location or entity_id.rstrip("/") + "/acs")
            .replace("@EXTRA_ROOT_ATTRS@", extra_root_attrs)
            .replace("@ACS_INDEX@", acs_index))
    return write(path, text)


def signed_sp_metadata(directory, entity_id, key, cert, name="signed"):
    """SP metadata signed with xmlsec1 (enveloped, exc-c14n, rsa-sha256) from the template."""
    tmpl = write(os.path.join(directory, name + "-tmpl.xml"),
                 read_data("sp-signed-template.xml").replace("@ENTITY_ID@", entity_id))
    return xmlsec_sign(tmpl, key, cert, os.path.join(directory, name + ".xml"))


# ---------------------------------------------------------------- upstream (IdP) metadata

# The empty enveloped signature "xmlsec1 --sign" fills in (exc-c14n, RSA-SHA256).
_IDP_SIGNATURE_TEMPLATE = """<ds:Signature>
    <ds:SignedInfo>
      <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
      <ds:Reference URI="#_idp-metadata-1">
        <ds:Transforms>
          <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
          <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
        </ds:Transforms>
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <ds:DigestValue/>
      </ds:Reference>
    </ds:SignedInfo>
    <ds:SignatureValue/>
  </ds:Signature>"""


def certificate_base64(cert_pem_path):
    """The base64 DER of a PEM certificate file (what ds:X509Certificate holds)."""
    with open(cert_pem_path, encoding="ascii") as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("-----")]
    return "".join(lines)


def idp_metadata(path, entity_id, cert, valid_until=None, base=None, signature=""):
    """Writes an upstream IdP's metadata from tests/data/integration/upstream-idp-template.xml
    with `cert` (a PEM file) as its signing certificate; valid_until: an xs:dateTime or None."""
    text = (read_data("upstream-idp-template.xml")
            .replace("@ENTITY_ID@", entity_id)
            .replace("@VALID_UNTIL@", f' validUntil="{valid_until}"' if valid_until else "")
            .replace("@SIGNATURE@", signature)
            .replace("@CERTIFICATE@", certificate_base64(cert))
            .replace("@BASE@", base or entity_id.rstrip("/")))
    return write(path, text)


def signed_idp_metadata(directory, entity_id, key, cert, name="signed-idp"):
    """Upstream IdP metadata signed with xmlsec1 by key/cert (also its signing certificate)."""
    tmpl = idp_metadata(os.path.join(directory, name + "-tmpl.xml"), entity_id, cert,
                        signature=_IDP_SIGNATURE_TEMPLATE)
    return xmlsec_sign(tmpl, key, cert, os.path.join(directory, name + ".xml"))


class LoopbackHttpServer:
    """An http.server on 127.0.0.1 (a free port) in a daemon thread: start()/stop(), or a
    context manager. `port` and `base` ("http://127.0.0.1:PORT") tell where."""

    def __init__(self, handler_class):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class MetadataHttpServer(LoopbackHttpServer):
    """A loopback http.server in a thread serving {path: bytes}; anything else is 404."""

    def __init__(self, documents):
        docs = documents

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                body = docs.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        super().__init__(Handler)

    def url(self, path):
        return self.base + path


def parse_xml(text):
    return ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def xs_time(t):
    """An xs:dateTime in UTC, as SAML writes IssueInstant."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id():
    """A fresh xs:ID."""
    return "_" + uuid.uuid4().hex


def xml_attr(value):
    """Escapes text for a double-quoted XML attribute."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


# ---------------------------------------------------------------- a load balancer in front

NGINX_CONF = """\
# Written by propusk_testlib.Nginx for one test run.
{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    # One line per request: the client's tag, the status, and every upstream tried
    # ("A, B" when nginx went on to the next one).
    log_format tagged '$http_x_test_tag\\t$status\\t$upstream_addr\\t$upstream_status\\t$request_method\\t$uri\\t$msec';
    access_log {prefix}/access.log tagged;
    upstream propusk {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass https://propusk;
            proxy_ssl_verify off;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


class Nginx:
    """Debian's nginx as a TLS reverse proxy on a free loopback port (a self-signed certificate
    made here) in front of `upstream_ports` (https://127.0.0.1:PORT each), round robin, one
    worker process (so consecutive requests alternate). Runs in the foreground as a child of
    the test (`-p DIR -c DIR/nginx.conf`, every file in DIR) and is stopped by its PID.

    Its access log proves which upstream served a request: a client sends `X-Test-Tag: TAG`
    and `upstream(TAG)` answers the upstream address(es) nginx logged for it."""

    def __init__(self, directory, upstream_ports, fail_timeout=3):
        self.binary = next((p for p in ("/usr/sbin/nginx", "/usr/bin/nginx") if os.access(p, os.X_OK)), None)
        if self.binary is None:
            raise AssertionError("nginx not installed (Debian package nginx; tools/install-deps)")
        self.prefix = os.path.abspath(directory)
        os.makedirs(os.path.join(self.prefix, "tmp"), exist_ok=True)
        self.port = free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        self.conf = os.path.join(self.prefix, "nginx.conf")
        self.access_log = os.path.join(self.prefix, "access.log")
        self.error_log = os.path.join(self.prefix, "error.log")
        key, cert = openssl_key_cert(self.prefix, "nginx", cn="127.0.0.1")
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout={fail_timeout}s;"
                            for p in upstream_ports)
        # As root the workers would run as nobody, who cannot enter the test's private
        # directory: they stay root (loopback only, a test).
        user = "user root;\n" if os.geteuid() == 0 else ""
        write(self.conf, NGINX_CONF.format(user=user, prefix=self.prefix, servers=servers, port=self.port,
                                           cert=cert, key=key))
        self.proc = None

    def start(self, deadline_s=10):
        rc, out, err = run([self.binary, "-t", "-q", "-p", self.prefix, "-c", self.conf, "-e", self.error_log])
        if rc != 0:
            raise AssertionError(f"nginx -t refused the configuration: {err}")
        self.proc = subprocess.Popen([self.binary, "-p", self.prefix, "-c", self.conf, "-e", self.error_log],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited with {self.proc.returncode}\n{self.errors()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx not listening on {self.port} within {deadline_s}s\n{self.errors()}")

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, timeout=10):
        """SIGQUIT (graceful: the master stops its worker), then SIGKILL to this PID."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGQUIT)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def errors(self):
        try:
            with open(self.error_log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log(self):
        """Every access-log line as a dict: tag, status, upstreams (list of "127.0.0.1:PORT"),
        upstream_status, method, uri, time (seconds since the epoch)."""
        entries = []
        try:
            with open(self.access_log, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return entries
        for line in lines:
            fields = line.split("\t")
            if len(fields) != 7:
                continue
            tag, status, upstreams, upstream_status, method, uri, msec = fields
            entries.append({"tag": "" if tag == "-" else tag, "status": int(status),
                            "upstreams": [u.strip() for u in upstreams.split(",")
                                          if u.strip() not in ("", "-")],
                            "upstream_status": upstream_status, "method": method, "uri": uri,
                            "time": float(msec)})
        return entries

    def entry(self, tag, deadline_s=3):
        """The access-log entry of the request tagged `tag` (nginx writes it just after
        answering, so it is waited for)."""
        deadline = time.monotonic() + deadline_s
        while True:
            found = [e for e in self.log() if e["tag"] == tag]
            if found:
                if len(found) != 1:
                    raise AssertionError(f"tag {tag} logged {len(found)} times: {found}")
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no access-log entry for tag {tag}")
            time.sleep(0.02)

    def upstream(self, tag):
        """The upstream that answered the request tagged `tag` (the last one tried)."""
        e = self.entry(tag)
        if not e["upstreams"]:
            raise AssertionError(f"request {tag} reached no upstream: {e}")
        return e["upstreams"][-1]

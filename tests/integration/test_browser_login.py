#!/usr/bin/python3
"""A person logs in, in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
tests/browser/login.spec.mjs (Node, playwright-core from npm; no browser is downloaded).

This driver starts, on free loopback ports: the IdP (a fresh store with one user and one SP)
and the SP's ACS, a small http.server that records every POSTed SAMLResponse/RelayState and
answers "ACS received". It then runs the Node script and checks its exit code and JSON line,
and what the ACS really received. tests/browser/node_modules is made by `npm ci` when missing
or stale; when that fails (no registry, no npm) the test FAILS, it is not skipped.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_browser_login.py -v
Screenshots go to $ARTIFACTS (default: the test's temporary directory, removed afterwards).
"""

import base64
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import PASSWORD, ctl_ok  # noqa: E402

setUpModule = lib.require_binaries

BROWSER_DIR = os.path.join(lib.SOURCE, "tests", "browser")
SPEC = os.path.join(BROWSER_DIR, "login.spec.mjs")
CHROMIUM = "/usr/bin/chromium"
USER = "petrova"
WRONG_PASSWORD = "Nevern0-Parol!"
SP_ENTITY = "https://browser-sp.test/shibboleth"
RELAY_STATE = "rs-123"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
NODE_DEADLINE_S = 120   # the whole browser run normally takes a few seconds
NPM_DEADLINE_S = 300


class AcsServer(lib.LoopbackHttpServer):
    """The SP's Assertion Consumer Service on a free loopback port, in a thread.

    POST /acs records the form and answers a small HTML page; GET /csp-probe serves a page
    whose CSP forbids its own inline script (a control for the spec's CSP listener)."""

    def __init__(self):
        self.posts = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, status, body, headers=()):
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802 (http.server's naming)
                if self.path != "/acs":
                    return self._send(404, "not found")
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode("ascii", errors="replace")
                form = urllib.parse.parse_qs(body, keep_blank_values=True)
                with outer.lock:
                    outer.posts.append({"form": form, "content_type": self.headers.get("Content-Type", ""),
                                        "origin": self.headers.get("Origin")})
                    count = len(outer.posts)
                self._send(200, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>ACS received</title>"
                                f"</head><body><h1>ACS received</h1><p>POST #{count}</p></body></html>")

            def do_GET(self):  # noqa: N802
                if self.path == "/csp-probe":
                    return self._send(200, "<!DOCTYPE html><html><head><title>probe</title></head><body>"
                                           "<script>document.title='ran';</script></body></html>",
                                      [("Content-Security-Policy", "default-src 'none'")])
                self._send(404, "not found")

            def log_message(self, *a):
                pass

        super().__init__(Handler)
        self.url = f"http://127.0.0.1:{self.port}/acs"
        self.probe_url = f"http://127.0.0.1:{self.port}/csp-probe"

    def received(self):
        with self.lock:
            return list(self.posts)


def locked_playwright_version():
    with open(os.path.join(BROWSER_DIR, "package-lock.json"), encoding="utf-8") as f:
        return json.load(f)["packages"]["node_modules/playwright-core"]["version"]


def installed_playwright_version():
    try:
        with open(os.path.join(BROWSER_DIR, "node_modules", "playwright-core", "package.json"), encoding="utf-8") as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_node_modules():
    """npm ci in tests/browser when node_modules is missing or not the locked version.
    Raises AssertionError (a failure, never a skip) with the reason when it cannot."""
    want = locked_playwright_version()
    if installed_playwright_version() == want:
        return
    npm = shutil.which("npm")
    if not npm:
        raise AssertionError("npm not found: install nodejs and npm (tools/install-deps) to run the browser test")
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    try:
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR, env=env, capture_output=True,
                           text=True, timeout=NPM_DEADLINE_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"`npm ci` in {BROWSER_DIR} did not finish in {NPM_DEADLINE_S}s: "
                             "is the npm registry reachable? (the browser test needs playwright-core from npm)")
    if p.returncode != 0:
        raise AssertionError(f"`npm ci` in {BROWSER_DIR} failed (exit {p.returncode}); the browser test needs "
                             f"playwright-core {want} from the npm registry — is it reachable?\n{p.stderr[-3000:]}")
    got = installed_playwright_version()
    if got != want:
        raise AssertionError(f"after `npm ci`, node_modules has playwright-core {got}, the lockfile says {want}")


def run_node(argv, env, cwd, deadline_s):
    """Runs the Node script; on the deadline SIGTERM to its PID (Playwright then closes
    Chromium), then SIGKILL. Returns (rc, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            rc = proc.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            rc = f"timeout after {deadline_s}s"
        out.seek(0)
        err.seek(0)
        return (rc, out.read().decode("utf-8", errors="replace"), err.read().decode("utf-8", errors="replace"),
                time.monotonic() - t0)


def saml_response(form):
    b64 = form.get("SAMLResponse", [""])[0]
    return ET.fromstring(base64.b64decode(b64, validate=True))


class BrowserLoginTest(unittest.TestCase):
    maxDiff = None

    def test_login_in_chromium(self):
        for what, path in (("Chromium (apt package chromium)", CHROMIUM), ("the Node script", SPEC)):
            self.assertTrue(os.access(path, os.R_OK), f"{what} not found at {path}: run tools/install-deps")
        node = shutil.which("node")
        self.assertIsNotNone(node, "node not found: install nodejs (tools/install-deps)")
        ensure_node_modules()

        tmp = lib.temp_dir(self)
        data = os.path.join(tmp, "data")
        artifacts = os.environ.get("ARTIFACTS") or os.path.join(tmp, "artifacts")
        os.makedirs(artifacts, exist_ok=True)
        node_tmp = os.path.join(tmp, "node-tmp")  # Chromium's fresh profile dir lands here
        os.mkdir(node_tmp)

        acs = AcsServer().start()
        self.addCleanup(acs.stop)

        ctl_ok(data, "init")
        ctl_ok(data, "user", "add", USER, "--surname", "Петрова", "--given-name", "Анна", "--middle-name", "Сергеевна",
               "--email", f"{USER}@example.org", "--status", "simplified", input=PASSWORD + "\n")
        md = lib.sp_metadata(os.path.join(tmp, "sp.xml"), SP_ENTITY, acs_location=acs.url)
        ctl_ok(data, "sp", "add", md)
        ctl_ok(data, "sp", "set", SP_ENTITY, "--release", "displayName")

        port = lib.free_port()
        base = f"https://127.0.0.1:{port}"
        logs = os.path.join(tmp, "logs")
        os.mkdir(logs)
        server = lib.Server(["--data", data, "--listen", f"127.0.0.1:{port}", "--public-url", base], workdir=logs)
        self.addCleanup(server.stop)
        server.start()
        lib.wait_ready(server, port)

        env = dict(os.environ, PROPUSK_SSO_URL=base + "/saml/sso", PROPUSK_SP_ENTITY_ID=SP_ENTITY,
                   PROPUSK_ACS_URL=acs.url, PROPUSK_USER=USER, PROPUSK_PASSWORD=PASSWORD,
                   PROPUSK_WRONG_PASSWORD=WRONG_PASSWORD, PROPUSK_CSP_PROBE_URL=acs.probe_url,
                   ARTIFACTS=artifacts, CHROMIUM=CHROMIUM, TMPDIR=node_tmp, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
        rc, out, err, secs = run_node([node, SPEC], env, BROWSER_DIR, NODE_DEADLINE_S)
        context = f"node exited {rc} in {secs:.1f}s\n--- stdout\n{out}--- stderr\n{err}\n{server.describe()}"
        lines = [l for l in out.splitlines() if l.strip()]
        self.assertTrue(lines, context)
        result = json.loads(lines[-1])
        failed = {k: v for k, v in result["checks"].items() if not v["ok"]}
        self.assertEqual(failed, {}, context)
        self.assertTrue(result["ok"], context)
        self.assertEqual(rc, 0, context)
        for name in ("login", "login-error", "acs", "noscript"):
            self.assertTrue(os.path.getsize(result["screenshots"][name]) > 1000, f"screenshot {name}: {context}")
        sys.stderr.write(f"\nbrowser run: {secs:.1f}s, Chromium {result['chromium']}, playwright-core "
                         f"{result['playwrightCore']}, node {result['node']}; screenshots: "
                         f"{', '.join(result['screenshots'].values())}\n"
                         f"checks passed: {', '.join(result['checks'])}\n"
                         f"browser console: {json.dumps(result['console'], ensure_ascii=False)}\n")

        # What the ACS really received: one POST per run (script, then noscript button).
        posts = acs.received()
        self.assertEqual(len(posts), 2, posts)
        for post, request_id in zip(posts, (result["requestIds"]["js"], result["requestIds"]["nojs"])):
            self.assertTrue(post["content_type"].startswith("application/x-www-form-urlencoded"), post)
            self.assertEqual(post["form"].get("RelayState"), [RELAY_STATE])
            resp = saml_response(post["form"])
            self.assertEqual(resp.tag, f"{{{SAMLP}}}Response")
            self.assertEqual(resp.get("InResponseTo"), request_id)
            self.assertEqual(resp.get("Destination"), acs.url)
            self.assertEqual(resp.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode").get("Value"), SUCCESS)
            self.assertIsNotNone(resp.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"))

        code, took = server.stop()
        self.assertEqual(code, 0, f"server exit after SIGTERM ({took:.1f}s)\n{server.describe()}")


if __name__ == "__main__":
    unittest.main()

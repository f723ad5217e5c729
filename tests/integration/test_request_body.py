#!/usr/bin/python3
"""Request bodies over the endpoint's limit (idp/web/request_body.h): 413 with the error page
and `Connection: close`, answered before the body is read when Content-Length says so, and
received by a client that writes its whole body before reading (the server lingers and
drops what is still coming instead of resetting the connection). Chunked bodies are cut
at the limit; no request is ever parsed out of a body left unread.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_request_body.py -v
"""

import base64
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import ctl_ok  # noqa: E402

setUpModule = lib.require_binaries

KIB = 1024
MIB = 1024 * KIB
# path -> (limit, the status a body of exactly the limit gets: read, then refused on content)
LIMITS = {
    "/saml/sso": (512 * KIB, 400),   # no SAMLRequest field
    "/saml/slo": (512 * KIB, 400),   # neither SAMLRequest nor SAMLResponse
    "/saml/soap": (256 * KIB, 500),  # not a SOAP envelope: a SOAP fault
    "/login": (16 * KIB, 403),       # no CSRF token
    "/logout": (16 * KIB, 403),      # no CSRF token
}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class RequestBodyLimits(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="propusk-it-body-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        ctl_ok(cls.data, "init")
        ctl_ok(cls.data, "sp", "add", lib.EXAMPLE_SP)
        cls.port = lib.free_port()
        cls.base = f"https://127.0.0.1:{cls.port}"
        workdir = os.path.join(cls.tmp, "logs")
        os.mkdir(workdir)
        cls.server = lib.Server(["--data", cls.data, "--listen", f"127.0.0.1:{cls.port}", "--public-url", cls.base],
                                workdir=workdir)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()
        lib.wait_ready(cls.server, cls.port)

    def tearDown(self):
        # After every refusal the server still serves: readiness and an ordinary SSO request.
        self.assertTrue(self.server.running(), self.server.describe())
        self.assertEqual(lib.https_request(self.port, "/readyz").status, 200)
        self.assertOrdinarySsoWorks()

    # -- clients

    def connection(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=tls_context(), timeout=20)

    def plain_post(self, path, body, headers=FORM):
        """http.client as a plain client uses it: the whole body is written, then the answer read."""
        conn = self.connection()
        try:
            conn.request("POST", path, body=body, headers=dict(headers))
            r = conn.getresponse()
            return lib.Response(r.status, r.headers, r.read())
        except (OSError, http.client.HTTPException) as e:
            self.fail(f"POST {path} ({len(body)} bytes): no HTTP answer: {e!r}")
        finally:
            conn.close()

    def raw_tls(self):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        return tls_context().wrap_socket(raw, server_hostname="127.0.0.1")

    def raw_exchange(self, data):
        """Writes `data` whole on a fresh TLS connection, then reads until the server closes.
        Returns everything the server sent."""
        with self.raw_tls() as s:
            try:
                s.sendall(data)
            except OSError as e:
                self.fail(f"the server closed while the request was being sent: {e!r}")
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except (ssl.SSLError, OSError) as e:
                    self.fail(f"reading the answer failed after {len(out)} bytes: {e!r}")
                if not chunk:
                    return out
                out += chunk

    @staticmethod
    def responses(raw):
        """The status codes of the responses one after another in `raw` (each delimited by its
        Content-Length), and the first one's headers (lower-case names) and body."""
        codes, first = [], None
        while raw:
            head, sep, rest = raw.partition(b"\r\n\r\n")
            status = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
            if not sep or not status:
                raise AssertionError(f"not an HTTP response: {raw[:200]!r}")
            headers = {}
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", len(rest)))
            codes.append(int(status.group(1)))
            if first is None:
                first = (headers, rest[:length])
            raw = rest[length:]
        return (codes, *first) if first else (codes, {}, b"")

    # -- assertions

    def assert413(self, status, headers_get, body):
        self.assertEqual(status, 413, body[:300])
        self.assertEqual((headers_get("Connection") or "").lower(), "close")
        self.assertIn("text/html", headers_get("Content-Type") or "")
        text = body.decode("utf-8")
        self.assertIn("<title>Слишком большой запрос / Request too large</title>", text)
        self.assertRegex(text, r"Reference: <code>[0-9a-f]{8,}</code>")
        self.assertNotIn("AAAA", text)

    def assertPage413(self, r):
        self.assert413(r.status, r.headers.get, r.body)

    def audit(self):
        return json.loads(ctl_ok(self.data, "audit", "list", "--limit", "100000", "--json"))

    def assertOrdinarySsoWorks(self):
        xml = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
               f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{lib.new_id()}" Version="2.0" '
               f'IssueInstant="{lib.xs_time(lib.now_utc())}" Destination="{self.base}/saml/sso" '
               f'ProtocolBinding="{lib.BINDING_POST}"><saml:Issuer>{lib.EXAMPLE_SP_ID}</saml:Issuer>'
               f'</samlp:AuthnRequest>')
        form = "SAMLRequest=" + base64.b64encode(xml.encode()).decode().replace("+", "%2B").replace("=", "%3D")
        r = self.plain_post("/saml/sso", form.encode())
        self.assertEqual(r.status, 303, r.body[:500])
        self.assertTrue((r.headers.get("Location") or "").startswith(self.base + "/login?flow="))

    # -- tests

    def test_4mib_post_to_sso_is_answered_413(self):
        before = len(self.audit())
        t0 = time.monotonic()
        r = self.plain_post("/saml/sso", b"SAMLRequest=" + b"A" * (4 * MIB))
        self.assertPage413(r)
        self.assertLess(time.monotonic() - t0, 10)
        events = self.audit()[before:]
        refused = [e for e in events if e["action"] == "authn-request.refused"]
        self.assertEqual(len(refused), 1, events)
        details = json.loads(refused[0]["details"])
        self.assertEqual(details["step"], "binding")
        self.assertIn("4194316", details["detail"])  # the declared length, never body bytes
        self.assertNotIn("AAAA", refused[0]["details"])

    def test_just_over_the_limit_413_exactly_at_it_read(self):
        for path, (limit, at_limit_status) in LIMITS.items():
            with self.subTest(path, size="limit + 1"):
                self.assertPage413(self.plain_post(path, b"A" * (limit + 1)))
            with self.subTest(path, size="limit"):
                # Read whole and answered on its content; the connection stays usable.
                conn = self.connection()
                try:
                    conn.request("POST", path, body=b"A" * limit, headers=FORM)
                    r = conn.getresponse()
                    r.read()
                    self.assertEqual(r.status, at_limit_status)
                    self.assertNotEqual((r.getheader("Connection") or "").lower(), "close")
                    conn.request("GET", "/readyz")
                    again = conn.getresponse()
                    self.assertEqual((again.status, again.read()), (200, b"ready\n"))
                finally:
                    conn.close()

    def test_4mib_to_every_endpoint_that_takes_a_body(self):
        for path in LIMITS:
            with self.subTest(path):
                self.assertPage413(self.plain_post(path, b"A" * (4 * MIB)))

    def test_refusals_are_audited_as_the_endpoints_refusals(self):
        before = len(self.audit())
        for path in ("/saml/slo", "/saml/soap", "/login"):
            self.assertPage413(self.plain_post(path, b"A" * (1 * MIB)))
        events = [(e["actor"], e["action"], json.loads(e["details"])["step"]) for e in self.audit()[before:]]
        # A login form's refusal too (a huge form is an attack on the login page, audited).
        self.assertEqual(events, [("web", "logout.request.refused", "binding"),
                                  ("soap", "logout.request.refused", "soap"),
                                  ("web", "login.refused", "body")])

    def test_chunked_body_growing_past_the_limit(self):
        def chunks(total, size=64 * KIB):
            for _ in range(total // size):
                yield b"A" * size

        for path, (limit, _) in LIMITS.items():
            with self.subTest(path):
                conn = self.connection()
                try:
                    # No Content-Length: http.client sends an iterable with Transfer-Encoding: chunked.
                    conn.request("POST", path, body=chunks(max(limit * 2, 1 * MIB)), headers=FORM, encode_chunked=True)
                    r = conn.getresponse()
                    self.assertPage413(lib.Response(r.status, r.headers, r.read()))
                except (OSError, http.client.HTTPException) as e:
                    self.fail(f"chunked POST {path}: no HTTP answer: {e!r}")
                finally:
                    conn.close()

    def test_chunked_body_within_the_limit_is_read(self):
        conn = self.connection()
        try:
            conn.request("POST", "/saml/sso", body=iter([b"Relay", b"State=x"]), headers=FORM, encode_chunked=True)
            r = conn.getresponse()
            body = r.read()
            self.assertEqual(r.status, 400, body[:300])  # read whole: refused for lacking SAMLRequest
            self.assertIn("Invalid sign-in request", body.decode())
        finally:
            conn.close()

    def test_expect_100_continue_is_refused_without_inviting_the_body(self):
        head = (f"POST /saml/sso HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: "
                f"application/x-www-form-urlencoded\r\nContent-Length: {4 * MIB}\r\nExpect: 100-continue\r\n\r\n")
        raw = self.raw_exchange(head.encode())
        codes, headers, body = self.responses(raw)
        self.assertEqual(codes, [413], raw[:300])
        self.assert413(413, lambda n: headers.get(n.lower()), body)

    def test_no_request_is_parsed_out_of_an_unread_body(self):
        smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        with self.subTest("over the limit"):
            body = smuggled * (20 * KIB // len(smuggled))
            raw = self.raw_exchange(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
                                    b"urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            codes, headers, page = self.responses(raw)
            self.assertEqual(codes, [413], raw[:300])
            self.assert413(413, lambda n: headers.get(n.lower()), page)
        with self.subTest("a body where none is taken"):
            raw = self.raw_exchange(b"GET /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(smuggled)
                                    + smuggled)
            codes, headers, page = self.responses(raw)
            self.assertEqual(codes, [200], raw[:300])
            self.assertEqual(headers.get("connection", "").lower(), "close")
            self.assertEqual(page, b"ready\n")
        with self.subTest("404 with a body"):
            raw = self.raw_exchange(b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(smuggled)
                                    + smuggled)
            self.assertEqual(self.responses(raw)[0], [404], raw[:300])

    def test_ambiguous_framing_is_refused(self):
        cases = {
            "Content-Length and chunked": b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "gzip": b"Transfer-Encoding: gzip\r\n\r\n",
            "two lengths": b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nAAAAA",
        }
        for name, rest in cases.items():
            with self.subTest(name):
                raw = self.raw_exchange(b"POST /saml/sso HTTP/1.1\r\nHost: x\r\n" + rest)
                codes, headers, page = self.responses(raw)
                self.assertEqual(codes, [400], raw[:300])
                self.assertEqual(headers.get("connection", "").lower(), "close")
                self.assertRegex(page.decode(), r"Reference: <code>[0-9a-f]{8,}</code>")

    def test_lingering_is_bounded_for_a_client_that_stops_sending(self):
        with self.raw_tls() as s:
            s.sendall(b"POST /saml/sso HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (4 * MIB) + b"A" * KIB)
            t0 = time.monotonic()
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
            waited = time.monotonic() - t0
        self.assertEqual(self.responses(out)[0], [413], out[:300])
        self.assertLess(waited, 4.0)  # 1 s without a byte ends it (2 s at most in all)

    def test_a_body_dripping_a_byte_a_second_is_cut_at_the_deadline(self):
        """Review finding: the socket timeout bounds each read, not the body; 64 clients sending
        a byte a second held every worker thread. The whole body must come within 10 s."""
        with self.raw_tls() as s:
            s.sendall(b"POST /saml/sso HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 5000\r\n\r\nSAMLRequest=")
            t0 = time.monotonic()
            s.settimeout(1.0)
            out = b""
            while time.monotonic() - t0 < 25:
                try:
                    s.sendall(b"A")
                except OSError:
                    pass
                try:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
                except (socket.timeout, ssl.SSLWantReadError):
                    continue
                except (ssl.SSLError, OSError):
                    break
            waited = time.monotonic() - t0
        codes = self.responses(out)[0]
        self.assertEqual(codes, [408], out[:300])
        self.assertLess(waited, 18.0)  # 10 s, plus at most one socket timeout (5 s)
        self.assertGreater(waited, 9.0)


if __name__ == "__main__":
    unittest.main()

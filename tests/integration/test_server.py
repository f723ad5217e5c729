#!/usr/bin/python3
"""End-to-end tests of the propusk server over HTTPS on a free loopback port.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_server.py -v
"""

import os
import re
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import NS, ctl, ctl_json, ctl_ok  # noqa: E402

setUpModule = lib.require_binaries

SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"


def start_server(test, data=None, cwd=None, extra=(), port=None):
    """Starts propusk on a free port; the test's cleanup stops it by PID. Returns (server, port)."""
    port = port or lib.free_port()
    args = (["--data", data] if data else []) + ["--listen", f"127.0.0.1:{port}",
                                                 "--public-url", f"https://127.0.0.1:{port}", *extra]
    workdir = tempfile.mkdtemp(prefix="propusk-it-logs-")
    server = lib.Server(args, cwd=cwd, workdir=workdir)
    cleanup = test.addClassCleanup if isinstance(test, type) else test.addCleanup
    cleanup(lambda: __import__("shutil").rmtree(workdir, ignore_errors=True))
    cleanup(server.stop)
    server.start()
    return server, port


def key_descriptor_certs(root):
    return [c.text for c in root.findall("md:IDPSSODescriptor/md:KeyDescriptor/ds:KeyInfo/ds:X509Data/"
                                         "ds:X509Certificate", NS)]


class Base(unittest.TestCase):
    maxDiff = None

    def get(self, path, method="GET", body=None, port=None, data=None):
        return lib.https_request(port or self.port, path, method=method, body=body, data_dir=data or self.data)

    def metadata(self, port=None, data=None):
        r = self.get("/saml/metadata", port=port, data=data)
        self.assertEqual(r.status, 200, r.body[:300])
        return r, lib.parse_xml(r.body)

    def assertSecurityHeaders(self, r):
        self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.headers.get("X-Frame-Options"), "DENY")
        self.assertRegex(r.headers.get("Strict-Transport-Security") or "", r"max-age=\d{7,}")

    def assertStopsCleanly(self, server):
        rc, seconds = server.stop(timeout=10)
        self.assertEqual(rc, 0, f"exit code after SIGTERM\n{server.describe()}")
        self.assertLess(seconds, 10)


# ------------------------------------------------------------------------------------ one shared server

class RunningServerTests(Base):
    """One server on an initialised store, shared by read-only tests."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="propusk-it-")
        cls.addClassCleanup(lambda: __import__("shutil").rmtree(cls.dir, ignore_errors=True))
        cls.data = os.path.join(cls.dir, "data")
        cls.key = ctl_json(cls.data, "init")["active_key"]
        cls.server, cls.port = start_server(cls, cls.data)
        lib.wait_ready(cls.server, cls.port, cls.data)
        cls.base = f"https://127.0.0.1:{cls.port}"

    def test_health_and_readiness(self):
        # The client trusts DATA/tls/server.crt and checks that it names 127.0.0.1.
        r = self.get("/healthz")
        self.assertEqual((r.status, r.text), (200, "ok\n"))
        r = self.get("/readyz")
        self.assertEqual((r.status, r.text), (200, "ready\n"))
        self.assertSecurityHeaders(r)
        self.assertEqual(self.get("/readyz", method="HEAD").status, 200)

    def test_keep_alive_framing(self):
        # Responses are written whole on the socket: on one kept-alive connection each must
        # end exactly at its Content-Length (a HEAD answer with none), or the next misparses.
        conn = __import__("http.client").client.HTTPSConnection(
            "127.0.0.1", self.port, context=lib.client_context(self.data), timeout=10)
        self.addCleanup(conn.close)
        seen = []
        for method, path in [("GET", "/saml/metadata"), ("HEAD", "/saml/metadata"), ("GET", "/healthz"),
                             ("GET", "/no-such-page"), ("HEAD", "/readyz"), ("GET", "/readyz")]:
            conn.request(method, path)
            r = conn.getresponse()
            body = r.read()
            seen.append((method, path, r.status, len(body)))
            if method == "HEAD":
                self.assertEqual(body, b"")
                self.assertGreater(int(r.getheader("Content-Length")), 0)
            else:
                self.assertEqual(len(body), int(r.getheader("Content-Length")))
            self.assertEqual(r.getheader("X-Content-Type-Options"), "nosniff")
        self.assertEqual([s[2] for s in seen], [200, 200, 200, 404, 200, 200], seen)
        self.assertEqual(seen[2][3], len("ok\n"))
        self.assertEqual(seen[5][3], len("ready\n"))

    def test_metadata_document(self):
        r, root = self.metadata()
        self.assertEqual(r.headers.get("Content-Type"), "application/samlmetadata+xml")
        self.assertSecurityHeaders(r)
        self.assertEqual(root.tag, "{%s}EntityDescriptor" % NS["md"])
        self.assertEqual(root.get("entityID"), self.base + "/saml/metadata")
        self.assertTrue(root.get("ID"))
        self.assertTrue(root.get("validUntil"))
        # The signature is the first child of the signed element (metadata §3.1.1).
        self.assertEqual(root[0].tag, "{%s}Signature" % NS["ds"])
        self.assertEqual(root[0].find("ds:SignedInfo/ds:Reference", NS).get("URI"), "#" + root.get("ID"))

        idp = root.find("md:IDPSSODescriptor", NS)
        self.assertIsNotNone(idp)
        self.assertIn(SAML2_PROTOCOL, idp.get("protocolSupportEnumeration").split())
        sso = {(e.get("Binding"), e.get("Location")) for e in idp.findall("md:SingleSignOnService", NS)}
        self.assertEqual(sso, {(lib.BINDING_REDIRECT, self.base + "/saml/sso"),
                               (lib.BINDING_POST, self.base + "/saml/sso")})
        self.assertIsNone(root.find("md:SPSSODescriptor", NS))

        certs = key_descriptor_certs(root)
        self.assertEqual(len(certs), 1, "one KeyDescriptor per published key")
        self.assertEqual(lib.der_sha256_hex(certs[0]), self.key["sha256_fingerprint"])
        self.assertEqual([kd.get("use") for kd in idp.findall("md:KeyDescriptor", NS)], ["signing"])

    def test_metadata_signature_verifies_with_xmlsec1(self):
        r, root = self.metadata()
        d = tempfile.mkdtemp(prefix="propusk-it-md-", dir=self.dir)
        doc = lib.write(os.path.join(d, "idp.xml"), r.text)
        cert = lib.write(os.path.join(d, "idp.pem"), lib.pem_from_base64_der(key_descriptor_certs(root)[0]))
        rc, err = lib.xmlsec_verify(doc, cert)
        self.assertEqual(rc, 0, err)

        # One character of the entityID changed: the signature no longer verifies.
        entity = self.base + "/saml/metadata"
        flipped = entity.replace("saml/metadata", "saml/metadatA")
        self.assertEqual(r.text.count(f'entityID="{entity}"'), 1)
        bad = lib.write(os.path.join(d, "flipped.xml"), r.text.replace(f'entityID="{entity}"', f'entityID="{flipped}"'))
        rc, err = lib.xmlsec_verify(bad, cert)
        self.assertNotEqual(rc, 0, "xmlsec1 must reject metadata altered after signing")

        # xmlsec1 really uses the key we give it: an unrelated certificate fails.
        _, other = lib.openssl_key_cert(d, "unrelated")
        rc, err = lib.xmlsec_verify(doc, other)
        self.assertNotEqual(rc, 0, "verification with an unrelated certificate must fail")

    def test_unknown_path_gives_bilingual_404_without_internals(self):
        r = self.get("/no/such/page?x=%3Cscript%3Ealert(1)%3C/script%3E")
        self.assertEqual(r.status, 404)
        self.assertTrue(r.headers.get("Content-Type").startswith("text/html"))
        self.assertSecurityHeaders(r)
        self.assertIn("Страница не найдена", r.text)
        self.assertIn("Page not found", r.text)
        m = re.search(r"Reference: <code>([0-9a-f]{8,})</code>", r.text)
        self.assertIsNotNone(m, r.text)
        for leak in ("<script>", "std::", "exception", "what()", "Traceback", "/no/such/page", self.data):
            self.assertNotIn(leak, r.text)
        # The reference code leads the operator to the log line.
        deadline = time.monotonic() + 5
        while m.group(1) not in self.server.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn(m.group(1), self.server.stderr())

        other = self.get("/saml/metadata/extra")
        self.assertEqual(other.status, 404)
        self.assertNotEqual(re.search(r"<code>(\w+)</code>", other.text).group(1), m.group(1),
                            "each error page gets its own reference")

    def test_wrong_method_is_405(self):
        for path in ("/saml/metadata", "/healthz", "/readyz"):
            with self.subTest(path=path):
                r = self.get(path, method="POST", body=b"x=1")
                self.assertEqual(r.status, 405)
                self.assertIn("Метод не поддерживается", r.text)
                self.assertIn("Method not allowed", r.text)
                self.assertRegex(r.text, r"Reference: <code>[0-9a-f]{8,}</code>")
                self.assertSecurityHeaders(r)
        self.assertEqual(self.get("/saml/metadata", method="DELETE").status, 405)

    def test_405_names_the_allowed_methods(self):
        # RFC 9110 §15.5.6: a 405 names the allowed methods in Allow.
        r = self.get("/saml/metadata", method="POST", body=b"x=1")
        self.assertEqual(r.status, 405)
        self.assertIsNotNone(r.headers.get("Allow"), "405 without an Allow header")
        self.assertIn("GET", r.headers.get("Allow"))


# ------------------------------------------------------------------------------------ key rollover

class KeyRolloverTests(Base):
    def setUp(self):
        self.dir = lib.temp_dir(self)
        self.data = os.path.join(self.dir, "data")
        self.first = ctl_json(self.data, "init")["active_key"]
        self.server, self.port = start_server(self, self.data)
        lib.wait_ready(self.server, self.port, self.data)

    def published(self):
        r, root = self.metadata()
        return r, sorted(lib.der_sha256_hex(c) for c in key_descriptor_certs(root)), root

    def verifies_with(self, r, key):
        cert = lib.write(os.path.join(self.dir, key["id"] + ".pem"), self.cert_pem(key["id"]))
        doc = lib.write(os.path.join(self.dir, "md.xml"), r.text)
        return lib.xmlsec_verify(doc, cert)[0] == 0

    def cert_pem(self, key_id):
        import sqlite3
        conn = sqlite3.connect(f"file:{lib.store_file(self.data)}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT certificate_pem FROM signing_keys WHERE id = ?", (key_id,)).fetchone()[0]
        finally:
            conn.close()

    def test_new_keys_are_published_without_restart(self):
        r, fps, _ = self.published()
        self.assertEqual(fps, [self.first["sha256_fingerprint"]])

        nxt = ctl_json(self.data, "keys", "generate")
        r, fps, root = self.published()
        self.assertEqual(fps, sorted([self.first["sha256_fingerprint"], nxt["sha256_fingerprint"]]),
                         "after 'keys generate' the next GET publishes both keys")
        self.assertTrue(self.verifies_with(r, self.first), "still signed with the active key")
        self.assertFalse(self.verifies_with(r, nxt), "not signed with the 'next' key")

        ctl_ok(self.data, "keys", "rotate")
        r, fps2, _ = self.published()
        self.assertEqual(fps2, fps, "after rotation both keys stay published (active + previous)")
        self.assertTrue(self.verifies_with(r, nxt), "signed with the newly active key")
        self.assertFalse(self.verifies_with(r, self.first))

        ctl_ok(self.data, "keys", "retire", self.first["id"])
        r, fps3, _ = self.published()
        self.assertEqual(fps3, [nxt["sha256_fingerprint"]], "a retired key is no longer published")
        self.assertEqual(self.get("/readyz").status, 200)
        self.assertStopsCleanly(self.server)


# ------------------------------------------------------------------------------------ first start

class FirstStartTests(Base):
    def setUp(self):
        self.dir = lib.temp_dir(self)
        self.data = os.path.join(self.dir, "fresh", "data")

    def test_server_creates_the_store_itself(self):
        server, self.port = start_server(self, self.data)
        lib.wait_ready(server, self.port, self.data)
        self.assertEqual(stat.S_IMODE(os.stat(self.data).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(lib.store_file(self.data)).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.data, "tls", "server.key")).st_mode), 0o600)

        keys = ctl_json(self.data, "keys", "list")
        self.assertEqual([k["state"] for k in keys], ["active"])
        _, root = self.metadata()
        self.assertEqual([lib.der_sha256_hex(c) for c in key_descriptor_certs(root)], [keys[0]["sha256_fingerprint"]])
        events = ctl_json(self.data, "audit", "list")
        self.assertIn(("propusk", "key.generate", keys[0]["id"]),
                      [(e["actor"], e["action"], e["target"]) for e in events])
        self.assertIn(f"listening on 127.0.0.1:{self.port}", server.stdout())
        self.assertStopsCleanly(server)

        # A second start keeps the key and the TLS certificate.
        with open(os.path.join(self.data, "tls", "server.crt")) as f:
            tls_cert = f.read()
        server2, self.port = start_server(self, self.data)
        lib.wait_ready(server2, self.port, self.data)
        self.assertEqual(ctl_json(self.data, "keys", "list"), keys)
        with open(os.path.join(self.data, "tls", "server.crt")) as f:
            self.assertEqual(f.read(), tls_cert)
        self.assertEqual(ctl(self.data, "audit", "verify")[0], 0)
        self.assertStopsCleanly(server2)

    def test_sigterm_stops_the_server_with_exit_0(self):
        server, self.port = start_server(self, self.data)
        lib.wait_ready(server, self.port, self.data)
        self.assertTrue(server.running())
        self.assertStopsCleanly(server)
        self.assertIn("stopping", server.stderr())
        with self.assertRaises(OSError):
            lib.https_request(self.port, "/healthz", data_dir=self.data, timeout=2)


# ------------------------------------------------------------------------------------ development instance

class DevInstanceTests(Base):
    def test_development_instance_from_var(self):
        cwd = lib.temp_dir(self)
        self.data = os.path.join(cwd, "var")
        server, self.port = start_server(self, cwd=cwd)
        lib.wait_ready(server, self.port, self.data)
        out = lib.wait_for_output(server, "demo user:")
        m = re.search(r"(?m)^\s*demo user: demo\s+password: (\S+)$", out)
        self.assertIsNotNone(m, out)
        password = m.group(1)
        self.assertFalse(password.startswith("see"), out)

        pw_file = os.path.join(self.data, "demo-password")
        self.assertEqual(stat.S_IMODE(os.stat(pw_file).st_mode), 0o600)
        with open(pw_file) as f:
            self.assertEqual(f.read(), password + "\n")

        demo = ctl_json(self.data, "user", "show", "demo")
        self.assertEqual(demo["status"], "confirmed")
        self.assertEqual(demo["inn"], "500100732259")
        self.assertEqual(demo["snils"], "11223344595")
        self.assertEqual(demo["phone"], "+79123456789")
        sps = {s["entity_id"]: s for s in ctl_json(self.data, "sp", "list")}
        self.assertIn(lib.EXAMPLE_SP_ID, sps)
        self.assertIn("SP:        " + lib.EXAMPLE_SP_ID, out)
        self.assertIn("displayName", sps[lib.EXAMPLE_SP_ID]["release"])
        keys = ctl_json(self.data, "keys", "list")
        self.assertEqual(len(keys), 1)
        for text in (ctl_ok(self.data, "audit", "list", "--limit", "1000"), server.stderr()):
            self.assertNotIn(password, text, "the demo password is never logged")
        self.assertStopsCleanly(server)

        # Second start: no new password, no second key, no second demo user.
        server2, self.port = start_server(self, cwd=cwd)
        lib.wait_ready(server2, self.port, self.data)
        out2 = lib.wait_for_output(server2, "demo user:")
        self.assertIn("demo user: demo  password: see " + os.path.join("var", "demo-password"), out2)
        self.assertNotIn(password, out2)
        with open(pw_file) as f:
            self.assertEqual(f.read(), password + "\n")
        self.assertEqual(ctl_json(self.data, "keys", "list"), keys)
        self.assertEqual([u["login"] for u in ctl_json(self.data, "user", "list")], ["demo"])
        self.assertEqual(len(ctl_json(self.data, "sp", "list")), len(sps))
        self.assertStopsCleanly(server2)


# ------------------------------------------------------------------------------------ command line

class CommandLineTests(Base):
    def setUp(self):
        self.dir = lib.temp_dir(self)
        self.data = os.path.join(self.dir, "data")

    def test_check_config(self):
        port = lib.free_port()
        rc, out, err = lib.run([lib.PROPUSK, "--check-config", "--data", self.data, "--listen", f"127.0.0.1:{port}",
                                "--public-url", "https://idp.example.ru/"])
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK", out)
        self.assertIn(f"listen 127.0.0.1:{port}", out)
        self.assertIn("entityID https://idp.example.ru/saml/metadata", out)
        ctl_json(self.data, "init")
        rc, out, err = lib.run([lib.PROPUSK, "--check-config", "--data", self.data])
        self.assertEqual(rc, 0, err)

    def test_check_config_never_migrates_and_refuses_a_newer_store(self):
        import sqlite3
        ctl_json(self.data, "init")
        db = os.path.join(self.data, "propusk.db")
        with sqlite3.connect(db) as c:
            latest = c.execute("PRAGMA user_version").fetchone()[0]
            c.execute("PRAGMA user_version = 3")
        rc, out, err = lib.run([lib.PROPUSK, "--check-config", "--data", self.data])
        self.assertEqual(rc, 0, err)
        self.assertIn(f"store schema 3 ({latest - 3} migrations run at start)", out)
        with sqlite3.connect(db) as c:
            self.assertEqual(c.execute("PRAGMA user_version").fetchone()[0], 3)  # only looked
            c.execute(f"PRAGMA user_version = {latest + 1}")
        rc, out, err = lib.run([lib.PROPUSK, "--check-config", "--data", self.data])
        self.assertNotEqual(rc, 0)
        self.assertIn("newer than this build", err)

    def test_development_instance_refuses_a_public_address(self):
        rc, out, err = lib.run([lib.PROPUSK, "--listen", f"0.0.0.0:{lib.free_port()}"], cwd=self.dir, timeout=20)
        self.assertNotEqual(rc, 0)
        self.assertIn("loopback only", err)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "var")))

    def test_bad_configuration_is_one_line_and_non_zero(self):
        bad_key = lib.write(os.path.join(self.dir, "bad.ini"), "[server]\nlisten = 127.0.0.1:1\nlistne = x\n")
        cases = [
            (["--config", "/nonexistent/propusk.ini"], "/nonexistent/propusk.ini"),
            (["--config", bad_key], "server.listne"),
            (["--data", self.data, "--listen", "127.0.0.1"], "listen"),
            (["--data", self.data, "--public-url", "ftp://idp.example.ru"], "public-url"),
            (["--data", self.data, "--config", bad_key], "not both"),
        ]
        for args, word in cases:
            with self.subTest(args=args):
                rc, out, err = lib.run([lib.PROPUSK, *args], cwd=self.dir, timeout=20)
                self.assertNotEqual(rc, 0)
                lines = err.strip().splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn(word, lines[0])
        self.assertFalse(os.path.exists(self.data))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "var")))

    def test_config_file_with_command_line_override(self):
        config_port, port = lib.free_port(), lib.free_port()
        ini = lib.write(os.path.join(self.dir, "propusk.ini"),
                        f"[store]\ndata_dir = data\n[server]\nlisten = 127.0.0.1:{config_port}\n"
                        f"public_url = https://idp.example.test\n")
        server = lib.Server(["--config", ini, "--listen", f"127.0.0.1:{port}"], cwd=self.dir, workdir=self.dir)
        self.addCleanup(server.stop)
        server.start()
        lib.wait_ready(server, port, self.data)
        self.port = port
        _, root = self.metadata()
        self.assertEqual(root.get("entityID"), "https://idp.example.test/saml/metadata")
        self.assertTrue(os.path.exists(lib.store_file(self.data)))
        self.assertStopsCleanly(server)

    def test_want_authn_requests_signed_is_published_and_enforced(self):
        import base64, datetime, zlib, urllib.parse
        port = lib.free_port()
        ini = lib.write(os.path.join(self.dir, "propusk.ini"),
                        f"[store]\ndata_dir = data\n[server]\nlisten = 127.0.0.1:{port}\n"
                        f"public_url = https://127.0.0.1:{port}\n[saml]\nwant_authn_requests_signed = true\n")
        ctl_json(self.data, "init")
        sp = lib.write(os.path.join(self.dir, "sp.xml"),
                       '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.test/sp">'
                       '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                       '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
                       'Location="https://sp.test/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>')
        ctl_ok(self.data, "sp", "add", sp)
        server = lib.Server(["--config", ini], cwd=self.dir, workdir=self.dir)
        self.addCleanup(server.stop)
        server.start()
        lib.wait_ready(server, port, self.data)
        self.port = port
        _, root = self.metadata()
        self.assertEqual(root.find("md:IDPSSODescriptor", NS).get("WantAuthnRequestsSigned"), "true")
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        xml = ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
               'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_u1" Version="2.0" '
               f'IssueInstant="{now}"><saml:Issuer>https://sp.test/sp</saml:Issuer></samlp:AuthnRequest>')
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        q = urllib.parse.urlencode({"SAMLRequest": base64.b64encode(c.compress(xml.encode()) + c.flush()).decode()})
        r = self.get("/saml/sso?" + q)
        self.assertEqual(r.status, 400)  # the SP itself does not sign, but the IdP requires it
        events = ctl_json(self.data, "audit", "list")
        refused = [e for e in events if e["action"] == "authn-request.refused"]
        self.assertTrue(refused and '"step":"signature"' in refused[-1]["details"], refused)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""`samlflow login` against an IdP that is not Propusk: Debian's pysaml2 (saml2.server.Server)
behind a small loopback HTTP server of this test's own. Its login page is deliberately unlike
Propusk's: other input names and order (password before login, a decoy text input first),
extra hidden fields (ticket, nonce), a select, a checkbox and two named submit buttons, a
relative action and a session cookie — every one of which the server checks. pysaml2 signs
the Response and the Assertion (RSA-SHA256 via xmlsec1), or one of them as other IdPs do;
samlflow verifies them as a strict SP. Other IdPs' habits can be switched on: a POST form
that always posts a RelayState field, no Destination on an unsigned Response, hundreds of
attribute values, base64 in 76-character lines.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_samlflow_pysaml2_idp.py -v
"""

import base64
import hashlib
import hmac
import html
import http.server
import json
import os
import re
import secrets
import shutil
import struct
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402

SAMLFLOW = os.path.join(lib.BIN_DIR, "samlflow")
XMLSEC1 = "/usr/bin/xmlsec1"
SP_ENTITY = "https://sp.samlflow.test/metadata"
SP_ACS = "https://sp.samlflow.test/acs"
USER, PASSWORD = "petrov", "Parol-Petrova-7"
IDENTITY = {"givenName": ["Пётр"], "sn": ["Петров"], "mail": ["petrov@example.org"], "displayName": ["Петров Пётр"]}

LOGIN_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>pysaml2 test IdP</title></head><body>
<form action="/search" method="get"><input type="search" name="q" placeholder="Search the portal"></form>
<div class="box">{error}
<form method="POST" action="authenticate" id="auth">
  <input type="hidden" name="ticket" value="{ticket}">
  <input type="text" name="captcha_hint" value="" placeholder="leave empty">
  <label>Secret <input type="password" name="credential"></label>
  <label>Account <input type="text" name="ident_login" autocomplete="off"></label>
  <input type="hidden" name="nonce" value="{nonce}">
  <select name="lang"><option value="en">English</option><option value="ru" selected>Русский</option></select>
  <input type="checkbox" name="trust_device" value="yes" checked>
  <button type="submit" name="action" value="signin">Sign in</button>
  <button type="submit" name="action" value="cancel">Cancel</button>
</form></div></body></html>
"""


# The second factor page: its own names again (the code input is found by autocomplete).
CODE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Second factor</title></head><body>{error}
<form method="POST" action="verify-code"><input type="hidden" name="ticket" value="{ticket}">
  <label>Label for this device <input type="text" name="device_label" value=""></label>
  <label>Code <input type="text" name="c" inputmode="numeric" autocomplete="one-time-code"></label>
  <button type="submit" name="go" value="1">Verify</button>
</form></body></html>
"""
TOTP_SECRET_B32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# The POST form of an IdP built on pysaml2 that renders the form itself, as djangosaml2idp
# does (its login.html), or of pysaml2 before 4.6 (its pull request #502): the RelayState
# field is always there, "" when the request had none (pysaml2 < 4.6: "None" for None).
POST_FORM_WITH_RELAY_STATE = """<!DOCTYPE html>
<html><head><title>SAML 2.0 POST</title></head><body onload="document.forms[0].submit()">
<form method="post" action="{action}">
  <input type="hidden" name="RelayState" value="{relay_state}">
  <input type="hidden" name="SAMLResponse" value="{saml_response}">
  <noscript><input type="submit" value="Continue"></noscript>
</form></body></html>
"""


def totp_now(secret_b32, at=None, step=30, digits=6):
    """RFC 6238 with the standard library: the test's own, independent of samlflow's."""
    key = base64.b32decode(secret_b32)
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(code).zfill(digits)


class TestIdp:
    """pysaml2's IdP behind http.server on 127.0.0.1 (a thread of this process, shut down
    by the test's cleanup)."""

    def __init__(self, directory, sp_metadata):
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.metadata import create_metadata_string
        from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
        from saml2.server import Server
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

        self.pending = {}  # ticket -> (request, relay_state, cookie, nonce)
        self.awaiting_code = {}  # ticket -> the same, after the password, before the code
        self.require_totp = False
        self.relay_state_when_none = None  # a string: posted as RelayState when the request had none
        self.sign_response, self.sign_assertion = True, True
        self.omit_destination = False  # drop the (unsigned) Response's Destination
        self.extra_identity = {}  # attributes released on top of IDENTITY
        self.wrap_base64 = False  # SAMLResponse in 76-character lines, CR LF written as &#13;&#10;
        self.codes_accepted = 0
        self.requests_seen = []  # (binding, signed) as pysaml2 parsed them
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.entity_id = self.base + "/idp/metadata"
        key, cert = lib.openssl_key_cert(directory, "pysaml2-idp", cn="pysaml2 test IdP")
        config = IdPConfig()
        config.load({
            "entityid": self.entity_id,
            "xmlsec_binary": XMLSEC1,
            "key_file": key,
            "cert_file": cert,
            "metadata": {"local": [sp_metadata]},
            "accepted_time_diff": 60,
            "service": {"idp": {
                "name": "pysaml2 test IdP",
                "endpoints": {"single_sign_on_service": [(self.base + "/sso/redirect", BINDING_HTTP_REDIRECT),
                                                         (self.base + "/sso/post", BINDING_HTTP_POST)]},
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_URI}},
                "name_id_format": [NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_PERSISTENT],
                "sign_response": True,
                "sign_assertion": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }},
        })
        self.server = Server(config=config)
        self.metadata = create_metadata_string(None, config=config)
        self.bindings = {"/sso/redirect": BINDING_HTTP_REDIRECT, "/sso/post": BINDING_HTTP_POST}
        self.BINDING_HTTP_POST = BINDING_HTTP_POST
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)

    def respond(self, req, relay_state):
        from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
        args = self.server.response_args(req.message, [self.BINDING_HTTP_POST])
        resp = self.server.create_authn_response(
            {**IDENTITY, **self.extra_identity}, userid=USER,
            authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": self.entity_id},
            sign_response=self.sign_response, sign_assertion=self.sign_assertion, sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256, in_response_to=args["in_response_to"], destination=args["destination"],
            sp_entity_id=args["sp_entity_id"], name_id_policy=args["name_id_policy"])
        if self.omit_destination:
            assert not self.sign_response, "a signed Response must keep its Destination (bindings 3.5.5.2)"
            resp = re.sub(r'^(<\?xml[^>]*>\s*)?(<[^>]*?) Destination="[^"]*"', r"\1\2", str(resp), count=1)
        if not relay_state and self.relay_state_when_none is not None:
            return POST_FORM_WITH_RELAY_STATE.format(
                action=html.escape(args["destination"]), relay_state=html.escape(self.relay_state_when_none),
                saml_response=base64.b64encode(str(resp).encode("utf-8")).decode("ascii"))
        http_args = self.server.apply_binding(self.BINDING_HTTP_POST, str(resp), args["destination"], relay_state,
                                              response=True)
        if self.wrap_base64:
            b64 = base64.b64encode(str(resp).encode("utf-8")).decode("ascii")
            assert f'value="{b64}"' in http_args["data"]
            lines = "&#13;&#10;".join(b64[i:i + 76] for i in range(0, len(b64), 76))
            return http_args["data"].replace(f'value="{b64}"', f'value="{lines}&#13;&#10;"')
        return http_args["data"]

    def _handler(self):
        idp = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def send_page(self, status, body, cookie=None, content_type="text/html; charset=utf-8"):
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                if cookie:
                    self.send_header("Set-Cookie", f"tidp_session={cookie}; Path=/; HttpOnly; SameSite=Lax")
                self.end_headers()
                self.wfile.write(data)

            def form(self):
                n = int(self.headers.get("Content-Length") or 0)
                return urllib.parse.parse_qs(self.rfile.read(n).decode("utf-8"), keep_blank_values=True)

            def cookie(self):
                for part in (self.headers.get("Cookie") or "").split(";"):
                    k, _, v = part.strip().partition("=")
                    if k == "tidp_session":
                        return v
                return None

            def login_page(self, ticket, error="", cookie=None):
                _, _, _, nonce = idp.pending[ticket]
                err = f'<div class="error">{html.escape(error)}</div>' if error else ""
                self.send_page(200, LOGIN_PAGE.format(error=err, ticket=ticket, nonce=nonce), cookie=cookie)

            def start_sso(self, binding, fields):
                saml_request = fields["SAMLRequest"][0]
                relay_state = fields.get("RelayState", [""])[0]
                req = idp.server.parse_authn_request(saml_request, binding)  # POST: signature verified here
                idp.requests_seen.append((binding, req.message.signature is not None))
                ticket, cookie, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12), secrets.token_hex(8)
                idp.pending[ticket] = (req, relay_state, cookie, nonce)
                self.login_page(ticket, cookie=cookie)

            def do_GET(self):  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/idp/metadata":
                    self.send_page(200, idp.metadata, content_type="application/samlmetadata+xml")
                elif url.path == "/sso/redirect":
                    self.start_sso(idp.bindings[url.path], urllib.parse.parse_qs(url.query))
                else:
                    self.send_page(404, "not found")

            def do_POST(self):  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                fields = self.form()
                if url.path == "/sso/post":
                    return self.start_sso(idp.bindings[url.path], fields)
                if url.path == "/sso/verify-code":
                    return self.verify_code(fields)
                if url.path != "/sso/authenticate":
                    return self.send_page(404, "not found")
                ticket = fields.get("ticket", [""])[0]
                if ticket not in idp.pending:
                    return self.send_page(400, "<p>unknown ticket</p>")
                req, relay_state, cookie, nonce = idp.pending[ticket]
                want = {"nonce": nonce, "lang": "ru", "trust_device": "yes", "action": "signin", "captcha_hint": ""}
                got = {k: fields.get(k, [None])[0] for k in want}
                if self.cookie() != cookie or got != want:
                    return self.send_page(400, f"<p>form tampered: {html.escape(repr(got))}</p>")
                if fields.get("ident_login", [""])[0] != USER or fields.get("credential", [""])[0] != PASSWORD:
                    return self.login_page(ticket, error="Invalid credentials")
                if idp.require_totp:
                    idp.awaiting_code[ticket] = idp.pending.pop(ticket)
                    return self.send_page(200, CODE_PAGE.format(error="", ticket=ticket))
                del idp.pending[ticket]
                self.send_page(200, idp.respond(req, relay_state))

            def verify_code(self, fields):
                ticket = fields.get("ticket", [""])[0]
                if ticket not in idp.awaiting_code:
                    return self.send_page(400, "<p>unknown ticket</p>")
                req, relay_state, cookie, _ = idp.awaiting_code[ticket]
                if self.cookie() != cookie or fields.get("go", [None])[0] != "1":
                    return self.send_page(400, "<p>form tampered</p>")
                code = fields.get("c", [""])[0]
                now = time.time()
                if code not in {totp_now(TOTP_SECRET_B32, now + d) for d in (-30, 0, 30)}:
                    return self.send_page(200, CODE_PAGE.format(error='<p role="alert">Wrong code</p>', ticket=ticket))
                del idp.awaiting_code[ticket]
                idp.codes_accepted += 1
                self.send_page(200, idp.respond(req, relay_state))

            def log_message(self, *a):
                pass

        return Handler


class Pysaml2IdpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(SAMLFLOW, os.X_OK):
            raise AssertionError(f"{SAMLFLOW} not found: build the samlflow target")
        cls.tmp = tempfile.mkdtemp(prefix="propusk-it-sf-pysaml2-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.sp = os.path.join(cls.tmp, "sp")
        for args in (["sp-keys", "--out", cls.sp],
                     ["sp-metadata", "--sp", cls.sp, "--entity-id", SP_ENTITY, "--acs", SP_ACS]):
            rc, out, err = lib.run([SAMLFLOW] + args)
            assert rc == 0, err
        cls.idp = TestIdp(cls.tmp, os.path.join(cls.sp, "sp-metadata.xml"))
        cls.addClassCleanup(cls.idp.stop)

    def login(self, *extra, password=PASSWORD):
        return lib.run([SAMLFLOW, "login", "--idp-metadata", self.idp.base + "/idp/metadata", "--sp", self.sp,
                        "--user", USER, "--password-stdin", *extra], input=password + "\n", timeout=90)

    def test_redirect_login_reads_pysaml2_attributes(self):
        rc, out, err = self.login("--json")
        self.assertEqual(rc, 0, err + out)
        j = json.loads(out)
        self.assertEqual(j["result"], "success")
        self.assertEqual(j["idp"], self.idp.entity_id)
        self.assertEqual(j["issuer"], self.idp.entity_id)
        attrs = {a["name"]: a["values"] for a in j["attributes"]}
        self.assertEqual(attrs["urn:oid:2.5.4.4"], ["Петров"])
        self.assertEqual(attrs["urn:oid:2.5.4.42"], ["Пётр"])
        self.assertEqual(attrs["urn:oid:0.9.2342.19200300.100.1.3"], ["petrov@example.org"])
        checks = {c["check"]: c for c in j["checks"]}
        self.assertIn("Response signed by CN=pysaml2 test IdP", checks["signature"]["detail"])
        self.assertIn("Assertion signed by", checks["signature"]["detail"])
        for name in ("recipient", "in-response-to", "audience", "time-window", "destination"):
            self.assertEqual(checks[name]["result"], "ok", checks[name])

    def test_post_binding_signed_request_and_relay_state(self):
        rc, out, err = self.login("--binding", "post", "--relay-state", "back/to?x=1")
        self.assertEqual(rc, 0, err + out)
        self.assertIn("sn (urn:oid:2.5.4.4): Петров", out)
        self.assertRegex(out, r"(?m)^ok\s+relay-state\s+returned unchanged")
        # pysaml2 parsed (and, being signed, verified) the POSTed AuthnRequest.
        self.assertIn(("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", True), self.idp.requests_seen)

    def test_empty_relay_state_when_none_was_sent(self):
        self.addCleanup(setattr, self.idp, "relay_state_when_none", None)
        self.idp.relay_state_when_none = ""
        rc, out, err = self.login()
        self.assertEqual(rc, 0, err + out)
        self.assertRegex(out, r"(?m)^skipped\s+relay-state\s+none sent; the IdP posted an empty RelayState, taken as none$")
        rc, out, err = self.login("--json")
        self.assertEqual(rc, 0, err + out)
        checks = {c["check"]: c for c in json.loads(out)["checks"]}
        self.assertEqual(checks["relay-state"]["result"], "skipped")
        self.assertIn("empty RelayState", checks["relay-state"]["detail"])
        # A non-empty one we never sent still fails: pysaml2 before 4.6 posted "None".
        self.idp.relay_state_when_none = "None"
        rc, out, err = self.login()
        self.assertEqual(rc, 4, err + out)
        self.assertEqual(err.strip(), 'samlflow: relay-state: the IdP returned a RelayState we never sent: "None"')
        self.assertRegex(out, r"(?m)^FAILED\s+relay-state\s+")

    def test_hundreds_of_attribute_values(self):
        # pysaml2 declares xmlns:xs on every AttributeValue (OpenSAML declares xsd and xsi):
        # 300 entitlements are 300 declarations, more than the parser's default 256.
        self.addCleanup(setattr, self.idp, "extra_identity", {})
        entitlements = [f"urn:mace:example.org:entitlement:{i:03d}" for i in range(300)]
        self.idp.extra_identity = {"eduPersonEntitlement": entitlements}
        rc, out, err = self.login("--json")
        self.assertEqual(rc, 0, err + out)
        j = json.loads(out)
        attrs = {a["name"]: a["values"] for a in j["attributes"]}
        self.assertEqual(attrs["urn:oid:1.3.6.1.4.1.5923.1.1.1.7"], entitlements)
        self.assertEqual(j["sp_name_qualifier"], SP_ENTITY)  # read again from the same large Response

    def test_base64_in_lines(self):
        # Base64 in RFC 2045's layout (76-character lines, CR LF), as MIME encoders (.NET's
        # InsertLineBreaks, Java's getMimeEncoder) write it; line breaks are not base64 data.
        self.addCleanup(setattr, self.idp, "wrap_base64", False)
        self.idp.wrap_base64 = True
        rc, out, err = self.login()
        self.assertEqual(rc, 0, err + out)
        self.assertIn("sn (urn:oid:2.5.4.4): Петров", out)

    def test_response_or_assertion_signed_alone(self):
        # Shibboleth IdP's default signs the Response only (signResponses true, signAssertions
        # false); others sign the Assertion only, and the unsigned Response may then omit its
        # Destination (bindings 3.5.5.2 requires it only of a signed one).
        self.addCleanup(setattr, self.idp, "sign_response", True)
        self.addCleanup(setattr, self.idp, "sign_assertion", True)
        self.addCleanup(setattr, self.idp, "omit_destination", False)
        for sign_response, omit_destination, signature, destination in (
                (True, False, "Response signed by CN=pysaml2 test IdP", "Destination " + SP_ACS),
                (False, True, "Assertion signed by CN=pysaml2 test IdP", "no Destination (unsigned Response)")):
            with self.subTest(sign_response=sign_response):
                self.idp.sign_response, self.idp.sign_assertion = sign_response, not sign_response
                self.idp.omit_destination = omit_destination
                rc, out, err = self.login("--json")
                self.assertEqual(rc, 0, err + out)
                checks = {c["check"]: c for c in json.loads(out)["checks"]}
                self.assertEqual(checks["signature"]["detail"], signature)
                self.assertEqual(checks["destination"]["detail"], destination)

    def test_totp_second_factor(self):
        self.idp.require_totp = True
        self.addCleanup(setattr, self.idp, "require_totp", False)
        accepted = self.idp.codes_accepted
        rc, out, err = self.login("--totp-secret", TOTP_SECRET_B32.lower())
        self.assertEqual(rc, 0, err + out)
        self.assertEqual(self.idp.codes_accepted, accepted + 1)
        self.assertIn("sn (urn:oid:2.5.4.4): Петров", out)
        # without a secret: one clear line; with another secret: the IdP asks again (exit 5)
        rc, out, err = self.login()
        self.assertEqual(rc, 1, err + out)
        self.assertIn("second-factor: the IdP asks for a one-time code; give --totp-secret", err)
        rc, out, err = self.login("--totp-secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        self.assertEqual(rc, 5, err + out)
        self.assertIn("asked for the one-time code again (Wrong code)", err)
        rc, out, err = self.login("--totp-secret", "not base32!")
        self.assertEqual(rc, 1, err + out)
        self.assertIn("totp-secret: not a base32 secret", err)

    def test_wrong_password_on_a_foreign_form(self):
        rc, out, err = self.login(password="not-the-password")
        self.assertEqual(rc, 5, err + out)
        self.assertIn("login form again (Invalid credentials)", err)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""HTTP-level tests of Single Logout (issue 5): /saml/slo (HTTP-Redirect and HTTP-POST),
/saml/soap (SOAP back channel, both directions) and /logout (IdP-initiated), driven as a
browser and as SPs would, over HTTPS on a free loopback port.

SPs are registered from metadata made here (tests/data/integration/slo-sp-template.xml) with
keys made per run by openssl. LogoutRequests and LogoutResponses are built from string
templates; Redirect queries are signed with `openssl dgst`, POST and SOAP messages with
`xmlsec1 --sign`; what the IdP sends is checked with the certificate from its /saml/metadata
(`openssl dgst -verify` for Redirect queries, `xmlsec1 --verify` for XML signatures). The
SPs' SOAP SingleLogoutService is a small http.server on a loopback port in this process.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_slo.py -v
"""

import base64
import datetime
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import new_id, now_utc, xs_time, xml_attr as esc  # noqa: E402
from propusk_testlib import PASSWORD, ctl_ok  # noqa: E402
# The browser, form parser and AuthnRequest helpers of the SSO tests.
from test_sso import (Browser, authn_request, decode_response, openssl_sign, q,  # noqa: E402
                      snils_with_checksum, deflate, SIGNATURE_TEMPLATE, RSA_SHA256, RSA_SHA1)
from test_sso import redirect_query as sso_redirect_query  # noqa: E402

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS, "md": "urn:oasis:names:tc:SAML:2.0:metadata", "soap": SOAP_ENV}
ST = "urn:oasis:names:tc:SAML:2.0:status:"
SUCCESS, REQUESTER, RESPONDER = ST + "Success", ST + "Requester", ST + "Responder"
REQUEST_DENIED, PARTIAL_LOGOUT = ST + "RequestDenied", ST + "PartialLogout"
BINDING = {
    "Redirect": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
    "POST": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
    "SOAP": "urn:oasis:names:tc:SAML:2.0:bindings:SOAP",
}
ID_ATTR = {
    "LogoutRequest": "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
    "LogoutResponse": "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
}
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
REASON_USER = "urn:oasis:names:tc:SAML:2.0:logout:user"
REASON_ADMIN = "urn:oasis:names:tc:SAML:2.0:logout:admin"

USER = "ivanov"
OTHER_USER = "petrov"

# The SPs (name -> SingleLogoutService list: (binding, Location, ResponseLocation or None)).
# "@SOAP@" stands for this test's SOAP server; "key": whether the metadata has a signing key.
SP_SPECS = {
    # The SP that starts most logouts: both front-channel bindings; Redirect with a
    # ResponseLocation (where its LogoutResponse must go).
    "sp-a": {"slo": [("Redirect", "https://sp-a.test/slo/redirect", "https://sp-a.test/slo/redirect-response"),
                     ("POST", "https://sp-a.test/slo/post", None)]},
    "sp-r": {"slo": [("Redirect", "https://sp-r.test/slo", None)]},
    "sp-p": {"slo": [("POST", "https://sp-p.test/slo", None)]},
    # SOAP preferred over its front-channel endpoint
    "sp-soap": {"slo": [("Redirect", "https://sp-soap.test/slo", None), ("SOAP", "@SOAP@/sp-soap", None)]},
    "sp-soap-slow": {"slo": [("SOAP", "@SOAP@/sp-soap-slow", None)]},
    "sp-soap-500": {"slo": [("SOAP", "@SOAP@/sp-soap-500", None)]},
    "sp-soap-badsig": {"slo": [("SOAP", "@SOAP@/sp-soap-badsig", None)]},
    "sp-none": {"slo": []},
    "sp-nokey": {"slo": [("Redirect", "https://sp-nokey.test/slo", None)], "key": False},
    # removed from the registry in the middle of a logout
    "sp-zgone": {"slo": [("Redirect", "https://sp-zgone.test/slo", None)]},
    # a display name with markup, shown on the signed-out page
    "sp-html": {"slo": [], "display": "Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"},
}
SOAP_SLOW_SECONDS = 8  # past the IdP's 5 s SOAP timeout (LogoutSettings::soapTimeout)


def entity(sp):
    return f"https://{sp}.test/sp"


def acs(sp):
    return f"https://{sp}.test/acs"


def display_name(sp):
    return f"Service {sp}"




def pem_body(cert_path):
    with open(cert_path, encoding="ascii") as f:
        return "".join(line for line in f.read().splitlines() if "-----" not in line)


# ---------------------------------------------------------------- messages

class Participation:
    """What an SP received in its Assertion: the NameID (value and attributes) and SessionIndex."""

    def __init__(self, sp, name_id, name_id_attrs, session_index):
        self.sp = sp
        self.name_id = name_id
        self.name_id_attrs = name_id_attrs
        self.session_index = session_index

    def __repr__(self):
        return f"Participation({self.sp}, {self.name_id!r}, {self.session_index!r})"


def logout_request(issuer, destination, name_id, name_id_attrs=None, session_indexes=(), req_id=None,
                   issue_instant=None, not_on_or_after=None, signature_alg=None):
    req_id = req_id or new_id()
    attrs = [f'ID="{req_id}"', 'Version="2.0"', f'IssueInstant="{xs_time(issue_instant or now_utc())}"',
             f'Reason="{REASON_USER}"']
    if destination is not None:
        attrs.append(f'Destination="{esc(destination)}"')
    if not_on_or_after is not None:
        attrs.append(f'NotOnOrAfter="{xs_time(not_on_or_after)}"')
    body = f"<saml:Issuer>{esc(issuer)}</saml:Issuer>"
    if signature_alg:
        body += SIGNATURE_TEMPLATE.format(alg=signature_alg, id=req_id)
    nid_attrs = "".join(f' {k}="{esc(v)}"' for k, v in (name_id_attrs or {}).items())
    body += f"<saml:NameID{nid_attrs}>{esc(name_id)}</saml:NameID>"
    body += "".join(f"<samlp:SessionIndex>{esc(s)}</samlp:SessionIndex>" for s in session_indexes)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<samlp:LogoutRequest xmlns:samlp="{SAMLP}" '
            f'xmlns:saml="{SAML}" {" ".join(attrs)}>{body}</samlp:LogoutRequest>'), req_id


def logout_request_for(p, destination, **kw):
    """A LogoutRequest from p.sp naming exactly what p.sp received."""
    return logout_request(entity(p.sp), destination, p.name_id, p.name_id_attrs, [p.session_index], **kw)


def logout_response(issuer, destination, in_response_to, status=SUCCESS, second=None, resp_id=None,
                    signature_alg=None, issue_instant=None):
    resp_id = resp_id or new_id()
    attrs = [f'ID="{resp_id}"', 'Version="2.0"', f'IssueInstant="{xs_time(issue_instant or now_utc())}"']
    if destination is not None:
        attrs.append(f'Destination="{esc(destination)}"')
    if in_response_to is not None:
        attrs.append(f'InResponseTo="{esc(in_response_to)}"')
    body = f"<saml:Issuer>{esc(issuer)}</saml:Issuer>"
    if signature_alg:
        body += SIGNATURE_TEMPLATE.format(alg=signature_alg, id=resp_id)
    inner = f'<samlp:StatusCode Value="{second}"/>' if second else ""
    body += f'<samlp:Status><samlp:StatusCode Value="{status}">{inner}</samlp:StatusCode></samlp:Status>'
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<samlp:LogoutResponse xmlns:samlp="{SAMLP}" '
            f'xmlns:saml="{SAML}" {" ".join(attrs)}>{body}</samlp:LogoutResponse>'), resp_id


def redirect_query(param, xml, relay_state=None, key=None, alg=RSA_SHA256):
    """An HTTP-Redirect query (bindings §3.4.4.1), signed over the exact octets sent when `key`."""
    query = param + "=" + q(base64.b64encode(deflate(xml.encode("utf-8"))).decode())
    if relay_state is not None:
        query += "&RelayState=" + q(relay_state)
    if key:
        query += "&SigAlg=" + q(alg)
        query += "&Signature=" + q(base64.b64encode(openssl_sign(query.encode(), key, alg)).decode())
    return query


def sign_xml(directory, xml, key, cert, element):
    """An enveloped signature (the ds:Signature template already in `xml`) made by xmlsec1."""
    fd, tmpl = tempfile.mkstemp(suffix=".xml", dir=directory)
    os.close(fd)
    lib.write(tmpl, xml)
    out = tmpl + ".signed"
    rc, _, err = lib.run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}", "--id-attr:ID", ID_ATTR[element],
                          "--output", out, tmpl])
    if rc != 0:
        raise AssertionError(f"xmlsec1 --sign failed: {err}")
    with open(out, encoding="utf-8") as f:
        return f.read()


def xmlsec_verify_bytes(directory, data, cert, element):
    """(rc, stderr) of xmlsec1 --verify of a document holding a signed `element`."""
    fd, path = tempfile.mkstemp(suffix=".xml", dir=directory)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    rc, _, err = lib.run(["xmlsec1", "--verify", "--pubkey-cert-pem", cert, "--id-attr:ID", ID_ATTR[element], path])
    return rc, err


def soap_envelope(xml):
    if xml.startswith("<?xml"):
        xml = xml[xml.index("?>") + 2:].lstrip()
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
            f'{xml}</soap:Body></soap:Envelope>')


def status_of(root):
    top = root.find("samlp:Status/samlp:StatusCode", NS)
    second = top.find("samlp:StatusCode", NS)
    return top.get("Value"), (second.get("Value") if second is not None else None)


def split_query(url):
    """(URL before '?', [(name, raw value)]) keeping each value exactly as sent."""
    base, _, query = url.partition("?")
    pairs = []
    for part in query.split("&"):
        k, _, v = part.partition("=")
        pairs.append((k, v))
    return base, pairs


# ---------------------------------------------------------------- the SPs' SOAP endpoint

class SoapSps(lib.LoopbackHttpServer):
    """One loopback HTTP server standing in for every SOAP SingleLogoutService of the test SPs:
    POST /NAME. It checks the IdP's LogoutRequest (xmlsec1 --verify with the IdP's certificate)
    and answers per SP: sp-soap a LogoutResponse Success signed by its own key, sp-soap-slow
    nothing for SOAP_SLOW_SECONDS, sp-soap-500 HTTP 500, sp-soap-badsig Success signed with a
    key that is not in its metadata."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.keys = {}  # sp -> (key, cert)
        self.attacker = None
        self.idp_cert = None
        self.received = []
        self.lock = threading.Lock()
        self.release = threading.Event()  # set at shutdown: the slow SP stops waiting
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                try:
                    outer.handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *a):
                pass

        super().__init__(Handler)

    def stop(self):
        self.release.set()
        super().stop()

    def received_by(self, sp):
        with self.lock:
            return [r for r in self.received if r["sp"] == sp]

    def handle(self, h):
        sp = h.path.lstrip("/")
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        record = {"sp": sp, "content_type": h.headers.get("Content-Type"), "soap_action": h.headers.get("SOAPAction"),
                  "body": body, "verified": False, "request": None, "error": None}
        try:
            env = ET.fromstring(body)
            req = env.find("soap:Body/samlp:LogoutRequest", NS)
            record["request"] = req
            rc, err = xmlsec_verify_bytes(self.tmp, body, self.idp_cert, "LogoutRequest")
            refs = req.findall("ds:Signature/ds:SignedInfo/ds:Reference", NS)
            record["verified"] = rc == 0 and len(refs) == 1 and refs[0].get("URI") == "#" + req.get("ID")
            if rc != 0:
                record["error"] = err
        except Exception as e:  # recorded; the test looks at it
            record["error"] = repr(e)
        with self.lock:
            self.received.append(record)
        if sp == "sp-soap-slow":
            self.release.wait(SOAP_SLOW_SECONDS)
        if sp == "sp-soap-500" or record["request"] is None:
            return self.send(h, 500, b"<html>internal error</html>", "text/html")
        key, cert = self.attacker if sp == "sp-soap-badsig" else self.keys[sp]
        xml, _ = logout_response(entity(sp), None, record["request"].get("ID"), signature_alg=RSA_SHA256)
        signed = sign_xml(self.tmp, xml, key, cert, "LogoutResponse")
        self.send(h, 200, soap_envelope(signed).encode("utf-8"), "text/xml; charset=utf-8")

    @staticmethod
    def send(h, status, body, content_type):
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body)


# ---------------------------------------------------------------- fixture (one server per module)

class F:
    """The module's fixture: store, keys, SPs, the SOAP server and the IdP."""


def setUpModule():
    lib.require_binaries()
    F.tmp = tempfile.mkdtemp(prefix="propusk-it-slo-")
    unittest.addModuleCleanup(shutil.rmtree, F.tmp, ignore_errors=True)
    F.data = os.path.join(F.tmp, "data")
    F.port = lib.free_port()
    F.base = f"https://127.0.0.1:{F.port}"
    F.sso_url = F.base + "/saml/sso"
    F.slo_url = F.base + "/saml/slo"
    F.soap_url = F.base + "/saml/soap"
    F.idp_entity = F.base + "/saml/metadata"
    d = F.data
    ctl_ok(d, "init")
    for login, surname, snils in ((USER, "Иванов", "112233445"), (OTHER_USER, "Петров", "123456789")):
        ctl_ok(d, "user", "add", login, "--surname", surname, "--given-name", "Иван", "--snils",
               snils_with_checksum(snils), "--email", f"{login}@example.org", "--status", "standard",
               input=PASSWORD + "\n")

    F.soap = SoapSps(F.tmp).start()
    unittest.addModuleCleanup(F.soap.stop)
    F.soap.attacker = lib.openssl_key_cert(F.tmp, "attacker")
    with open(os.path.join(lib.DATA, "slo-sp-template.xml"), encoding="utf-8") as f:
        template = f.read()
    F.keys = {}
    for sp, spec in SP_SPECS.items():
        key_descriptor = ""
        if spec.get("key", True):
            F.keys[sp] = lib.openssl_key_cert(F.tmp, sp)
            F.soap.keys[sp] = F.keys[sp]
            key_descriptor = ('    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
                              f'{pem_body(F.keys[sp][1])}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
                              '</md:KeyDescriptor>')
        slo = ""
        for binding, location, response_location in spec["slo"]:
            location = location.replace("@SOAP@", F.soap.base)
            rl = f' ResponseLocation="{response_location}"' if response_location else ""
            slo += f'    <md:SingleLogoutService Binding="{BINDING[binding]}" Location="{location}"{rl}/>\n'
        text = (template.replace("@ENTITY_ID@", entity(sp))
                .replace("@DISPLAY_NAME@", spec.get("display", display_name(sp)))
                .replace("@ACS_LOCATION@", acs(sp)).replace("@KEY_DESCRIPTOR@", key_descriptor)
                .replace("@SLO_SERVICES@", slo))
        ctl_ok(d, "sp", "add", lib.write(os.path.join(F.tmp, sp + ".xml"), text))

    workdir = os.path.join(F.tmp, "logs")
    os.mkdir(workdir)
    # The test SPs' SOAP endpoints are on loopback, which the IdP refuses by default (SSRF).
    F.ini = lib.write(os.path.join(F.tmp, "propusk.ini"),
                      f"[store]\ndata_dir = {d}\n[server]\npublic_url = {F.base}\n"
                      "[logout]\nback_channel_private_networks = true\n")
    F.server = lib.Server(["--config", F.ini, "--listen", f"127.0.0.1:{F.port}"], workdir=workdir)
    unittest.addModuleCleanup(F.server.stop)
    F.server.start()
    lib.wait_ready(F.server, F.port)

    md = lib.https_request(F.port, "/saml/metadata")
    assert md.status == 200, md.status
    F.metadata = lib.parse_xml(md.body)
    cert = F.metadata.find("md:IDPSSODescriptor/md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS).text
    F.idp_cert = lib.write(os.path.join(F.tmp, "idp-cert.pem"), lib.pem_from_base64_der(cert))
    F.soap.idp_cert = F.idp_cert
    F.idp_pub = os.path.join(F.tmp, "idp-pub.pem")
    rc, out, err = lib.run(["openssl", "x509", "-pubkey", "-noout", "-in", F.idp_cert])
    assert rc == 0, err
    lib.write(F.idp_pub, out)


# ---------------------------------------------------------------- base class

class SloBase(unittest.TestCase):
    maxDiff = None

    def browser(self):
        return Browser(F.port)

    # -- SSO

    def sso(self, browser, sp, user=USER):
        """An AuthnRequest from `sp` (HTTP-Redirect, unsigned); logs in when asked.
        Returns (Participation, logged_in)."""
        xml, rid = authn_request(entity(sp), F.sso_url)
        page = browser.get("/saml/sso?" + sso_redirect_query(xml))
        logged_in = False
        if page.status == 303:
            loc = page.headers.get("Location") or ""
            self.assertIn("/login?flow=", loc, page.describe())
            login_page = browser.get(loc)
            form = [f for f in login_page.forms if f["action"] == "/login"][0]
            page = browser.post("/login", dict(form["fields"], username=user, password=PASSWORD))
            logged_in = True
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        self.assertEqual(form["action"], acs(sp))
        resp = decode_response(form)
        self.assertEqual(status_of(resp), (SUCCESS, None))
        nid = resp.find("saml:Assertion/saml:Subject/saml:NameID", NS)
        stmt = resp.find("saml:Assertion/saml:AuthnStatement", NS)
        self.assertEqual(nid.get("Format"), PERSISTENT)
        return Participation(sp, nid.text, dict(nid.attrib), stmt.get("SessionIndex")), logged_in

    def session_with(self, *sps, user=USER, browser=None):
        """A fresh browser logged in once and then at every SP in `sps` without a password."""
        b = browser or self.browser()
        parts = {}
        for i, sp in enumerate(sps):
            p, logged_in = self.sso(b, sp, user)
            self.assertEqual(logged_in, i == 0, f"{sp}: a login form only at the first SP")
            parts[sp] = p
        self.assertIsNotNone(b.cookie("propusk_session"))
        return b, parts

    def idp_session_alive(self, browser, sp="sp-r"):
        """Whether `browser` still has an IdP session: an AuthnRequest is answered at once."""
        xml, _ = authn_request(entity(sp), F.sso_url)
        page = browser.get("/saml/sso?" + sso_redirect_query(xml))
        if page.status == 303 and "/login?flow=" in (page.headers.get("Location") or ""):
            return False
        self.assertIsNotNone(page.saml_form(), page.describe())
        return True

    def live_session_indexes(self, user=USER):
        """Every SessionIndex of every live session of `user` (propuskctl session list)."""
        sessions = json.loads(ctl_ok(F.data, "session", "list", "--user", user, "--json"))
        return {p["session_index"] for s in sessions for p in s.get("participants", [])}

    def assertSessionGone(self, browser, parts):
        self.assertFalse(self.idp_session_alive(browser), "the IdP session must be over")
        self.assertEqual(self.live_session_indexes() & {p.session_index for p in parts.values()}, set())

    # -- the IdP's messages

    def verify_redirect(self, location, expected_base, param):
        """An HTTP-Redirect message from the IdP: goes to `expected_base`, query signed by the
        IdP's key (openssl dgst -verify) over the exact octets; returns (root, RelayState)."""
        base, pairs = split_query(location)
        self.assertEqual(base, expected_base, location)
        names = [k for k, _ in pairs]
        self.assertIn(names, ([param, "RelayState", "SigAlg", "Signature"], [param, "SigAlg", "Signature"]), location)
        values = dict(pairs)
        self.assertEqual(urllib.parse.unquote(values["SigAlg"]), RSA_SHA256)
        octets = "&".join(f"{k}={v}" for k, v in pairs if k != "Signature").encode()
        sig = os.path.join(F.tmp, "redirect.sig")
        with open(sig, "wb") as f:
            f.write(base64.b64decode(urllib.parse.unquote(values["Signature"])))
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", F.idp_pub, "-signature", sig],
                           input=octets, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, f"query signature does not verify: {p.stdout!r} {p.stderr!r}")
        xml = zlib.decompress(base64.b64decode(urllib.parse.unquote(values[param])), -15)
        root = ET.fromstring(xml)
        self.assertIsNone(root.find("ds:Signature", NS), "Redirect: the signature is in the query only")
        relay = urllib.parse.unquote(values["RelayState"]) if "RelayState" in values else None
        return root, relay

    def verify_post(self, page, expected_action, field):
        """An auto-POST form from the IdP: to `expected_action`, an enveloped signature by the
        IdP's key covering the message root; returns (root, RelayState or None, form)."""
        self.assertEqual(page.status, 200, page.describe())
        forms = [f for f in page.forms if field in f["fields"]]
        self.assertEqual(len(forms), 1, page.describe())
        form = forms[0]
        self.assertEqual(form["method"], "post")
        self.assertEqual(form["action"], expected_action)
        data = base64.b64decode(form["fields"][field], validate=True)
        root = ET.fromstring(data)
        element = root.tag.split("}")[1]
        rc, err = xmlsec_verify_bytes(F.tmp, data, F.idp_cert, element)
        self.assertEqual(rc, 0, err)
        refs = root.findall("ds:Signature/ds:SignedInfo/ds:Reference", NS)
        self.assertEqual([r.get("URI") for r in refs], ["#" + root.get("ID")])
        csp = page.headers.get("Content-Security-Policy") or ""
        origin = "https://" + urllib.parse.urlsplit(expected_action).netloc
        self.assertIn("form-action " + origin, csp)
        return root, form["fields"].get("RelayState"), form

    def assertIdpLogoutRequest(self, root, p, destination, reason=REASON_USER):
        """The IdP's LogoutRequest to p.sp names exactly what p.sp got in its Assertion."""
        self.assertEqual(root.tag, f"{{{SAMLP}}}LogoutRequest")
        self.assertEqual(root.get("Version"), "2.0")
        self.assertEqual(root.get("Reason"), reason)
        self.assertEqual(root.get("Destination"), destination)
        self.assertTrue(root.get("NotOnOrAfter"))
        self.assertEqual(root.find("saml:Issuer", NS).text, F.idp_entity)
        nid = root.find("saml:NameID", NS)
        self.assertEqual(nid.text, p.name_id)
        self.assertEqual(dict(nid.attrib), p.name_id_attrs)
        self.assertEqual([s.text for s in root.findall("samlp:SessionIndex", NS)], [p.session_index])

    def assertIdpLogoutResponse(self, root, in_response_to, destination, status=(SUCCESS, None)):
        self.assertEqual(root.tag, f"{{{SAMLP}}}LogoutResponse")
        self.assertEqual(root.get("InResponseTo"), in_response_to)
        self.assertEqual(root.get("Destination"), destination)
        self.assertEqual(root.find("saml:Issuer", NS).text, F.idp_entity)
        self.assertEqual(status_of(root), status)

    # -- what the SPs send

    def send_redirect(self, browser, param, xml, relay_state=None, sp=None, alg=RSA_SHA256):
        key = F.keys[sp][0] if sp else None
        return browser.get("/saml/slo?" + redirect_query(param, xml, relay_state, key, alg))

    def send_post(self, browser, param, xml, relay_state=None, sp=None, element=None):
        if sp:
            xml = sign_xml(F.tmp, xml, F.keys[sp][0], F.keys[sp][1], element)
        fields = {param: base64.b64encode(xml.encode("utf-8")).decode()}
        if relay_state is not None:
            fields["RelayState"] = relay_state
        return browser.post("/saml/slo", fields)

    def go_on_without_the_silent_sp(self, b, service):
        """Back at /logout while an SP has not answered: a page naming it, with a POST form
        (CSRF token) to go on; submitting it continues the logout."""
        page = b.get("/logout")
        self.assertEqual(page.status, 200, page.describe())
        self.assertIn(service, page.text)
        forms = [f for f in page.forms if f["action"] == "/logout" and "continue" in f["fields"]]
        self.assertEqual(len(forms), 1, page.describe())
        self.assertEqual(forms[0]["method"], "post")
        return b.post("/logout", forms[0]["fields"])

    def answer_redirect(self, browser, sp, request_root, relay_state, status=SUCCESS, in_response_to=None):
        xml, _ = logout_response(entity(sp), F.slo_url, in_response_to or request_root.get("ID"), status)
        return self.send_redirect(browser, "SAMLResponse", xml, relay_state, sp=sp)

    def answer_post(self, browser, sp, request_root, relay_state, status=SUCCESS):
        xml, _ = logout_response(entity(sp), F.slo_url, request_root.get("ID"), status, signature_alg=RSA_SHA256)
        return self.send_post(browser, "SAMLResponse", xml, relay_state, sp=sp, element="LogoutResponse")

    def soap_post(self, body, path="/saml/soap", content_type="text/xml; charset=utf-8"):
        return lib.https_request(F.port, path, "POST", body=body.encode("utf-8") if isinstance(body, str) else body,
                                 headers={"Content-Type": content_type,
                                          "SOAPAction": '"http://www.oasis-open.org/committees/security"'})

    # -- pages

    def assertRedirect(self, page):
        self.assertEqual(page.status, 303, page.describe())
        loc = page.headers.get("Location")
        self.assertTrue(loc, page.describe())
        return loc

    def assertErrorPage(self, page, status=400):
        self.assertEqual(page.status, status, page.describe())
        self.assertIsNone(page.headers.get("Location"))
        self.assertIn("text/html", page.headers.get("Content-Type") or "")
        self.assertRegex(page.text, r"[А-Яа-яЁё]{4,}")
        self.assertRegex(page.text, r"Reference: <code>[0-9a-f]{8,}</code>")
        self.assertNotIn("SAMLRequest", page.text)
        self.assertNotIn("SAMLResponse", page.text)
        self.assertEqual([f for f in page.forms if f["method"] == "post"], [])

    # -- audit

    def audit(self, since=0):
        events = json.loads(ctl_ok(F.data, "audit", "list", "--limit", "100000", "--json"))
        return sorted((e for e in events if e["seq"] > since), key=lambda e: e["seq"])

    def audit_head(self):
        events = self.audit()
        return max((e["seq"] for e in events), default=0)

    @staticmethod
    def details(e):
        return json.loads(e["details"]) if e.get("details") else {}

    def events(self, since, action, **match):
        out = []
        for e in self.audit(since):
            if e["action"] != action:
                continue
            if all((self.details(e).get(k[2:]) if k.startswith("d_") else e.get(k)) == v for k, v in match.items()):
                out.append(e)
        return out


# ---------------------------------------------------------------- SP-initiated, front channel

class FrontChannel(SloBase):

    def test_redirect_binding_reaches_the_other_sp_and_answers_the_first(self):
        b, parts = self.session_with("sp-a", "sp-r")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        relay_state = 'sp-a state & "x"=/é?'
        page = self.send_redirect(b, "SAMLRequest", xml, relay_state, sp="sp-a")

        # 1. the browser is sent to sp-r with the IdP's signed LogoutRequest
        req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
        self.assertIdpLogoutRequest(req, parts["sp-r"], "https://sp-r.test/slo")
        self.assertTrue(relay, "the IdP's LogoutRequest carries RelayState (the flow)")
        self.assertNotEqual(relay, relay_state)
        cleared = [c for c in page.headers.get_all("Set-Cookie") or [] if c.startswith("propusk_session=")]
        self.assertTrue(cleared, "the IdP session cookie is cleared at once")
        # the IdP session is over already, before any SP answers
        self.assertEqual(self.live_session_indexes() & {parts["sp-a"].session_index}, set())

        # 2. sp-r answers; the IdP answers sp-a at its ResponseLocation
        page = self.answer_redirect(b, "sp-r", req, relay)
        resp, back = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                          "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response")
        self.assertEqual(back, relay_state, "the initiator's RelayState comes back unchanged")
        self.assertSessionGone(b, parts)

        # 3. the audit trail, in order
        accepted = self.events(head, "logout.request.accepted", d_id=rid)
        self.assertEqual(len(accepted), 1, self.audit(head))
        self.assertEqual(accepted[0]["actor"], entity("sp-a"))
        self.assertIs(self.details(accepted[0]).get("signed"), True)
        ended = self.events(head, "session.logout", target=USER)
        self.assertEqual(len(ended), 1, self.audit(head))
        self.assertEqual(self.details(ended[0])["participants"], 2)
        propagated = self.events(head, "logout.propagate")
        self.assertEqual([(e["target"], e["outcome"], self.details(e)["channel"]) for e in propagated],
                         [(entity("sp-r"), "ok", "redirect")])
        complete = self.events(head, "logout.complete")
        self.assertEqual([(e["actor"], e["target"], e["outcome"]) for e in complete], [(USER, entity("sp-a"), "ok")])
        seqs = [accepted[0]["seq"], ended[0]["seq"], propagated[0]["seq"], complete[0]["seq"]]
        self.assertEqual(seqs, sorted(seqs))
        ctl_ok(F.data, "audit", "verify")

    def test_post_binding_both_ways(self):
        b, parts = self.session_with("sp-a", "sp-p")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url, signature_alg=RSA_SHA256)
        page = self.send_post(b, "SAMLRequest", xml, "post-state", sp="sp-a", element="LogoutRequest")

        req, relay, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
        self.assertIdpLogoutRequest(req, parts["sp-p"], "https://sp-p.test/slo")
        self.assertTrue(relay)

        page = self.answer_post(b, "sp-p", req, relay)
        # the request came over POST, so the answer prefers sp-a's POST endpoint
        resp, back, _ = self.verify_post(page, "https://sp-a.test/slo/post", "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/post")
        self.assertEqual(back, "post-state")
        self.assertSessionGone(b, parts)
        self.assertEqual([(e["target"], e["outcome"], self.details(e)["channel"])
                          for e in self.events(head, "logout.propagate")], [(entity("sp-p"), "ok", "post")])
        self.assertEqual([e["outcome"] for e in self.events(head, "logout.complete")], ["ok"])

    def test_three_sps_one_after_another(self):
        b, parts = self.session_with("sp-a", "sp-r", "sp-p")
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml, sp="sp-a")
        seen = []
        for _ in range(2):
            if page.status == 303:
                req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
                seen.append("sp-r")
                page = self.answer_redirect(b, "sp-r", req, relay)
            else:
                req, relay, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
                seen.append("sp-p")
                page = self.answer_post(b, "sp-p", req, relay)
        self.assertEqual(sorted(seen), ["sp-p", "sp-r"])
        resp, back = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                          "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response")
        self.assertIsNone(back, "no RelayState came with the request, none goes back")

    def test_sp_answering_an_error_status_makes_it_partial(self):
        b, parts = self.session_with("sp-a", "sp-r")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        req, relay = self.verify_redirect(self.assertRedirect(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a")),
                                          "https://sp-r.test/slo", "SAMLRequest")
        page = self.answer_redirect(b, "sp-r", req, relay, status=RESPONDER)
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                       "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response", (SUCCESS, PARTIAL_LOGOUT))
        self.assertEqual([(e["target"], e["outcome"]) for e in self.events(head, "logout.propagate")],
                         [(entity("sp-r"), "failed")])
        self.assertEqual([e["outcome"] for e in self.events(head, "logout.complete")], ["partial"])

    def test_sp_without_slo_endpoint_is_partial_not_an_error(self):
        b, parts = self.session_with("sp-a", "sp-none")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml, "st", sp="sp-a")
        resp, back = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                          "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response", (SUCCESS, PARTIAL_LOGOUT))
        self.assertEqual(back, "st")
        self.assertSessionGone(b, parts)
        self.assertEqual([(e["target"], e["outcome"], self.details(e)["channel"])
                          for e in self.events(head, "logout.propagate")], [(entity("sp-none"), "unreachable", "none")])
        self.assertEqual([e["outcome"] for e in self.events(head, "logout.complete")], ["partial"])

    def test_only_sp_in_the_session_gets_success(self):
        b, parts = self.session_with("sp-a")
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url, signature_alg=RSA_SHA256)
        page = self.send_post(b, "SAMLRequest", xml, sp="sp-a", element="LogoutRequest")
        resp, back, form = self.verify_post(page, "https://sp-a.test/slo/post", "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/post")
        self.assertNotIn("RelayState", form["fields"])
        self.assertSessionGone(b, parts)

    def test_without_the_idp_cookie_the_session_is_found_by_name_id(self):
        b, parts = self.session_with("sp-a", "sp-r")
        other = self.browser()  # the SP's cookie outlived the IdP's, or another browser
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_redirect(other, "SAMLRequest", xml, sp="sp-a")
        req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
        self.assertIdpLogoutRequest(req, parts["sp-r"], "https://sp-r.test/slo")
        page = self.answer_redirect(other, "sp-r", req, relay)
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                       "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response")
        self.assertSessionGone(b, parts)

    def test_no_live_session_is_success(self):
        b, parts = self.session_with("sp-a")
        first, _ = logout_request_for(parts["sp-a"], F.slo_url)
        self.assertRedirect(self.send_redirect(b, "SAMLRequest", first, sp="sp-a"))
        # the SP asks again (say, a second tab): nothing left to end, still Success
        again, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", again, sp="sp-a")
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                       "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response")

    def test_person_back_at_logout_while_the_other_sp_has_not_answered(self):
        b, parts = self.session_with("sp-a", "sp-r")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        self.verify_redirect(self.assertRedirect(self.send_redirect(b, "SAMLRequest", xml, "st", sp="sp-a")),
                             "https://sp-r.test/slo", "SAMLRequest")
        self.assertTrue(b.cookie("propusk_logout"))
        # sp-r never answers; the person opens /logout and goes on
        page = self.go_on_without_the_silent_sp(b, "sp-r")
        resp, back = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                          "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response", (SUCCESS, PARTIAL_LOGOUT))
        self.assertEqual(back, "st")
        self.assertEqual([(e["target"], e["outcome"]) for e in self.events(head, "logout.propagate")],
                         [(entity("sp-r"), "failed")])

    def test_only_the_browser_that_logs_out_can_drive_its_flow(self):
        """The flow id travels to every SP as RelayState. Knowing it (sp-b does) must not let
        anybody skip an SP at /logout, nor post sp-b's own answer from elsewhere and receive
        the next SP's LogoutRequest (review finding: flow hijack)."""
        b, parts = self.session_with("sp-a", "sp-r", "sp-p")
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml, "a-state", sp="sp-a")
        first_to_r = page.status == 303
        if first_to_r:
            req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
        else:
            req, relay, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
        cookie = b.cookie("propusk_logout")
        # The cookie names the flow and holds its secret; the RelayState the SP saw is neither.
        self.assertTrue(cookie and "." in cookie and len(cookie) > 40, cookie)
        self.assertNotIn(relay, cookie)
        # an attacker's client: the RelayState as the cookie, or no cookie at all
        for forged in (relay, relay + ".guess", None):
            evil = self.browser()
            if forged is not None:
                evil.set_cookie("propusk_logout", forged)
            page = evil.get("/logout")
            self.assertEqual(page.status, 200, page.describe())
            self.assertEqual([f for f in page.forms if "continue" in f["fields"]], [], page.describe())
            page = evil.post("/logout", {"continue": "1", "csrf": "x"})
            self.assertEqual(page.status, 403, page.describe())
            waiting = "sp-r" if first_to_r else "sp-p"
            page = (self.answer_redirect(evil, waiting, req, relay) if first_to_r
                    else self.answer_post(evil, waiting, req, relay))
            self.assertErrorPage(page)
        # the real browser still can
        page = (self.answer_redirect(b, "sp-r", req, relay) if first_to_r else self.answer_post(b, "sp-p", req, relay))
        self.assertIn(page.status, (200, 303), page.describe())
        self.assertNotIn("Reference:", page.text)

    def test_answer_falls_back_to_the_binding_the_sp_has(self):
        """sp-p asks over HTTP-Redirect but has only an HTTP-POST SingleLogoutService."""
        b, parts = self.session_with("sp-p", "sp-r")
        xml, rid = logout_request_for(parts["sp-p"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml, "fallback", sp="sp-p")
        req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
        resp, back, _ = self.verify_post(self.answer_redirect(b, "sp-r", req, relay), "https://sp-p.test/slo",
                                         "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-p.test/slo")
        self.assertEqual(back, "fallback")
        self.assertSessionGone(b, parts)

    def test_initiator_without_slo_endpoint_gets_the_signed_out_page(self):
        """An SP with no SingleLogoutService that still sends a LogoutRequest: the session
        ends, the others are told, and the person sees the signed-out page (no error page)."""
        b, parts = self.session_with("sp-none", "sp-soap")
        head = self.audit_head()
        xml, _ = logout_request_for(parts["sp-none"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml, sp="sp-none")
        self.assertEqual(page.status, 200, page.describe())
        self.assertIn("You are signed out", page.text)
        self.assertRegex(page.text, r"Service sp-soap — выход выполнен")
        self.assertSessionGone(b, parts)
        self.assertEqual([(e["target"], e["outcome"]) for e in self.events(head, "logout.complete")],
                         [(entity("sp-none"), "ok")])

    def test_unsigned_request_from_sp_without_key_is_accepted(self):
        b, parts = self.session_with("sp-nokey", "sp-r")
        xml, rid = logout_request_for(parts["sp-nokey"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml)  # no key in its metadata: unsigned is fine
        req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
        page = self.answer_redirect(b, "sp-r", req, relay)
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-nokey.test/slo", "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-nokey.test/slo")
        self.assertSessionGone(b, parts)

    def test_session_index_is_per_session_and_sp_and_names_the_session(self):
        """A repeat login at an SP in one IdP session gets the same SessionIndex (the session's
        record is not rewritten); another SP and another session get others; the SP's unsigned
        LogoutRequest naming it ends that session and no other."""
        b, parts = self.session_with("sp-nokey", "sp-r")
        again, logged_in = self.sso(b, "sp-nokey")
        self.assertFalse(logged_in)
        self.assertEqual(again.session_index, parts["sp-nokey"].session_index)
        self.assertEqual(again.name_id, parts["sp-nokey"].name_id)
        self.assertRegex(again.session_index, r"^_[0-9a-f]{40}$")
        self.assertNotEqual(parts["sp-r"].session_index, parts["sp-nokey"].session_index)
        b2, parts2 = self.session_with("sp-nokey")
        self.assertNotEqual(parts2["sp-nokey"].session_index, parts["sp-nokey"].session_index)

        xml, rid = logout_request_for(again, F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml)
        req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
        page = self.answer_redirect(b, "sp-r", req, relay)
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-nokey.test/slo", "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-nokey.test/slo")
        self.assertSessionGone(b, parts)
        self.assertTrue(self.idp_session_alive(b2, "sp-nokey"), "the other session is untouched")


# ---------------------------------------------------------------- an SP's bad answer never strands the browser

class BadAnswers(SloBase):
    """Issue 13.1: during a front-channel logout, whatever the SP the browser was sent to
    answers (refused, unreadable, another request's answer, an error status), the logout goes
    on to the next SP and ends with the initiator's LogoutResponse, PartialLogout, and the audit
    names what that SP did wrong."""

    def start(self):
        """sp-a logs out; the browser is first sent to sp-r (Redirect) or sp-p (POST)."""
        b, parts = self.session_with("sp-a", "sp-r", "sp-p")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml, "a-state", sp="sp-a")
        if page.status == 303:
            req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
            return b, head, rid, "sp-r", req, relay
        req, relay, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
        return b, head, rid, "sp-p", req, relay

    def finish(self, b, page, first):
        """The browser goes on to the other SP, which answers properly; returns sp-a's answer."""
        other = "sp-p" if first == "sp-r" else "sp-r"
        if other == "sp-r":
            req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
            page = self.answer_redirect(b, "sp-r", req, relay)
        else:
            req, relay, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
            page = self.answer_post(b, "sp-p", req, relay)
        return self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                    "SAMLResponse")

    def bad_answers(self, first, req, relay):
        """name -> (query sent to /saml/slo, the step the audit must name)."""
        sp = first
        good, _ = logout_response(entity(sp), F.slo_url, req.get("ID"))
        b64 = base64.b64encode(deflate(b"<samlp:LogoutResponse xmlns:samlp='urn:x'>not SAML")).decode()
        return {
            "unreadable (not base64)": ("SAMLResponse=" + q("!!!*") + "&RelayState=" + q(relay), "binding"),
            "not a LogoutResponse": ("SAMLResponse=" + q(b64) + "&RelayState=" + q(relay), "parse"),
            "unsigned": (redirect_query("SAMLResponse", good, relay), "signature"),
            "signed with RSA-SHA1": (redirect_query("SAMLResponse", good, relay, F.keys[sp][0], RSA_SHA1), "signature"),
            "signed by another key": (redirect_query("SAMLResponse", good, relay, F.keys["sp-none"][0]), "signature"),
            "another request's answer": (redirect_query("SAMLResponse", logout_response(
                entity(sp), F.slo_url, "_not-ours")[0], relay, F.keys[sp][0]), "in-response-to"),
            "an error status": (redirect_query("SAMLResponse", logout_response(
                entity(sp), F.slo_url, req.get("ID"), RESPONDER)[0], relay, F.keys[sp][0]), None),
        }

    def test_every_bad_answer_is_partial_and_the_logout_goes_on(self):
        first_pass = self.start()
        names = list(self.bad_answers(first_pass[3], first_pass[4], first_pass[5]))
        for i, name in enumerate(names):
            with self.subTest(name):
                b, head, rid, first, req, relay = first_pass if i == 0 else self.start()
                query, step = self.bad_answers(first, req, relay)[name]
                page = b.get("/saml/slo?" + query)
                self.assertIn(page.status, (200, 303), page.describe())
                self.assertNotIn("Reference:", page.text, "an error page stranded the browser")
                resp, back = self.finish(b, page, first)
                self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response",
                                             (SUCCESS, PARTIAL_LOGOUT))
                self.assertEqual(back, "a-state")
                propagated = {e["target"]: e for e in self.events(head, "logout.propagate")}
                self.assertEqual(propagated[entity(first)]["outcome"], "failed")
                other = "sp-p" if first == "sp-r" else "sp-r"
                self.assertEqual(propagated[entity(other)]["outcome"], "ok")
                detail = self.details(propagated[entity(first)])["detail"]
                if step:
                    self.assertIn("step " + step, detail)
                    refused = self.events(head, "logout.response.refused")
                    self.assertEqual([self.details(e)["step"] for e in refused], [step], refused)
                else:
                    self.assertIn("Responder", detail)
                if name == "signed with RSA-SHA1":
                    self.assertIn("--allow-sha1", self.details(refused[0]).get("remedy", ""))
                self.assertEqual([e["outcome"] for e in self.events(head, "logout.complete")], ["partial"])
        ctl_ok(F.data, "audit", "verify")

    def test_an_sp_whose_turn_is_over_cannot_skip_the_next(self):
        """Review finding: with one RelayState for the whole flow, an SP that had its turn (or a
        script on its page) could end the next SP's turn with any garbage. Each SP's turn now
        has a RelayState of its own."""
        b, head, rid, first, req, relay = self.start()
        page = (self.answer_redirect(b, first, req, relay) if first == "sp-r"
                else self.answer_post(b, first, req, relay))
        second = "sp-p" if first == "sp-r" else "sp-r"
        if second == "sp-r":
            req2, relay2 = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
        else:
            req2, relay2, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
        self.assertNotEqual(relay2, relay)
        # The first SP replays its own RelayState with garbage: refused, the second SP still awaited.
        self.assertErrorPage(b.get("/saml/slo?SAMLResponse=" + q("!!!*") + "&RelayState=" + q(relay)))
        self.assertEqual([e["target"] for e in self.events(head, "logout.propagate")], [entity(first)])
        page = (self.answer_redirect(b, second, req2, relay2) if second == "sp-r"
                else self.answer_post(b, second, req2, relay2))
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                       "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response")
        self.assertEqual({e["outcome"] for e in self.events(head, "logout.propagate")}, {"ok"})

    def test_valid_answer_without_our_relay_state_still_counts(self):
        """An SP that drops RelayState (bindings §3.4.3 says it must return it) but answers our
        request, signed: tied to the flow by InResponseTo, confirmed."""
        b, head, rid, first, req, relay = self.start()
        good, _ = logout_response(entity(first), F.slo_url, req.get("ID"))
        page = b.get("/saml/slo?" + redirect_query("SAMLResponse", good, None, F.keys[first][0]))
        resp, _ = self.finish(b, page, first)
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response")
        self.assertEqual({e["outcome"] for e in self.events(head, "logout.propagate")}, {"ok"})

    def test_another_page_cannot_make_the_browser_skip_an_sp(self):
        """The browser's logout cookie goes along with any request; without the flow's RelayState
        (or the request ID in a valid answer) a message cannot end the awaited SP's turn."""
        b, head, rid, first, req, relay = self.start()
        for query in ("SAMLResponse=" + q("!!!*"), "SAMLResponse=" + q("!!!*") + "&RelayState=" + q("guess"),
                      redirect_query("SAMLResponse", logout_response(entity(first), F.slo_url, "_x")[0], "guess")):
            self.assertErrorPage(b.get("/saml/slo?" + query))
        self.assertEqual(self.events(head, "logout.propagate"), [])
        # the SP's real answer still continues the flow, and nothing was marked failed
        page = (self.answer_redirect(b, first, req, relay) if first == "sp-r"
                else self.answer_post(b, first, req, relay))
        resp, _ = self.finish(b, page, first)
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response")

# ---------------------------------------------------------------- back channel (SOAP)

class BackChannel(SloBase):

    def test_soap_sp_reached_without_the_browser(self):
        b, parts = self.session_with("sp-a", "sp-soap")
        head = self.audit_head()
        before = len(F.soap.received_by("sp-soap"))
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml, "soap-state", sp="sp-a")
        # straight back to sp-a: sp-soap was told over SOAP during this request
        resp, back = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                          "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response")
        self.assertEqual(back, "soap-state")
        calls = F.soap.received_by("sp-soap")[before:]
        self.assertEqual(len(calls), 1)
        call = calls[0]
        self.assertTrue(call["verified"], call["error"])
        self.assertTrue((call["content_type"] or "").startswith("text/xml"), call["content_type"])
        self.assertIdpLogoutRequest(call["request"], parts["sp-soap"], F.soap.base + "/sp-soap")
        self.assertSessionGone(b, parts)
        self.assertEqual([(e["target"], e["outcome"], self.details(e)["channel"])
                          for e in self.events(head, "logout.propagate")], [(entity("sp-soap"), "ok", "soap")])
        self.assertEqual([e["outcome"] for e in self.events(head, "logout.complete")], ["ok"])

    def test_soap_sp_answering_500_or_a_bad_signature_is_partial(self):
        b, parts = self.session_with("sp-a", "sp-soap-500", "sp-soap-badsig", "sp-soap")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_redirect(b, "SAMLRequest", xml, sp="sp-a")
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                       "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response", (SUCCESS, PARTIAL_LOGOUT))
        self.assertSessionGone(b, parts)
        outcomes = {e["target"]: e["outcome"] for e in self.events(head, "logout.propagate")}
        self.assertEqual(outcomes, {entity("sp-soap-500"): "failed", entity("sp-soap-badsig"): "failed",
                                    entity("sp-soap"): "ok"})
        self.assertEqual([e["outcome"] for e in self.events(head, "logout.complete")], ["partial"])
        self.assertTrue(F.server.running())

    def test_soap_sp_not_answering_in_time_is_partial(self):
        """sp-soap-slow holds the SOAP call past the IdP's 5 s timeout. The same wait also
        covers an SP removed from the registry while a logout is under way: sp-zgone is
        removed just before the logout starts and is still in the IdP's SP cache (re-read
        every 5 s); by the time the browser would be sent to it, it is gone: unreachable."""
        b, parts = self.session_with("sp-a", "sp-soap-slow", "sp-zgone")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        ctl_ok(F.data, "sp", "remove", entity("sp-zgone"))
        try:
            t0 = time.monotonic()
            page = self.send_redirect(b, "SAMLRequest", xml, sp="sp-a")
            took = time.monotonic() - t0
        finally:
            ctl_ok(F.data, "sp", "add", os.path.join(F.tmp, "sp-zgone.xml"))
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                       "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response", (SUCCESS, PARTIAL_LOGOUT))
        self.assertLess(took, SOAP_SLOW_SECONDS - 0.5, "the IdP must give up before the SP answers")
        self.assertSessionGone(b, parts)
        self.assertEqual({e["target"]: e["outcome"] for e in self.events(head, "logout.propagate")},
                         {entity("sp-soap-slow"): "failed", entity("sp-zgone"): "unreachable"})

    def test_soap_logout_request_from_an_sp(self):
        """SP-initiated back-channel logout at /saml/soap: no cookie, the session is found by
        NameID + SessionIndex; the other SOAP SP is reached; a signed Success comes back."""
        b, parts = self.session_with("sp-a", "sp-soap")
        head = self.audit_head()
        before = len(F.soap.received_by("sp-soap"))
        xml, rid = logout_request_for(parts["sp-a"], F.soap_url, signature_alg=RSA_SHA256)
        signed = sign_xml(F.tmp, xml, *F.keys["sp-a"], "LogoutRequest")
        r = self.soap_post(soap_envelope(signed))
        self.assertEqual(r.status, 200, r.text)
        self.assertTrue((r.headers.get("Content-Type") or "").startswith("text/xml"))
        rc, err = xmlsec_verify_bytes(F.tmp, r.body, F.idp_cert, "LogoutResponse")
        self.assertEqual(rc, 0, err)
        resp = ET.fromstring(r.body).find("soap:Body/samlp:LogoutResponse", NS)
        self.assertIsNotNone(resp, r.text)
        self.assertEqual(resp.get("InResponseTo"), rid)
        self.assertEqual(resp.find("saml:Issuer", NS).text, F.idp_entity)
        self.assertEqual(status_of(resp), (SUCCESS, None))
        self.assertEqual(len(F.soap.received_by("sp-soap")[before:]), 1)
        self.assertTrue(F.soap.received_by("sp-soap")[-1]["verified"])
        self.assertSessionGone(b, parts)
        accepted = self.events(head, "logout.request.accepted", d_id=rid)
        self.assertEqual(len(accepted), 1)
        self.assertEqual(self.details(accepted[0]).get("binding"), "soap")
        self.assertEqual([e["outcome"] for e in self.events(head, "logout.complete")], ["ok"])

    def test_soap_logout_response_has_no_empty_destination(self):
        """A SOAP answer goes back on the same connection: no Destination attribute at all
        (an empty one was written before)."""
        _, parts = self.session_with("sp-a")
        xml, _ = logout_request_for(parts["sp-a"], F.soap_url, signature_alg=RSA_SHA256)
        r = self.soap_post(soap_envelope(sign_xml(F.tmp, xml, *F.keys["sp-a"], "LogoutRequest")))
        resp = ET.fromstring(r.body).find("soap:Body/samlp:LogoutResponse", NS)
        self.assertIsNone(resp.get("Destination"))

    def test_soap_logout_request_with_front_channel_only_sp_is_partial(self):
        b, parts = self.session_with("sp-a", "sp-r")
        xml, rid = logout_request_for(parts["sp-a"], F.soap_url, signature_alg=RSA_SHA256)
        r = self.soap_post(soap_envelope(sign_xml(F.tmp, xml, *F.keys["sp-a"], "LogoutRequest")))
        self.assertEqual(r.status, 200, r.text)
        resp = ET.fromstring(r.body).find("soap:Body/samlp:LogoutResponse", NS)
        self.assertEqual(status_of(resp), (SUCCESS, PARTIAL_LOGOUT))
        self.assertSessionGone(b, parts)


# ---------------------------------------------------------------- operator (propuskctl session kill)

class OperatorKill(SloBase):

    def test_session_kill_propagates_over_the_back_channel(self):
        b, parts = self.session_with("sp-soap", "sp-r")
        before = len(F.soap.received_by("sp-soap"))
        sessions = json.loads(ctl_ok(F.data, "session", "list", "--user", USER, "--json"))
        mine = [s for s in sessions if parts["sp-r"].session_index in
                {p["session_index"] for p in s.get("participants", [])}]
        self.assertEqual(len(mine), 1, sessions)
        # propuskctl must know the server's public URL (its entityID is the Issuer of the
        # LogoutRequests it sends): the same settings, as a config file
        rc, out, err = lib.ctl(None, "--config", F.ini, "session", "kill", mine[0]["id"], "--json")
        self.assertEqual(rc, 0, err)
        killed = json.loads(out)
        self.assertEqual(len(killed), 1, killed)
        self.assertIs(killed[0]["complete"], False)  # sp-r has only a front channel
        outcomes = {t["sp"]: (t["channel"], t["outcome"]) for t in killed[0]["participants"]}
        self.assertEqual(outcomes, {entity("sp-soap"): ("soap", "done"), entity("sp-r"): ("redirect", "unreachable")})
        calls = F.soap.received_by("sp-soap")[before:]
        self.assertEqual(len(calls), 1)
        self.assertTrue(calls[0]["verified"], calls[0]["error"])
        self.assertIdpLogoutRequest(calls[0]["request"], parts["sp-soap"], F.soap.base + "/sp-soap", REASON_ADMIN)
        self.assertSessionGone(b, parts)


# ---------------------------------------------------------------- IdP-initiated (/logout)

class IdpInitiated(SloBase):

    def confirm_form(self, b):
        page = b.get("/logout")
        self.assertEqual(page.status, 200, page.describe())
        forms = [f for f in page.forms if f["action"] == "/logout"]
        self.assertEqual(len(forms), 1, page.describe())
        self.assertEqual(forms[0]["method"], "post")
        csrf = forms[0]["fields"].get("csrf")
        self.assertTrue(csrf and len(csrf) >= 16)
        cookies = page.set_cookies("propusk_logout_csrf")
        self.assertEqual(len(cookies), 1, page.headers)
        flags = [p.strip().lower() for p in cookies[0].split(";")[1:]]
        for flag in ("httponly", "secure", "samesite=strict", "path=/logout"):
            self.assertIn(flag, flags)
        self.assertEqual(b.cookie("propusk_logout_csrf"), csrf)
        return csrf

    def test_logout_page_csrf_then_every_sp_then_signed_out_page(self):
        b, parts = self.session_with("sp-r", "sp-p", "sp-soap", "sp-none")
        head = self.audit_head()
        csrf = self.confirm_form(b)
        # forged or stale forms change nothing
        for name, fields in (("no csrf", {}), ("wrong csrf", {"csrf": "x" * len(csrf)})):
            with self.subTest(name):
                page = b.post("/logout", fields)
                self.assertEqual(page.status, 403, page.describe())
                self.assertTrue(self.idp_session_alive(b, "sp-r"))
        other = self.browser()  # the token without its cookie
        self.assertEqual(other.post("/logout", {"csrf": csrf}).status, 403)
        self.assertTrue(self.idp_session_alive(b, "sp-r"))
        parts["sp-r"] = self.sso(b, "sp-r")[0]  # the liveness checks re-issued sp-r's assertion

        page = b.post("/logout", {"csrf": csrf})
        pending = {"sp-r", "sp-p"}
        for _ in range(2):
            if page.status == 303:
                req, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
                self.assertIdpLogoutRequest(req, parts["sp-r"], "https://sp-r.test/slo")
                pending.remove("sp-r")
                page = self.answer_redirect(b, "sp-r", req, relay)
            else:
                req, relay, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
                self.assertIdpLogoutRequest(req, parts["sp-p"], "https://sp-p.test/slo")
                pending.remove("sp-p")
                page = self.answer_post(b, "sp-p", req, relay)
        self.assertEqual(pending, set())
        # the signed-out page: every service, and whether it confirmed
        self.assertEqual(page.status, 200, page.describe())
        self.assertIn("Signed out", page.text + page.headers.get("Content-Type", ""))
        for sp in ("sp-r", "sp-p", "sp-soap"):
            self.assertRegex(page.text, rf"Service {sp} — выход выполнен")
        self.assertRegex(page.text, r"Service sp-none — <b>не подтвердил выход</b>")
        self.assertSessionGone(b, parts)
        complete = self.events(head, "logout.complete")
        self.assertEqual([(e["actor"], e["target"], e["outcome"]) for e in complete], [(USER, "idp", "partial")])
        outcomes = {e["target"]: e["outcome"] for e in self.events(head, "logout.propagate")}
        self.assertEqual(outcomes, {entity("sp-r"): "ok", entity("sp-p"): "ok", entity("sp-soap"): "ok",
                                    entity("sp-none"): "unreachable"})
        self.assertEqual(len(self.events(head, "logout.csrf-refused")), 3)

    def test_signed_out_page_escapes_service_names(self):
        b, _ = self.session_with("sp-html")
        page = b.post("/logout", {"csrf": self.confirm_form(b)})
        self.assertEqual(page.status, 200, page.describe())
        self.assertNotIn("<script>", page.text)
        self.assertIn("Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co", page.text)
        self.assertIn("default-src 'none'", page.headers.get("Content-Security-Policy") or "")

    def test_back_at_logout_while_an_sp_has_not_answered(self):
        b, parts = self.session_with("sp-r", "sp-p")
        head = self.audit_head()
        page = b.post("/logout", {"csrf": self.confirm_form(b)})
        if page.status == 303:
            first, relay = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
            waiting, other = "sp-r", "sp-p"
        else:
            first, relay, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
            waiting, other = "sp-p", "sp-r"
        self.assertTrue(b.cookie("propusk_logout"), "the flow is remembered for /logout")
        # the SP never answers; the person comes back to /logout and goes on
        page = self.go_on_without_the_silent_sp(b, waiting)
        if other == "sp-r":
            req, relay2 = self.verify_redirect(self.assertRedirect(page), "https://sp-r.test/slo", "SAMLRequest")
            page = self.answer_redirect(b, "sp-r", req, relay2)
        else:
            req, relay2, _ = self.verify_post(page, "https://sp-p.test/slo", "SAMLRequest")
            page = self.answer_post(b, "sp-p", req, relay2)
        self.assertNotEqual(relay2, relay, "each SP's turn has a RelayState of its own")
        self.assertEqual(page.status, 200, page.describe())
        self.assertRegex(page.text, rf"Service {other} — выход выполнен")
        self.assertRegex(page.text, rf"Service {waiting} — <b>не подтвердил выход</b>")
        self.assertIsNone(b.cookie("propusk_logout"), "the finished flow's cookie is cleared")
        outcomes = {e["target"]: e["outcome"] for e in self.events(head, "logout.propagate")}
        self.assertEqual(outcomes, {entity(waiting): "failed", entity(other): "ok"})
        # a late answer from the first SP finds no flow: a page, not a crash
        late = self.answer_redirect(b, waiting, first, relay) if waiting == "sp-r" else \
            self.answer_post(b, waiting, first, relay)
        self.assertErrorPage(late)
        self.assertSessionGone(b, parts)

    def test_not_signed_in(self):
        page = self.browser().get("/logout")
        self.assertEqual(page.status, 200, page.describe())
        self.assertIn("You are not signed in", page.text)
        self.assertEqual([f for f in page.forms if f["action"] == "/logout"], [])


# ---------------------------------------------------------------- metadata

class Metadata(SloBase):

    def test_idp_metadata_publishes_slo_endpoints(self):
        """By default only the front-channel endpoints are listed (issue 18: pysaml2 picks SOAP
        whenever listed and cannot verify the answer); /saml/soap answers all the same (the
        SOAP tests above post to it)."""
        slo = {(e.get("Binding"), e.get("Location"))
               for e in F.metadata.findall("md:IDPSSODescriptor/md:SingleLogoutService", NS)}
        self.assertEqual(slo, {(BINDING["Redirect"], F.slo_url), (BINDING["POST"], F.slo_url)})


# ---------------------------------------------------------------- bad input

class BadInput(SloBase):

    def assertRefusal(self, page, rid, relay_state=None, status=(REQUESTER, REQUEST_DENIED)):
        """A signed LogoutResponse with the refusal, to sp-a's metadata endpoint."""
        resp, back = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                          "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response", status)
        self.assertEqual(back, relay_state)

    def assertRefusedAt(self, head, rid, step):
        refused = self.events(head, "logout.request.refused", d_id=rid)
        self.assertEqual([self.details(e)["step"] for e in refused], [step], self.audit(head))
        self.assertEqual(self.events(head, "session.logout"), [])

    def test_unsigned_request_from_sp_with_a_key(self):
        b, parts = self.session_with("sp-a", "sp-r")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, "rs"), rid, "rs")
        self.assertRefusedAt(head, rid, "signature")
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        page = self.send_post(b, "SAMLRequest", xml)  # unsigned POST
        resp, _, _ = self.verify_post(page, "https://sp-a.test/slo/post", "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/post", (REQUESTER, REQUEST_DENIED))
        self.assertTrue(self.idp_session_alive(b))

    def test_signed_by_another_key_or_sha1(self):
        b, parts = self.session_with("sp-a")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        forged = b.get("/saml/slo?" + redirect_query("SAMLRequest", xml, None, F.keys["sp-r"][0]))
        self.assertRefusal(forged, rid)
        self.assertRefusedAt(head, rid, "signature")
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a", alg=RSA_SHA1), rid)
        self.assertTrue(self.idp_session_alive(b))

    def test_unknown_issuer_gets_an_error_page(self):
        b, parts = self.session_with("sp-a")
        head = self.audit_head()
        xml, rid = logout_request("https://unknown.test/sp", F.slo_url, parts["sp-a"].name_id,
                                  parts["sp-a"].name_id_attrs, [parts["sp-a"].session_index])
        self.assertErrorPage(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a"))
        self.assertRefusedAt(head, rid, "issuer")
        self.assertTrue(self.idp_session_alive(b))

    def test_wrong_destination(self):
        b, parts = self.session_with("sp-a")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], "https://elsewhere.test/saml/slo")
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a"), rid)
        self.assertRefusedAt(head, rid, "destination")
        # the SOAP endpoint is not the front-channel one either
        xml, rid = logout_request_for(parts["sp-a"], F.soap_url)
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a"), rid)
        self.assertTrue(self.idp_session_alive(b))

    def test_expired_request(self):
        b, parts = self.session_with("sp-a")
        head = self.audit_head()
        old = now_utc() - datetime.timedelta(minutes=30)
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url, issue_instant=old)
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a"), rid)
        self.assertRefusedAt(head, rid, "freshness")
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url,
                                      not_on_or_after=now_utc() - datetime.timedelta(minutes=10))
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a"), rid)
        self.assertRefusedAt(head, rid, "not-on-or-after")
        self.assertTrue(self.idp_session_alive(b))

    def test_replayed_id(self):
        head = self.audit_head()
        b = self.browser()
        xml, rid = logout_request(entity("sp-a"), F.slo_url, "no-such-name-id", {"Format": PERSISTENT})
        query = "/saml/slo?" + redirect_query("SAMLRequest", xml, None, F.keys["sp-a"][0])
        self.assertRefusal(b.get(query), rid, status=(SUCCESS, None))  # nothing to end: Success
        self.assertRefusal(b.get(query), rid)
        self.assertEqual([self.details(e)["step"] for e in self.events(head, "logout.request.refused", d_id=rid)],
                         ["replay"])

    def test_another_users_name_id_with_this_browsers_cookie(self):
        b, parts = self.session_with("sp-a", "sp-r")
        victim, vparts = self.session_with("sp-a", user=OTHER_USER)
        head = self.audit_head()
        xml, rid = logout_request_for(vparts["sp-a"], F.slo_url)  # names petrov's session at sp-a
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a"), rid)
        refused = self.events(head, "logout.request.refused", d_id=rid)
        self.assertEqual(len(refused), 1, self.audit(head))
        self.assertEqual(self.details(refused[0])["step"], "session")
        self.assertEqual(refused[0]["actor"], USER)
        self.assertEqual(self.events(head, "session.logout"), [])
        self.assertTrue(self.idp_session_alive(victim, "sp-a"), "the other user's session stays")
        self.assertTrue(self.idp_session_alive(b), "and so does this browser's")
        # the right NameID but another SessionIndex than this browser's: refused too
        xml, rid = logout_request(entity("sp-a"), F.slo_url, parts["sp-a"].name_id, parts["sp-a"].name_id_attrs,
                                  ["_not-this-session"])
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a"), rid)

    def test_another_users_name_id_when_this_browser_never_reached_the_sp(self):
        b, _ = self.session_with("sp-r")  # ivanov, never at sp-a
        victim, vparts = self.session_with("sp-a", user=OTHER_USER)
        head = self.audit_head()
        xml, rid = logout_request_for(vparts["sp-a"], F.slo_url)
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a"), rid)
        self.assertEqual([self.details(e)["step"] for e in self.events(head, "logout.request.refused", d_id=rid)],
                         ["session"])
        self.assertEqual(self.events(head, "session.logout"), [])
        self.assertTrue(self.idp_session_alive(victim, "sp-a"))

    def test_logout_response_without_a_flow(self):
        b = self.browser()
        head = self.audit_head()
        xml, resp_id = logout_response(entity("sp-r"), F.slo_url, "_never-sent")
        for relay in ("x" * 32, None):
            with self.subTest(relay=relay):
                self.assertErrorPage(self.send_redirect(b, "SAMLResponse", xml, relay, sp="sp-r"))
                xml, resp_id = logout_response(entity("sp-r"), F.slo_url, "_never-sent")
        self.assertTrue(self.events(head, "logout.response.refused"))

    def test_logout_response_not_answering_our_request(self):
        """An answer naming another request, or coming from an SP the browser was not sent to,
        confirms nothing: that SP is not reached, the flow goes on, sp-a gets PartialLogout."""
        for case in ("other InResponseTo", "another SP's answer"):
            with self.subTest(case):
                b, parts = self.session_with("sp-a", "sp-r")
                head = self.audit_head()
                xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
                req, relay = self.verify_redirect(self.assertRedirect(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a")),
                                                  "https://sp-r.test/slo", "SAMLRequest")
                if case == "other InResponseTo":
                    page = self.answer_redirect(b, "sp-r", req, relay, in_response_to="_something-else")
                else:
                    page = self.answer_redirect(b, "sp-p", req, relay)
                resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                               "SAMLResponse")
                self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response",
                                             (SUCCESS, PARTIAL_LOGOUT))
                refused = self.events(head, "logout.response.refused")
                self.assertEqual([self.details(e)["step"] for e in refused], ["in-response-to"])
                propagated = self.events(head, "logout.propagate")
                self.assertEqual([(e["target"], e["outcome"]) for e in propagated], [(entity("sp-r"), "failed")])
                self.assertIn("in-response-to", self.details(propagated[0])["detail"])

    def test_unsigned_logout_response_from_sp_with_key(self):
        """Refused at the signature step: sp-r is not reached, sp-a still gets its answer."""
        b, parts = self.session_with("sp-a", "sp-r")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        req, relay = self.verify_redirect(self.assertRedirect(self.send_redirect(b, "SAMLRequest", xml, sp="sp-a")),
                                          "https://sp-r.test/slo", "SAMLRequest")
        unsigned, _ = logout_response(entity("sp-r"), F.slo_url, req.get("ID"))
        page = self.send_redirect(b, "SAMLResponse", unsigned, relay)
        resp, _ = self.verify_redirect(self.assertRedirect(page), "https://sp-a.test/slo/redirect-response",
                                       "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/redirect-response", (SUCCESS, PARTIAL_LOGOUT))
        refused = self.events(head, "logout.response.refused")
        self.assertEqual([(e["target"], self.details(e)["step"]) for e in refused], [(entity("sp-r"), "signature")])

    def test_post_signature_problems(self):
        b, parts = self.session_with("sp-a")
        head = self.audit_head()
        # changed after signing
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url, signature_alg=RSA_SHA256)
        signed = sign_xml(F.tmp, xml, *F.keys["sp-a"], "LogoutRequest")
        tampered = signed.replace(parts["sp-a"].session_index, "_tampered")
        self.assertNotEqual(tampered, signed)
        page = self.send_post(b, "SAMLRequest", tampered)
        resp, _, _ = self.verify_post(page, "https://sp-a.test/slo/post", "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/post", (REQUESTER, REQUEST_DENIED))
        self.assertRefusedAt(head, rid, "signature")
        # signed, but without Destination (bindings §3.5.5.2 requires it)
        xml, rid = logout_request_for(parts["sp-a"], None, signature_alg=RSA_SHA256)
        page = self.send_post(b, "SAMLRequest", xml, sp="sp-a", element="LogoutRequest")
        resp, _, _ = self.verify_post(page, "https://sp-a.test/slo/post", "SAMLResponse")
        self.assertIdpLogoutResponse(resp, rid, "https://sp-a.test/slo/post", (REQUESTER, REQUEST_DENIED))
        self.assertRefusedAt(head, rid, "destination")
        self.assertTrue(self.idp_session_alive(b))

    def test_soap_request_signed_by_another_key_or_replayed(self):
        _, parts = self.session_with("sp-a")
        xml, rid = logout_request_for(parts["sp-a"], F.soap_url, signature_alg=RSA_SHA256)
        forged = sign_xml(F.tmp, xml, *F.keys["sp-r"], "LogoutRequest")
        r = self.soap_post(soap_envelope(forged))
        self.assertEqual(r.status, 200, r.text)
        resp = ET.fromstring(r.body).find("soap:Body/samlp:LogoutResponse", NS)
        self.assertEqual((resp.get("InResponseTo"), status_of(resp)), (rid, (REQUESTER, REQUEST_DENIED)))
        self.assertEqual(len(self.live_session_indexes() & {parts["sp-a"].session_index}), 1)
        # the right signature: Success; the same message again: refused as a replay
        xml, rid = logout_request_for(parts["sp-a"], F.soap_url, signature_alg=RSA_SHA256)
        envelope = soap_envelope(sign_xml(F.tmp, xml, *F.keys["sp-a"], "LogoutRequest"))
        for expected in ((SUCCESS, None), (REQUESTER, REQUEST_DENIED)):
            r = self.soap_post(envelope)
            resp = ET.fromstring(r.body).find("soap:Body/samlp:LogoutResponse", NS)
            self.assertEqual(status_of(resp), expected, r.text)

    def test_query_signature_and_xml_signature_together(self):
        """pysaml2 signs the XML and the query: the query signature covers the deflated message,
        so the request is accepted (the XML signature ignored, as the audit says)."""
        b, parts = self.session_with("sp-a")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url, signature_alg=RSA_SHA256)
        signed = sign_xml(F.tmp, xml, *F.keys["sp-a"], "LogoutRequest")
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", signed, sp="sp-a"), rid, status=(SUCCESS, None))
        accepted = self.events(head, "logout.request.accepted", d_id=rid)
        self.assertEqual(len(accepted), 1, self.audit(head))
        self.assertIs(self.details(accepted[0]).get("xml_signature_ignored"), True)
        self.assertSessionGone(b, parts)

    def test_xml_signature_without_query_signature_on_redirect(self):
        """On HTTP-Redirect the query signature is the proof; an XML signature alone is refused."""
        b, parts = self.session_with("sp-a")
        head = self.audit_head()
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url, signature_alg=RSA_SHA256)
        signed = sign_xml(F.tmp, xml, *F.keys["sp-a"], "LogoutRequest")
        self.assertRefusal(self.send_redirect(b, "SAMLRequest", signed), rid)
        self.assertRefusedAt(head, rid, "signature")
        self.assertTrue(self.idp_session_alive(b))

    def test_malformed_front_channel_input(self):
        b = self.browser()
        cases = {
            "not base64": "/saml/slo?SAMLRequest=" + q("!!!not*base64!!!"),
            "not deflate": "/saml/slo?SAMLRequest=" + q(base64.b64encode(b"not a deflate stream" * 4).decode()),
            "both messages": "/saml/slo?SAMLRequest=AAAA&SAMLResponse=AAAA",
            "nothing": "/saml/slo",
            "an AuthnRequest": "/saml/slo?" + redirect_query("SAMLRequest", authn_request(entity("sp-a"),
                                                                                         F.sso_url)[0]),
        }
        for name, path in cases.items():
            with self.subTest(name):
                self.assertErrorPage(b.get(path))
        with self.subTest("POST without a message"):
            self.assertErrorPage(b.post("/saml/slo", {"RelayState": "x"}))
        self.assertEqual(lib.https_request(F.port, "/readyz").status, 200)

    def test_soap_bad_input(self):
        head = self.audit_head()
        cases = {
            "garbage": "this is not XML",
            "not an envelope": "<x/>",
            "SOAP 1.2": '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>',
            "empty body": soap_envelope(""),
            "an AuthnRequest": soap_envelope(authn_request(entity("sp-a"), F.sso_url)[0]),
        }
        for name, body in cases.items():
            with self.subTest(name):
                r = self.soap_post(body)
                self.assertEqual(r.status, 500, r.text)
                self.assertTrue((r.headers.get("Content-Type") or "").startswith("text/xml"))
                fault = ET.fromstring(r.body).find("soap:Body/soap:Fault", NS)
                self.assertIsNotNone(fault, r.text)
                self.assertTrue(fault.find("faultcode").text.startswith("SOAP-ENV:"), r.text)
        with self.subTest("GET"):
            r = lib.https_request(F.port, "/saml/soap")
            self.assertEqual(r.status, 405)
            self.assertEqual(r.headers.get("Allow"), "POST")
        with self.subTest("unknown issuer"):
            xml, rid = logout_request("https://unknown.test/sp", F.soap_url, "x")
            r = self.soap_post(soap_envelope(xml))
            self.assertEqual(r.status, 500, r.text)
            self.assertIsNotNone(ET.fromstring(r.body).find("soap:Body/soap:Fault", NS))
        with self.subTest("unsigned from a known SP"):
            xml, rid = logout_request(entity("sp-nokey"), F.soap_url, "x")  # SOAP always needs a signature
            r = self.soap_post(soap_envelope(xml))
            self.assertEqual(r.status, 200, r.text)
            resp = ET.fromstring(r.body).find("soap:Body/samlp:LogoutResponse", NS)
            self.assertEqual(resp.get("InResponseTo"), rid)
            self.assertEqual(status_of(resp), (REQUESTER, REQUEST_DENIED))
        self.assertTrue(self.events(head, "logout.request.refused"))
        self.assertEqual(lib.https_request(F.port, "/readyz").status, 200)
        self.assertTrue(F.server.running())


if __name__ == "__main__":
    unittest.main()

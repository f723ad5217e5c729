#!/usr/bin/python3
"""HTTP-level tests of Web Browser SSO (docs/sso.md): /saml/sso (Redirect and POST),
/saml/sso/unsolicited and /login, driven as a browser would, over HTTPS on a free loopback
port. AuthnRequests are built here from string templates; Redirect queries are signed with
`openssl dgst`, POST messages with `xmlsec1 --sign`, with keys made per run by openssl.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_sso.py -v
"""

import base64
import datetime
import html.parser
import http.client
import http.cookiejar
import json
import os
import re
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import new_id, now_utc, xs_time, xml_attr  # noqa: E402
from propusk_testlib import PASSWORD, ctl_ok  # noqa: E402

setUpModule = lib.require_binaries

SSO_DATA = os.path.join(lib.SOURCE, "tests", "data", "sso")

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS = {"samlp": SAMLP, "saml": SAML, "md": "urn:oasis:names:tc:SAML:2.0:metadata",
      "ds": "http://www.w3.org/2000/09/xmldsig#"}
ST = "urn:oasis:names:tc:SAML:2.0:status:"
SUCCESS, REQUESTER, RESPONDER = ST + "Success", ST + "Requester", ST + "Responder"
REQUEST_DENIED, NO_PASSIVE = ST + "RequestDenied", ST + "NoPassive"
INVALID_NAMEID_POLICY, NO_AUTHN_CONTEXT = ST + "InvalidNameIDPolicy", ST + "NoAuthnContext"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
REQ_ID_ATTR = "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest"

# Attribute Names (DESIGN.md)
ATTR_DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
ATTR_SNILS = "urn:oid:1.2.643.100.3"
ATTR_STATUS = "urn:propusk:attribute:account-status"
ATTR_INN = "urn:oid:1.2.643.3.131.1.1"
ATTR_SN = "urn:oid:2.5.4.4"

USER = "ivanov"
SNILS_DIGITS = "11223344595"
INN_DIGITS = "500100732259"
WRONG_PASSWORD = "Nevern0-Parol!"

ERR_RU, ERR_EN = "Неверный логин или пароль.", "Wrong login or password."


# ---------------------------------------------------------------- messages

def snils_with_checksum(nine):
    s = sum(int(c) * (9 - i) for i, c in enumerate(nine))
    s = s % 101 if s > 101 else s
    return nine + ("%02d" % (0 if s >= 100 else s))




SIGNATURE_TEMPLATE = (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="{alg}"/>'
    '<ds:Reference URI="#{id}"><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>'
    '</ds:Reference></ds:SignedInfo><ds:SignatureValue/>'
    '<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>')


def authn_request(issuer, destination, req_id=None, issue_instant=None, acs_url=None, force_authn=False,
                  is_passive=False, nameid_format=None, authn_context=None, signature_alg=None, doctype=""):
    """An AuthnRequest as text. signature_alg: put an empty ds:Signature (for xmlsec1) after Issuer."""
    req_id = req_id or new_id()
    attrs = [f'ID="{req_id}"', 'Version="2.0"', f'IssueInstant="{xs_time(issue_instant or now_utc())}"',
             f'ProtocolBinding="{lib.BINDING_POST}"']
    if destination is not None:
        attrs.append(f'Destination="{xml_attr(destination)}"')
    if acs_url:
        attrs.append(f'AssertionConsumerServiceURL="{xml_attr(acs_url)}"')
    if force_authn:
        attrs.append('ForceAuthn="true"')
    if is_passive:
        attrs.append('IsPassive="true"')
    body = f"<saml:Issuer>{xml_attr(issuer)}</saml:Issuer>"
    if signature_alg:
        body += SIGNATURE_TEMPLATE.format(alg=signature_alg, id=req_id)
    if nameid_format:
        body += f'<samlp:NameIDPolicy Format="{nameid_format}" AllowCreate="true"/>'
    if authn_context:
        body += ('<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>'
                 f'{authn_context}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
            f'<samlp:AuthnRequest xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" {" ".join(attrs)}>'
            f'{body}</samlp:AuthnRequest>'), req_id


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def q(s):
    return urllib.parse.quote(s, safe="")


def openssl_sign(octets, key, alg=RSA_SHA256):
    digest = "-sha1" if alg == RSA_SHA1 else "-sha256"
    p = subprocess.run(["openssl", "dgst", digest, "-sign", key], input=octets, capture_output=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError(f"openssl dgst -sign failed: {p.stderr.decode(errors='replace')}")
    return p.stdout


def redirect_query(xml, relay_state=None, key=None, alg=RSA_SHA256, raw_deflated=None):
    """The HTTP-Redirect query string; signed over the exact octets sent when `key` is given."""
    deflated = raw_deflated if raw_deflated is not None else deflate(xml.encode("utf-8"))
    query = "SAMLRequest=" + q(base64.b64encode(deflated).decode())
    if relay_state is not None:
        query += "&RelayState=" + q(relay_state)
    if key:
        query += "&SigAlg=" + q(alg)
        query += "&Signature=" + q(base64.b64encode(openssl_sign(query.encode(), key, alg)).decode())
    return query


def xmlsec_sign_request(directory, xml, key, cert):
    fd, tmpl = tempfile.mkstemp(suffix=".xml", dir=directory)
    os.close(fd)
    lib.write(tmpl, xml)
    out = tmpl + ".signed"
    rc, _, err = lib.run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}", "--id-attr:ID", REQ_ID_ATTR,
                          "--output", out, tmpl])
    if rc != 0:
        raise AssertionError(f"xmlsec1 --sign failed: {err}")
    with open(out, encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------- browser

class Page:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", errors="replace")
        self.forms = FormParser.parse(self.text)

    def set_cookies(self, name):
        return [c for c in self.headers.get_all("Set-Cookie") or [] if c.split("=", 1)[0].strip() == name]

    def saml_form(self):
        """The one form carrying a SAMLResponse, else None."""
        found = [f for f in self.forms if "SAMLResponse" in f["fields"]]
        return found[0] if found else None

    def describe(self):
        return f"HTTP {self.status}\n{self.text[:1500]}"


class FormParser(html.parser.HTMLParser):
    """Forms of a page: action, method and input name -> value (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": (a.get("method") or "get").lower(),
                               "fields": {}, "types": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
            self.forms[-1]["types"][a["name"]] = a.get("type") or "text"

    @classmethod
    def parse(cls, text):
        p = cls()
        p.feed(text)
        p.close()
        return p.forms


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is returned to the test as it is


class Browser:
    """A cookie-keeping urllib opener that does not follow redirects (unverified TLS, loopback)."""

    def __init__(self, port):
        self.port = port
        self.base = f"https://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                                  urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def url(self, path):
        return path if path.startswith("https://") else self.base + path

    def open(self, path, data=None, content_type="application/x-www-form-urlencoded"):
        req = urllib.request.Request(self.url(path), data=data)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req, timeout=20) as r:
                return Page(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            with e:
                return Page(e.code, e.headers, e.read())

    def get(self, path):
        return self.open(path)

    def post(self, path, fields):
        data = fields if isinstance(fields, bytes) else urllib.parse.urlencode(fields).encode()
        return self.open(path, data=data)

    def cookie(self, name):
        for c in self.jar:
            if c.name == name:
                return c.value
        return None

    def set_cookie(self, name, value):
        """Plants a cookie for the IdP (what an attacker's own client would send)."""
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, "127.0.0.1", False, False, "/", True, True, None, False, None, None, {}))


def post_like_a_browser(port, path, body, content_type="application/x-www-form-urlencoded"):
    """POSTs `body` over a raw TLS socket, reading the answer while still sending, as a browser
    (or curl) does: a server may answer an oversized body before reading it. A Page."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(head)
            for off in range(0, len(body), 16384):
                readable, _, _ = select.select([s], [], [], 0)
                if readable or s.pending():
                    break
                try:
                    s.sendall(body[off:off + 16384])
                except OSError:
                    break
            r = http.client.HTTPResponse(s)
            r.begin()
            return Page(r.status, r.headers, r.read())


def decode_response(form):
    return lib.parse_xml(base64.b64decode(form["fields"]["SAMLResponse"], validate=True))


def status_codes(resp):
    """(top-level, second-level or None) StatusCode Values of a samlp:Response."""
    top = resp.find("samlp:Status/samlp:StatusCode", NS)
    second = top.find("samlp:StatusCode", NS)
    return top.get("Value"), (second.get("Value") if second is not None else None)


def attributes(resp):
    """Attribute Name -> list of values, from the Assertion's AttributeStatement."""
    out = {}
    for a in resp.findall("saml:Assertion/saml:AttributeStatement/saml:Attribute", NS):
        out[a.get("Name")] = [v.text for v in a.findall("saml:AttributeValue", NS)]
    return out


# ---------------------------------------------------------------- fixture

class SsoBase(unittest.TestCase):
    """One store and one server per class: users, SPs with per-run keys, attribute release."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="propusk-it-sso-")
        cls.addClassCleanup(__import__("shutil").rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        cls.port = lib.free_port()
        cls.base = f"https://127.0.0.1:{cls.port}"
        cls.sso_url = cls.base + "/saml/sso"
        d = cls.data
        ctl_ok(d, "init")

        def add_user(login, surname, given, middle, snils, *extra):
            ctl_ok(d, "user", "add", login, "--surname", surname, "--given-name", given, "--middle-name", middle,
                   "--snils", snils, "--email", f"{login}@example.org", "--status", "standard", *extra,
                   input=PASSWORD + "\n")

        add_user(USER, "Иванов", "Иван", "Иванович", SNILS_DIGITS, "--inn", INN_DIGITS)
        add_user("petrov", "Петров", "Пётр", "Петрович", snils_with_checksum("123456789"))  # lockout test only
        add_user("sidorov", "Сидоров", "Сидор", "Сидорович", snils_with_checksum("234567891"))  # lock/unlock only
        add_user("smirnov", "Смирнов", "Семён", "Семёнович", snils_with_checksum("345678912"))  # unlock-lockout

        cls.sp_key, cls.sp_cert = lib.openssl_key_cert(cls.tmp, "sp", cn="sp.test signing")
        cls.evil_key, cls.evil_cert = lib.openssl_key_cert(cls.tmp, "attacker", cn="attacker")
        with open(cls.sp_cert, encoding="ascii") as f:
            der_b64 = "".join(l for l in f.read().splitlines() if "-----" not in l)
        with open(os.path.join(SSO_DATA, "sp-template.xml"), encoding="utf-8") as f:
            template = f.read()

        cls.sps = {}

        def add_sp(name, signed, *policy):
            entity = f"https://{name}.test/shibboleth"
            acs = f"https://{name}.test/Shibboleth.sso/SAML2/POST"
            text = (template.replace("@ENTITY_ID@", entity).replace("@ACS_LOCATION@", acs)
                    .replace("@AUTHN_REQUESTS_SIGNED@", "true" if signed else "false")
                    .replace("@SIGNING_CERT@", der_b64))
            path = lib.write(os.path.join(cls.tmp, name + ".xml"), text)
            ctl_ok(d, "sp", "add", path)
            ctl_ok(d, "sp", "set", entity, "--release", "displayName,snils,accountStatus", *policy)
            cls.sps[name] = (entity, acs)

        add_sp("sp-plain", False)       # AuthnRequestsSigned="false"
        add_sp("sp-signed", True)       # AuthnRequestsSigned="true"
        add_sp("sp-sha1", True)         # gets --allow-sha1 in its test, before first use
        add_sp("sp-confirmed", False)   # gets --min-status confirmed in its test, before first use

        workdir = os.path.join(cls.tmp, "logs")
        os.mkdir(workdir)
        cls.server = lib.Server(["--data", d, "--listen", f"127.0.0.1:{cls.port}", "--public-url", cls.base],
                                workdir=workdir)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()
        lib.wait_ready(cls.server, cls.port)
        cls._session_browser = None

    # -- helpers

    def browser(self):
        return Browser(self.port)

    def sp(self, name):
        return self.sps[name]

    def request(self, sp="sp-plain", **kw):
        entity, _ = self.sp(sp)
        kw.setdefault("destination", self.sso_url)
        return authn_request(entity, **kw)

    def send_redirect(self, browser, xml, relay_state=None, key=None, alg=RSA_SHA256):
        return browser.get("/saml/sso?" + redirect_query(xml, relay_state, key, alg))

    def send_post(self, browser, xml, relay_state=None):
        fields = {"SAMLRequest": base64.b64encode(xml.encode("utf-8")).decode()}
        if relay_state is not None:
            fields["RelayState"] = relay_state
        return browser.post("/saml/sso", fields)

    def assertRedirectedToLogin(self, page):
        self.assertEqual(page.status, 303, page.describe())
        loc = page.headers.get("Location") or ""
        self.assertRegex(loc, "^" + re.escape(self.base + "/login?flow=") + r"[A-Za-z0-9_-]{16,}$")
        return loc

    def assertErrorPage(self, page, status=400):
        """A refusal page: the status, RU+EN text, a reference code, and nothing for an SP."""
        self.assertEqual(page.status, status, page.describe())
        self.assertIn("text/html", page.headers.get("Content-Type") or "")
        self.assertRegex(page.text, r"[А-Яа-яЁё]{4,}")  # Russian
        self.assertRegex(page.text, r"Reference: <code>[0-9a-f]{8,}</code>")
        self.assertNotIn("SAMLResponse", page.text)
        self.assertEqual([f for f in page.forms if f["method"] == "post" and f["action"] != "/login"], [])

    def login_form(self, browser, location):
        page = browser.get(location)
        self.assertEqual(page.status, 200, page.describe())
        forms = [f for f in page.forms if f["action"] == "/login"]
        self.assertEqual(len(forms), 1, page.describe())
        return page, forms[0]

    def submit_login(self, browser, form, username, password):
        fields = dict(form["fields"])
        fields.update(username=username, password=password)
        return browser.post("/login", fields)

    def login(self, browser, location, username=USER, password=PASSWORD):
        _, form = self.login_form(browser, location)
        return self.submit_login(browser, form, username, password)

    def assertSamlAnswer(self, page, sp="sp-plain", status=SUCCESS, second=None, in_response_to=None, http=200):
        """The auto-POST form to the SP's metadata ACS; returns (form, decoded Response)."""
        self.assertEqual(page.status, http, page.describe())
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        entity, acs = self.sp(sp)
        self.assertEqual(form["method"], "post")
        self.assertEqual(form["action"], acs)
        resp = decode_response(form)
        self.assertEqual(resp.tag, f"{{{SAMLP}}}Response")
        self.assertEqual(status_codes(resp), (status, second))
        self.assertEqual(resp.get("Destination"), acs)
        if in_response_to is not None:
            self.assertEqual(resp.get("InResponseTo"), in_response_to)
        return form, resp

    def session_browser(self):
        """A browser holding a session for USER (one login per class, shared by read-only tests)."""
        cls = type(self)
        if cls._session_browser is None:
            b = self.browser()
            xml, rid = self.request()
            page = self.login(b, self.assertRedirectedToLogin(self.send_redirect(b, xml)))
            self.assertSamlAnswer(page, in_response_to=rid)
            self.assertIsNotNone(b.cookie("propusk_session"))
            cls._session_browser = b
        return cls._session_browser

    def audit(self):
        return json.loads(ctl_ok(self.data, "audit", "list", "--limit", "100000", "--json"))

    def audit_details(self, event):
        return json.loads(event["details"]) if event.get("details") else {}

    def audit_for_request(self, req_id):
        return [e for e in self.audit() if self.audit_details(e).get("id") == req_id]

    def assertRefusedAt(self, req_id, step):
        events = self.audit_for_request(req_id)
        self.assertEqual([(e["action"], self.audit_details(e)["step"]) for e in events],
                         [("authn-request.refused", step)], events)


# ---------------------------------------------------------------- happy paths

class HappyPaths(SsoBase):

    def test_redirect_unsigned_full_flow(self):
        b = self.browser()
        entity, acs = self.sp("sp-plain")
        relay = 'ret=/a?b=1&c=<"x">'
        xml, rid = self.request()
        loc = self.assertRedirectedToLogin(self.send_redirect(b, xml, relay))

        page, form = self.login_form(b, loc)
        # The SP is named as its metadata names itself (mdui:DisplayName, Russian first), escaped.
        self.assertIn("Тестовый сервис &amp; &lt;b&gt;", page.text)
        self.assertNotIn("<b>", page.text.split("Тестовый сервис")[1][:20])
        self.assertLessEqual({"flow", "csrf", "username", "password"}, set(form["fields"]), form)
        self.assertEqual(form["types"]["flow"], "hidden")
        self.assertEqual(form["types"]["csrf"], "hidden")
        self.assertEqual(form["types"]["password"], "password")
        self.assertEqual(form["fields"]["flow"], urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)["flow"][0])
        csrf_cookies = page.set_cookies("propusk_csrf")
        self.assertEqual(len(csrf_cookies), 1, page.headers)
        self.assertEqual(csrf_cookies[0].split(";")[0], "propusk_csrf=" + form["fields"]["csrf"])
        self.assertGreaterEqual(len(form["fields"]["csrf"]), 16)
        csrf_flags = [p.strip().lower() for p in csrf_cookies[0].split(";")[1:]]
        for flag in ("httponly", "secure", "samesite=strict", "path=/login"):
            self.assertIn(flag, csrf_flags)

        self.assertSecurityHeaders(page)
        page = self.submit_login(b, form, USER, PASSWORD)
        saml_form, resp = self.assertSamlAnswer(page, in_response_to=rid)
        self.assertSecurityHeaders(page)
        self.assertIn("form-action https://sp-plain.test", page.headers.get("Content-Security-Policy") or "")
        # RelayState echoed exactly, and HTML-escaped in the page
        self.assertEqual(saml_form["fields"].get("RelayState"), relay)
        self.assertNotIn(relay, page.text)
        self.assertIn("&lt;&quot;x&quot;&gt;", page.text)
        # the Assertion
        self.assertEqual(resp.find("saml:Issuer", NS).text, self.base + "/saml/metadata")
        assertion = resp.find("saml:Assertion", NS)
        self.assertIsNotNone(assertion)
        self.assertEqual(assertion.find("saml:Conditions/saml:AudienceRestriction/saml:Audience", NS).text, entity)
        scd = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
        self.assertEqual(scd.get("InResponseTo"), rid)
        self.assertEqual(scd.get("Recipient"), acs)
        self.assertTrue(assertion.find("saml:Subject/saml:NameID", NS).text)
        attrs = attributes(resp)
        self.assertEqual(attrs.get(ATTR_DISPLAY_NAME), ["Иванов Иван Иванович"])
        self.assertEqual(attrs.get(ATTR_SNILS), [SNILS_DIGITS])
        self.assertEqual(attrs.get(ATTR_STATUS), ["standard"])
        self.assertNotIn(ATTR_INN, attrs)
        self.assertNotIn(ATTR_SN, attrs)
        self.assertEqual(len(attrs), 3, attrs)
        # the session cookie
        session_cookies = page.set_cookies("propusk_session")
        self.assertEqual(len(session_cookies), 1, page.headers)
        flags = [p.strip().lower() for p in session_cookies[0].split(";")[1:]]
        self.assertIn("httponly", flags)
        self.assertIn("secure", flags)
        self.assertIn("samesite=none", flags)
        self.assertIsNotNone(b.cookie("propusk_session"))
        # the Response signature verifies with the IdP's published key
        self.assertResponseSignedByIdp(page.saml_form())

    def assertSecurityHeaders(self, page):
        self.assertEqual(page.headers.get("X-Frame-Options"), "DENY")
        self.assertEqual(page.headers.get("X-Content-Type-Options"), "nosniff")
        self.assertEqual(page.headers.get("Cache-Control"), "no-store")
        self.assertIn("frame-ancestors 'none'", page.headers.get("Content-Security-Policy") or "")

    def assertResponseSignedByIdp(self, form):
        md = lib.https_request(self.port, "/saml/metadata")
        self.assertEqual(md.status, 200)
        certs = [c.text for c in lib.parse_xml(md.body).findall(
            "md:IDPSSODescriptor/md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)]
        self.assertTrue(certs)
        cert = lib.write(os.path.join(self.tmp, "idp-cert.pem"), lib.pem_from_base64_der(certs[0]))
        doc = os.path.join(self.tmp, "response.xml")
        with open(doc, "wb") as f:
            f.write(base64.b64decode(form["fields"]["SAMLResponse"]))
        rc, _, err = lib.run(["xmlsec1", "--verify", "--pubkey-cert-pem", cert,
                              "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                              "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", doc])
        self.assertEqual(rc, 0, err)

    def test_signed_redirect_accepted(self):
        b = self.browser()
        xml, rid = self.request("sp-signed")
        self.assertRedirectedToLogin(self.send_redirect(b, xml, "rs-1", key=self.sp_key))
        events = self.audit_for_request(rid)
        self.assertEqual([e["action"] for e in events], ["authn-request.accepted"], events)
        self.assertIs(self.audit_details(events[0])["signed"], True)

    def test_signed_post_accepted(self):
        b = self.browser()
        xml, rid = self.request("sp-signed", signature_alg=RSA_SHA256)
        signed = xmlsec_sign_request(self.tmp, xml, self.sp_key, self.sp_cert)
        self.assertIn("<ds:SignatureValue>", signed.replace("\n", ""))
        self.assertRedirectedToLogin(self.send_post(b, signed, "rs-2"))
        events = self.audit_for_request(rid)
        self.assertEqual([e["action"] for e in events], ["authn-request.accepted"], events)
        self.assertIs(self.audit_details(events[0])["signed"], True)

    def test_signed_post_modified_after_signing(self):
        xml, rid = self.request("sp-signed", signature_alg=RSA_SHA256)
        signed = xmlsec_sign_request(self.tmp, xml, self.sp_key, self.sp_cert)
        tampered = signed.replace('Version="2.0"', 'Version="2.0" ForceAuthn="true"', 1)
        self.assertNotEqual(tampered, signed)
        self.assertErrorPage(self.send_post(self.browser(), tampered))
        self.assertRefusedAt(rid, "signature")

    def test_session_reuse_answers_without_login(self):
        b = self.session_browser()
        xml, rid = self.request()
        page = self.send_redirect(b, xml, "again")
        _, resp = self.assertSamlAnswer(page, in_response_to=rid)
        self.assertNotIn('name="password"', page.text)
        self.assertEqual(page.saml_form()["fields"].get("RelayState"), "again")
        self.assertIn(ATTR_SNILS, attributes(resp))

    def test_force_authn_sends_to_login_again(self):
        b = self.session_browser()
        xml, _ = self.request(force_authn=True)
        loc = self.assertRedirectedToLogin(self.send_redirect(b, xml))
        page, form = self.login_form(b, loc)
        self.assertIsNone(page.saml_form())

    def test_is_passive_without_session_is_no_passive(self):
        b = self.browser()
        xml, rid = self.request(is_passive=True)
        page = self.send_redirect(b, xml, "passive")
        form, resp = self.assertSamlAnswer(page, status=RESPONDER, second=NO_PASSIVE, in_response_to=rid)
        self.assertIsNone(resp.find("saml:Assertion", NS))
        self.assertEqual(form["fields"].get("RelayState"), "passive")

    def test_is_passive_with_session_succeeds(self):
        b = self.session_browser()
        xml, rid = self.request(is_passive=True)
        _, resp = self.assertSamlAnswer(self.send_redirect(b, xml), in_response_to=rid)
        self.assertIsNotNone(resp.find("saml:Assertion", NS))

    def test_idp_initiated_with_session(self):
        b = self.session_browser()
        entity, acs = self.sp("sp-plain")
        page = b.get("/saml/sso/unsolicited?providerId=" + q(entity) + "&target=abc")
        form, resp = self.assertSamlAnswer(page)
        self.assertIsNone(resp.get("InResponseTo"))
        scd = resp.find("saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
        self.assertIsNone(scd.get("InResponseTo"))
        self.assertEqual(scd.get("Recipient"), acs)
        self.assertEqual(form["fields"].get("RelayState"), "abc")

    def test_idp_initiated_without_session_and_refusals(self):
        entity, _ = self.sp("sp-plain")
        self.assertRedirectedToLogin(self.browser().get("/saml/sso/unsolicited?providerId=" + q(entity)))
        b = self.session_browser()
        for name, query in (("unknown provider", "providerId=" + q("https://unknown.test/sp") + "&target=abc"),
                            ("no provider", "target=abc"),
                            ("shire not in metadata", "providerId=" + q(entity) + "&shire=" +
                             q("https://evil.example/acs")),
                            ("target of 81 bytes", "providerId=" + q(entity) + "&target=" + "t" * 81)):
            with self.subTest(name):
                page = b.get("/saml/sso/unsolicited?" + query)
                self.assertErrorPage(page)
                self.assertNotIn("evil.example", page.text)

    def test_min_status_refused_with_explanation(self):
        entity, acs = self.sp("sp-confirmed")
        ctl_ok(self.data, "sp", "set", entity, "--min-status", "confirmed")  # before the SP's first use
        b = self.session_browser()
        xml, rid = self.request("sp-confirmed")
        page = self.send_redirect(b, xml, "lvl")
        self.assertEqual(page.status, 403, page.describe())
        self.assertIn("Недостаточный уровень учётной записи", page.text)
        self.assertIn("Account level too low", page.text)
        self.assertIn("confirmed", page.text)
        self.assertIn("standard", page.text)
        self.assertIn("СНИЛС", page.text)
        form, resp = self.assertSamlAnswer(page, sp="sp-confirmed", status=REQUESTER, second=REQUEST_DENIED,
                                           in_response_to=rid, http=403)
        self.assertIsNone(resp.find("saml:Assertion", NS))
        self.assertEqual(form["fields"].get("RelayState"), "lvl")
        refused = [e for e in self.audit() if e["action"] == "assertion.refused" and e["target"] == entity]
        self.assertEqual(len(refused), 1, refused)
        self.assertEqual(self.audit_details(refused[0]).get("need"), "confirmed")


# ---------------------------------------------------------------- refusals

class Refusals(SsoBase):

    def test_unknown_issuer(self):
        xml, rid = authn_request("https://unknown.test/sp", self.sso_url)
        page = self.send_redirect(self.browser(), xml, "x")
        self.assertErrorPage(page)
        self.assertIn("Запрос на вход отклонён", page.text)
        self.assertIn("Sign-in request refused", page.text)
        self.assertRefusedAt(rid, "issuer")

    def test_acs_not_in_metadata(self):
        xml, rid = self.request(acs_url="https://evil.example/acs")
        page = self.send_redirect(self.browser(), xml)
        self.assertErrorPage(page)
        self.assertNotIn("evil.example", page.text)
        self.assertFalse(any("evil.example" in (f["action"] or "") for f in page.forms))
        self.assertRefusedAt(rid, "acs")

    def test_signed_sp_unsigned_request_error_page(self):
        # The signature step runs before acs: until acs succeeds there is nowhere safe to answer.
        for send in ("redirect", "post"):
            with self.subTest(binding=send):
                xml, rid = self.request("sp-signed")
                b = self.browser()
                page = self.send_redirect(b, xml) if send == "redirect" else self.send_post(b, xml)
                self.assertErrorPage(page)
                self.assertRefusedAt(rid, "signature")

    def test_post_signed_by_another_key(self):
        # The attacker's certificate travels in KeyInfo; only the metadata key may count.
        xml, rid = self.request("sp-signed", signature_alg=RSA_SHA256)
        signed = xmlsec_sign_request(self.tmp, xml, self.evil_key, self.evil_cert)
        with open(self.evil_cert, encoding="ascii") as f:
            evil_b64 = "".join(l for l in f.read().splitlines() if "-----" not in l)
        self.assertIn(evil_b64[:60], signed.replace("\n", ""))
        self.assertErrorPage(self.send_post(self.browser(), signed))
        self.assertRefusedAt(rid, "signature")

    def test_redirect_signed_by_another_key(self):
        xml, rid = self.request("sp-signed")
        self.assertErrorPage(self.send_redirect(self.browser(), xml, "x", key=self.evil_key))
        self.assertRefusedAt(rid, "signature")

    def test_tampered_signed_redirect(self):
        xml, rid = self.request("sp-signed")
        query = redirect_query(xml, "abc", key=self.sp_key)
        self.assertIn("&RelayState=abc&", query)
        page = self.browser().get("/saml/sso?" + query.replace("&RelayState=abc&", "&RelayState=abd&"))
        self.assertErrorPage(page)
        self.assertRefusedAt(rid, "signature")

    def test_sha1_refused_unless_allowed(self):
        xml, rid = self.request("sp-sha1")
        self.assertErrorPage(self.send_redirect(self.browser(), xml, "s", key=self.sp_key, alg=RSA_SHA1))
        self.assertRefusedAt(rid, "signature")
        self.assertIn("sha", self.audit_details(self.audit_for_request(rid)[0])["detail"].lower())
        # the same request with SHA-256 is fine: the refusal was about the algorithm
        xml, _ = self.request("sp-sha1")
        self.assertRedirectedToLogin(self.send_redirect(self.browser(), xml, "s", key=self.sp_key))
        entity, _ = self.sp("sp-sha1")
        ctl_ok(self.data, "sp", "set", entity, "--allow-sha1")
        # the server re-reads a registered SP's row within a few seconds (store_sp_directory.cpp)
        deadline = time.monotonic() + 15
        while True:
            xml, rid = self.request("sp-sha1")
            page = self.send_redirect(self.browser(), xml, "s", key=self.sp_key, alg=RSA_SHA1)
            if page.status != 400 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertRedirectedToLogin(page)
        events = self.audit_for_request(rid)
        self.assertEqual([e["action"] for e in events], ["authn-request.accepted"], events)
        self.assertIs(self.audit_details(events[0])["signed"], True)

    def test_wrong_destination(self):
        xml, rid = self.request(destination="https://other-idp.test/saml/sso")
        self.assertErrorPage(self.send_redirect(self.browser(), xml))
        self.assertRefusedAt(rid, "destination")

    def test_stale_issue_instant(self):
        xml, rid = self.request(issue_instant=now_utc() - datetime.timedelta(minutes=10))
        self.assertErrorPage(self.send_redirect(self.browser(), xml))
        self.assertRefusedAt(rid, "freshness")

    def test_replayed_request_id(self):
        xml, rid = self.request()
        query = redirect_query(xml, "r")
        self.assertRedirectedToLogin(self.browser().get("/saml/sso?" + query))
        self.assertErrorPage(self.browser().get("/saml/sso?" + query))
        events = self.audit_for_request(rid)
        self.assertEqual([e["action"] for e in events], ["authn-request.accepted", "authn-request.refused"])
        self.assertEqual(self.audit_details(events[1])["step"], "replay")

    def test_unsupported_nameid_policy(self):
        xml, rid = self.request(nameid_format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName")
        form, resp = self.assertSamlAnswer(self.send_redirect(self.browser(), xml, "n"), status=REQUESTER,
                                           second=INVALID_NAMEID_POLICY, in_response_to=rid)
        self.assertIsNone(resp.find("saml:Assertion", NS))
        self.assertEqual(form["fields"].get("RelayState"), "n")
        self.assertRefusedAt(rid, "nameid-policy")

    def test_unsatisfiable_authn_context(self):
        xml, rid = self.request(authn_context="urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard")
        _, resp = self.assertSamlAnswer(self.send_redirect(self.browser(), xml), status=RESPONDER,
                                        second=NO_AUTHN_CONTEXT, in_response_to=rid)
        self.assertIsNone(resp.find("saml:Assertion", NS))
        self.assertRefusedAt(rid, "authn-context")

    def test_relay_state_length(self):
        xml, _ = self.request()
        self.assertRedirectedToLogin(self.send_redirect(self.browser(), xml, "r" * 80))
        xml, rid = self.request()
        page = self.send_redirect(self.browser(), xml, "r" * 81)
        form, resp = self.assertSamlAnswer(page, status=REQUESTER, second=REQUEST_DENIED, in_response_to=rid)
        self.assertNotIn("RelayState", form["fields"])
        self.assertNotIn("r" * 81, page.text)
        self.assertRefusedAt(rid, "relay-state")

    def test_malformed_inputs(self):
        b = self.browser()
        hostname = ""
        if os.path.exists("/etc/hostname"):
            with open("/etc/hostname", encoding="utf-8") as f:
                hostname = f.read().strip()
        xxe_doctype = '<!DOCTYPE samlp:AuthnRequest [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n'
        xxe, _ = self.request(doctype=xxe_doctype)
        xxe = xxe.replace("<saml:Issuer>", "<saml:Issuer>&xxe;")
        bomb = deflate(b" " * (10 * 1024 * 1024))
        self.assertLess(len(bomb), 48 * 1024)
        cases = {
            "not base64": "/saml/sso?SAMLRequest=" + q("!!!not*base64!!!"),
            "not deflate": "/saml/sso?SAMLRequest=" + q(base64.b64encode(b"this is not a deflate stream" * 4).decode()),
            "DOCTYPE (XXE)": "/saml/sso?" + redirect_query(xxe),
            "deflate bomb": "/saml/sso?" + redirect_query(None, raw_deflated=bomb),
        }
        for name, path in cases.items():
            with self.subTest(name):
                page = b.get(path)
                self.assertErrorPage(page)
                if hostname and name.startswith("DOCTYPE"):
                    self.assertNotIn(hostname, page.text)
        with self.subTest("not base64 over POST"):
            self.assertErrorPage(b.post("/saml/sso", {"SAMLRequest": "!!!not*base64!!!"}))
        with self.subTest("no SAMLRequest over POST"):
            self.assertErrorPage(b.post("/saml/sso", {"RelayState": "x"}))
        with self.subTest("DOCTYPE (XXE) over POST"):
            self.assertErrorPage(self.send_post(b, xxe))
        with self.subTest("600 KB POST body"):
            body = ("SAMLRequest=" + "A" * (600 * 1024)).encode()
            self.assertErrorPage(post_like_a_browser(self.port, "/saml/sso", body), status=413)
        ready = lib.https_request(self.port, "/readyz")
        self.assertEqual(ready.status, 200)
        self.assertTrue(self.server.running())


# ---------------------------------------------------------------- login

class Login(SsoBase):

    def start_flow(self, browser):
        xml, rid = self.request()
        return self.assertRedirectedToLogin(self.send_redirect(browser, xml)), rid

    def error_paragraph(self, page):
        m = re.search(r'<p class="err"[^>]*>(.*?)</p>', page.text, re.S)
        return m.group(1) if m else None

    def test_wrong_password_and_unknown_user_look_the_same(self):
        b = self.browser()
        loc, _ = self.start_flow(b)
        _, form = self.login_form(b, loc)
        wrong = self.submit_login(b, form, USER, WRONG_PASSWORD)
        unknown = self.submit_login(b, form, 'no<b>such"user', WRONG_PASSWORD)
        for page in (wrong, unknown):
            self.assertEqual(page.status, 401, page.describe())
            self.assertIn(ERR_RU, page.text)
            self.assertIn(ERR_EN, page.text)
            self.assertIsNone(page.saml_form())
            self.assertNotIn(WRONG_PASSWORD, page.text)
            fresh = [f for f in page.forms if f["action"] == "/login"]
            self.assertEqual(len(fresh), 1)
            self.assertEqual(fresh[0]["fields"]["flow"], form["fields"]["flow"])
            self.assertTrue(fresh[0]["fields"]["csrf"])
            self.assertEqual(fresh[0]["fields"]["password"], "")
        self.assertEqual(self.error_paragraph(wrong), self.error_paragraph(unknown))
        self.assertNotIn('no<b>such"user', unknown.text)
        self.assertEqual([f for f in unknown.forms if f["action"] == "/login"][0]["fields"]["username"],
                         'no<b>such"user')
        self.assertIsNone(b.cookie("propusk_session"))
        # the same flow still completes with the right password
        self.assertSamlAnswer(self.submit_login(b, form, USER, PASSWORD))

    def test_csrf_missing_or_mismatched(self):
        b = self.browser()
        loc, _ = self.start_flow(b)
        _, form = self.login_form(b, loc)
        no_field = dict(form["fields"], username=USER, password=PASSWORD)
        del no_field["csrf"]
        bad_field = dict(form["fields"], username=USER, password=PASSWORD, csrf="A" * len(form["fields"]["csrf"]))
        for name, fields, browser in (("no csrf field", no_field, b), ("mismatched csrf", bad_field, b),
                                      ("no csrf cookie", dict(form["fields"], username=USER, password=PASSWORD),
                                       self.browser())):
            with self.subTest(name):
                page = browser.post("/login", fields)
                self.assertEqual(page.status, 403, page.describe())
                self.assertIn("The form is stale or forged", page.text)
                self.assertIsNone(page.saml_form())
                self.assertEqual(page.set_cookies("propusk_session"), [])

    def test_two_login_tabs_both_work(self):
        # One CSRF token per browser: opening a second login page must not break the first.
        b = self.browser()
        loc1, _ = self.start_flow(b)
        _, form1 = self.login_form(b, loc1)
        loc2, _ = self.start_flow(b)
        _, form2 = self.login_form(b, loc2)
        self.assertEqual(form1["fields"]["csrf"], form2["fields"]["csrf"])
        self.assertSamlAnswer(self.submit_login(b, form1, USER, PASSWORD))

    def test_unknown_or_expired_flow(self):
        b = self.browser()
        page = b.get("/login?flow=" + "x" * 32)
        self.assertEqual(page.status, 400, page.describe())
        self.assertIn("Время входа истекло", page.text)
        self.assertIn("Sign-in expired", page.text)
        self.assertEqual([f for f in page.forms if f["action"] == "/login"], [])
        loc, _ = self.start_flow(b)
        _, form = self.login_form(b, loc)
        page = b.post("/login", dict(form["fields"], flow="y" * 32, username=USER, password=PASSWORD))
        self.assertEqual(page.status, 400, page.describe())
        self.assertIn("Sign-in expired", page.text)
        self.assertIsNone(page.saml_form())
        self.assertIsNone(b.cookie("propusk_session"))

    def test_lockout_after_five_failures(self):
        b = self.browser()
        loc, _ = self.start_flow(b)
        _, form = self.login_form(b, loc)
        for i in range(5):
            page = self.submit_login(b, form, "petrov", WRONG_PASSWORD)
            self.assertEqual(page.status, 401, f"attempt {i + 1}: {page.describe()}")
        page = self.submit_login(b, form, "petrov", PASSWORD)
        self.assertEqual(page.status, 429, page.describe())
        retry = page.headers.get("Retry-After")
        self.assertIsNotNone(retry)
        self.assertRegex(retry, r"^\d+$")
        self.assertTrue(1 <= int(retry) <= 30, retry)
        self.assertIn("Too many failed attempts", page.text)
        self.assertIn("Слишком много неудачных попыток", page.text)
        self.assertIsNone(page.saml_form())
        self.assertIsNone(b.cookie("propusk_session"))
        lockouts = [self.audit_details(e) for e in self.audit()
                    if e["action"] == "login.failure" and e["target"] == "petrov"]
        self.assertEqual([d["reason"] for d in lockouts], ["bad-password"] * 5 + ["backoff"])
        self.assertIn("lockout_seconds", lockouts[4])

    def test_unlock_lifts_a_lockout(self):
        # `propuskctl user unlock --help`: "unlock an account and clear failed logins".
        b = self.browser()
        loc, _ = self.start_flow(b)
        _, form = self.login_form(b, loc)
        for _ in range(5):
            self.assertEqual(self.submit_login(b, form, "smirnov", WRONG_PASSWORD).status, 401)
        ctl_ok(self.data, "user", "unlock", "smirnov")
        shown = json.loads(ctl_ok(self.data, "user", "show", "smirnov", "--json"))
        self.assertEqual(shown["failed_logins"], 0)
        # Regression: `user unlock` lifts the automatic backoff too, not only the failure count.
        self.assertSamlAnswer(self.submit_login(b, form, "smirnov", PASSWORD))

    def test_locked_account_then_unlocked(self):
        ctl_ok(self.data, "user", "lock", "sidorov")
        b = self.browser()
        loc, _ = self.start_flow(b)
        _, form = self.login_form(b, loc)
        page = self.submit_login(b, form, "sidorov", PASSWORD)
        self.assertEqual(page.status, 403, page.describe())
        self.assertIn("заблокирована", page.text)
        self.assertIn("locked", page.text)
        self.assertIsNone(page.saml_form())
        ctl_ok(self.data, "user", "unlock", "sidorov")
        self.assertSamlAnswer(self.submit_login(b, form, "sidorov", PASSWORD))
        # a lock also stops a live session from getting assertions
        ctl_ok(self.data, "user", "lock", "sidorov")
        xml, _ = self.request()
        page = self.send_redirect(b, xml)
        self.assertErrorPage(page, status=403)
        ctl_ok(self.data, "user", "unlock", "sidorov")


# ---------------------------------------------------------------- audit

class Audit(SsoBase):

    def test_audit_trail_of_a_flow(self):
        b = self.browser()
        entity, acs = self.sp("sp-plain")
        refused_xml, refused_id = self.request(destination="https://elsewhere.test/sso")
        self.assertErrorPage(self.send_redirect(b, refused_xml))
        xml, rid = self.request()
        loc = self.assertRedirectedToLogin(self.send_redirect(b, xml))
        _, form = self.login_form(b, loc)
        self.assertEqual(self.submit_login(b, form, USER, WRONG_PASSWORD).status, 401)
        self.assertSamlAnswer(self.submit_login(b, form, USER, PASSWORD), in_response_to=rid)

        events = self.audit()
        by_action = {}
        for e in events:
            by_action.setdefault(e["action"], []).append(e)

        accepted = [e for e in by_action.get("authn-request.accepted", []) if self.audit_details(e).get("id") == rid]
        self.assertEqual(len(accepted), 1, events)
        self.assertEqual(accepted[0]["target"], entity)
        self.assertEqual(self.audit_details(accepted[0])["acs"], acs)

        refused = [e for e in by_action.get("authn-request.refused", []) if self.audit_details(e).get("id") == refused_id]
        self.assertEqual(len(refused), 1, events)
        self.assertEqual(refused[0]["target"], entity)
        self.assertEqual(self.audit_details(refused[0])["step"], "destination")

        failures = [e for e in by_action.get("login.failure", []) if e["target"] == USER]
        self.assertEqual(len(failures), 1, events)
        self.assertEqual(self.audit_details(failures[0])["reason"], "bad-password")
        successes = [e for e in by_action.get("login.success", []) if e["target"] == USER]
        self.assertEqual(len(successes), 1, events)
        self.assertGreater(successes[0]["seq"], failures[0]["seq"])

        issued = [e for e in by_action.get("assertion.issue", []) if e["target"] == entity]
        self.assertEqual(len(issued), 1, events)
        self.assertEqual(issued[0]["actor"], USER)
        self.assertEqual(sorted(self.audit_details(issued[0])["attributes"]), ["accountStatus", "displayName", "snils"])

        # With the session now open: the request's event and the issuance are written in one
        # transaction, the request first.
        xml2, rid2 = self.request()
        self.assertSamlAnswer(self.send_redirect(b, xml2), in_response_to=rid2)
        tail = self.audit()[-2:]
        self.assertEqual([e["action"] for e in tail], ["authn-request.accepted", "assertion.issue"], tail)
        self.assertEqual(self.audit_details(tail[0])["id"], rid2)
        self.assertEqual(tail[1]["seq"], tail[0]["seq"] + 1)

        dump = json.dumps(events, ensure_ascii=False)
        for secret in (SNILS_DIGITS, "112-233-445 95", INN_DIGITS, "Иванович", PASSWORD, WRONG_PASSWORD):
            self.assertNotIn(secret, dump)
        ctl_ok(self.data, "audit", "verify")  # raises when the hash chain is broken


if __name__ == "__main__":
    unittest.main()

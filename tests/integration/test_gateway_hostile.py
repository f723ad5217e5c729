#!/usr/bin/python3
"""The federation gateway (docs/gateway.md) against a hostile upstream: /saml/acs must take
exactly the Responses a strict SAML SP takes and refuse everything else, each refusal a 4xx
page (nothing for the SP), audited as `upstream.response.refused` with the step that refused
it, and the server serving good logins after every one of them.

The test plays the upstream IdP itself: it holds a key and certificate made per run, writes
the upstream's IdP metadata (SSO and SLO on a loopback URL nobody serves: the browser is never
sent there, the test reads the redirect), registers it (`propuskctl upstream add`), and answers
Propusk's AuthnRequests with Responses built here from string templates: the Assertion signed
with `xmlsec1 --sign` (enveloped, exc-c14n, RSA-SHA256 or RSA-SHA1), encrypted with
`xmlsec1 --encrypt` (AES-GCM or AES-CBC under RSA-OAEP-MGF1P), or wrapped in the classic
signature-wrapping shapes. The SP asks with an unsigned HTTP-Redirect AuthnRequest; it allows
only the upstream and no password form, so /saml/sso sends the browser straight on.

Refusals are filed under the upstream's name; before the RelayState led to a login, under the
upstream the message names (unverified), or "-" when it names none registered.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_gateway_hostile.py -v
"""

import base64
import http.cookiejar
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid
import zlib
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import PASSWORD, ctl_ok, ctl_json, new_id, now_utc, xs_time, xml_attr as esc  # noqa: E402
# The browser, AuthnRequest and Redirect helpers of the SSO tests.
from test_sso import Browser, authn_request, decode_response, redirect_query, snils_with_checksum  # noqa: E402

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS, "md": MD}
ST = "urn:oasis:names:tc:SAML:2.0:status:"
SUCCESS, RESPONDER, AUTHN_FAILED = ST + "Success", ST + "Responder", ST + "AuthnFailed"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DIGEST_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
ENTITY_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
ID_ATTR_ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
ID_ATTR_RESPONSE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"

OID_SNILS, OID_SN, OID_GIVEN = "urn:oid:1.2.643.100.3", "urn:oid:2.5.4.4", "urn:oid:2.5.4.42"
MAP_TEXT = f"""\
# the test upstream's attributes (uri NameFormat) onto Propusk's
{OID_SNILS} = snils
{OID_SN} = sn
{OID_GIVEN} = givenName
"""

UPSTREAM = "bank"
UPSTREAM_ENTITY = "https://bank.test/idp"
SP_ENTITY = "https://shop.test/shibboleth"
SP_ACS = "https://shop.test/Shibboleth.sso/SAML2/POST"
# More SPs (registered before the server starts: an SP's policy change takes it a few seconds):
# one with the default policy (the password form only, no upstream); one allowing only the
# upstream and releasing accountStatus; one allowing only the upstream, wanting a confirmed account.
SP_LOCAL, SP_LOCAL_ACS = "https://library.test/sp", "https://library.test/saml/acs"
SP_STATUS, SP_STATUS_ACS = "https://clinic.test/sp", "https://clinic.test/saml/acs"
SP_CONFIRMED, SP_CONFIRMED_ACS = "https://tax.test/sp", "https://tax.test/saml/acs"
SP_ACS_OF = {SP_ENTITY: SP_ACS, SP_LOCAL: SP_LOCAL_ACS, SP_STATUS: SP_STATUS_ACS, SP_CONFIRMED: SP_CONFIRMED_ACS}
OID_ACCOUNT_STATUS = "urn:propusk:attribute:account-status"

# sso::UpstreamDirectory::kRefresh: a `propuskctl upstream set` is seen by the server within it.
UPSTREAM_REFRESH_S = 3
CLOCK_SKEW_S = 180  # the default [saml] clock skew
# Refusals before the sender proved to be the upstream (audited "authenticated": false).
UNPROVEN_STEPS = {"binding", "relay-state", "browser", "upstream", "parse", "decrypt", "issuer", "signature"}

# xmlenc algorithm URI -> xmlsec1 --session-key
DATA_ENC = {
    "aes128-gcm": ("http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128"),
    "aes128-cbc": ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "aes-128"),
}

UPSTREAM_METADATA = """\
<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="{ds}" entityID="{entity}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"
                       WantAuthnRequestsSigned="true">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="{redirect}" Location="{base}/slo"/>
    <md:SingleLogoutService Binding="{post}" Location="{base}/slo"/>
    <md:NameIDFormat>{persistent}</md:NameIDFormat>
    <md:SingleSignOnService Binding="{redirect}" Location="{base}/sso/redirect"/>
    <md:SingleSignOnService Binding="{post}" Location="{base}/sso/post"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""

SIGNATURE_TEMPLATE = (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="{alg}"/>'
    '<ds:Reference URI="#{id}"><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/>'
    '</ds:Reference></ds:SignedInfo><ds:SignatureValue/>'
    '<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>')

KEY_TRANSPORT = {
    "rsa-oaep-mgf1p": ('<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p">'
                       '<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>'),
    "rsa-1_5": '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-1_5"/>',
}

ENCRYPTION_TEMPLATE = (
    '<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" '
    'Type="http://www.w3.org/2001/04/xmlenc#Element">'
    '<xenc:EncryptionMethod Algorithm="{alg}"/>'
    '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>{transport}'
    '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
    '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>')


# ---------------------------------------------------------------- people

def random_snils():
    """11 digits with a valid check number, as the server's validator wants them (above
    001-001-998, no digit three times in a row)."""
    while True:
        nine = "%09d" % random.randrange(2_000_000, 999_999_999)
        if any(nine[i] == nine[i - 1] == nine[i - 2] for i in range(2, 9)):
            continue
        return snils_with_checksum(nine)


def formatted_snils(digits):
    """"112-233-445 95", as SNILS is printed (and as many upstreams send it)."""
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def wrong_checksum(digits):
    return digits[:9] + "%02d" % ((int(digits[9:]) + 1) % 100)


class Person:
    def __init__(self, name_id=None, snils=None, surname="Сидорова", given="Анна"):
        self.name_id = name_id or "bank-" + uuid.uuid4().hex
        self.snils = snils or random_snils()   # 11 digits
        self.surname = surname
        self.given = given


# ---------------------------------------------------------------- the fixture

class F:
    """The module's one store and server (set up in setUpModule)."""
    tmp = data = port = base = server = None
    acs = sp_md_entity = None
    upstream_key = upstream_cert = evil_key = evil_cert = other_enc_cert = None
    propusk_sign_pub = propusk_enc_cert = None
    upstream_sso_redirect = None


def pem_body(cert_path):
    with open(cert_path, encoding="ascii") as f:
        return "".join(line for line in f.read().splitlines() if "-----" not in line)


def setUpModule():  # noqa: N802 (unittest's naming)
    lib.require_binaries()
    F.tmp = tempfile.mkdtemp(prefix="propusk-it-gwh-")
    unittest.addModuleCleanup(shutil.rmtree, F.tmp, ignore_errors=True)
    F.work = os.path.join(F.tmp, "work")
    os.mkdir(F.work)
    F.data = os.path.join(F.tmp, "data")
    F.port = lib.free_port()
    F.base = f"https://127.0.0.1:{F.port}"
    F.acs = F.base + "/saml/acs"
    F.sp_md_entity = F.base + "/saml/sp/metadata"
    ctl_ok(F.data, "init")

    # The upstream: its key, a stranger's key, and an encryption certificate that is not Propusk's.
    F.upstream_key, F.upstream_cert = lib.openssl_key_cert(F.tmp, "upstream", cn="bank.test signing")
    F.evil_key, F.evil_cert = lib.openssl_key_cert(F.tmp, "evil", cn="bank.test signing")  # same name, other key
    _, F.other_enc_cert = lib.openssl_key_cert(F.tmp, "other-enc", cn="not propusk")
    # Where the upstream "lives": a loopback port nothing listens on (the test reads the redirect).
    upstream_base = f"https://127.0.0.1:{lib.free_port()}/idp"
    F.upstream_sso_redirect = upstream_base + "/sso/redirect"
    md = lib.write(os.path.join(F.tmp, "upstream-metadata.xml"), UPSTREAM_METADATA.format(
        md=MD, ds=DS, entity=UPSTREAM_ENTITY, cert=pem_body(F.upstream_cert), base=upstream_base,
        redirect=lib.BINDING_REDIRECT, post=lib.BINDING_POST, persistent=PERSISTENT))
    map_file = lib.write(os.path.join(F.tmp, "bank.map"), MAP_TEXT)
    ctl_ok(F.data, "upstream", "add", md, "--name", UPSTREAM, "--map", map_file, "--level", "standard",
           "--link-by", "snils")

    # The SP: unsigned requests, only the upstream, no password form; releases the mapped attributes.
    sp_key, sp_cert = lib.openssl_key_cert(F.tmp, "sp", cn="shop.test signing")
    with open(os.path.join(lib.SOURCE, "tests", "data", "sso", "sp-template.xml"), encoding="utf-8") as f:
        sp_template = f.read()

    def add_sp(entity, *settings):
        sp_md = (sp_template.replace("@ENTITY_ID@", entity).replace("@ACS_LOCATION@", SP_ACS_OF[entity])
                 .replace("@AUTHN_REQUESTS_SIGNED@", "false").replace("@SIGNING_CERT@", pem_body(sp_cert)))
        ctl_ok(F.data, "sp", "add", lib.write(os.path.join(F.tmp, f"sp-{uuid.uuid4().hex}.xml"), sp_md))
        if settings:
            ctl_ok(F.data, "sp", "set", entity, *settings)

    add_sp(SP_ENTITY, "--upstreams", UPSTREAM, "--local-login", "no")
    ctl_ok(F.data, "sp", "set", SP_ENTITY, "--release", "snils,sn,givenName")
    add_sp(SP_LOCAL)  # the defaults: no --upstreams, the password form
    add_sp(SP_STATUS, "--upstreams", UPSTREAM, "--local-login", "no", "--release", "snils,sn,givenName,accountStatus")
    add_sp(SP_CONFIRMED, "--upstreams", UPSTREAM, "--local-login", "no", "--min-status", "confirmed",
           "--release", "accountStatus")

    logs = os.path.join(F.tmp, "logs")
    os.mkdir(logs)
    F.server = lib.Server(["--data", F.data, "--listen", f"127.0.0.1:{F.port}", "--public-url", F.base],
                          workdir=logs)
    unittest.addModuleCleanup(F.server.stop)
    F.server.start()
    lib.wait_ready(F.server, F.port)

    # Propusk's SP metadata toward upstreams: its signing key (our AuthnRequests) and its
    # encryption key (what an upstream encrypts for).
    r = lib.https_request(F.port, "/saml/sp/metadata")
    if r.status != 200:
        raise AssertionError(f"GET /saml/sp/metadata: HTTP {r.status} {r.body[:500]!r}")
    root = lib.parse_xml(r.body)
    if root.get("entityID") != F.sp_md_entity:
        raise AssertionError(f"SP metadata entityID {root.get('entityID')!r}, expected {F.sp_md_entity!r}")
    spsso = root.find("md:SPSSODescriptor", NS)

    def cert_of(use):
        found = [kd.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS).text
                 for kd in spsso.findall("md:KeyDescriptor", NS) if kd.get("use") == use]
        if not found:
            raise AssertionError(f"no KeyDescriptor use={use!r} in /saml/sp/metadata:\n{r.text}")
        return lib.write(os.path.join(F.tmp, f"propusk-{use}.pem"), lib.pem_from_base64_der(found[0]))

    signing = cert_of("signing")
    F.propusk_enc_cert = cert_of("encryption")
    rc, pub, err = lib.run(["openssl", "x509", "-in", signing, "-pubkey", "-noout"])
    if rc != 0:
        raise AssertionError(f"openssl x509 -pubkey: {err}")
    F.propusk_sign_pub = lib.write(os.path.join(F.tmp, "propusk-signing-pub.pem"), pub)


# ---------------------------------------------------------------- the upstream's messages

def run_xmlsec(args):
    rc, out, err = lib.run(["xmlsec1"] + args)
    if rc != 0:
        raise AssertionError(f"xmlsec1 {' '.join(args[:1])} failed: {err}")


def work_file(name):
    return os.path.join(F.work, f"{uuid.uuid4().hex}-{name}")


def strip_declaration(text):
    text = text.lstrip()
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1]
    return text.strip()


def sign_xml(text, id_attr, key=None, cert=None):
    """xmlsec1 --sign of the first ds:Signature template in `text` (its Reference names the
    element by ID); the signed document without its XML declaration."""
    tmpl = lib.write(work_file("tmpl.xml"), text)
    out = tmpl + ".signed"
    run_xmlsec(["--sign", "--privkey-pem", f"{key or F.upstream_key},{cert or F.upstream_cert}",
                "--id-attr:ID", id_attr, "--output", out, tmpl])
    with open(out, encoding="utf-8") as f:
        return strip_declaration(f.read())


def encrypt_assertion(assertion, recipient_cert, algorithm="aes128-gcm", transport="rsa-oaep-mgf1p"):
    """saml:EncryptedAssertion holding `assertion` (text) encrypted with xmlsec1 for
    `recipient_cert` (RSA-OAEP-MGF1P key transport unless told, EncryptedKey in the
    EncryptedData's KeyInfo)."""
    uri, session_key = DATA_ENC[algorithm]
    data = lib.write(work_file("plain.xml"),
                     f'<?xml version="1.0" encoding="UTF-8"?>\n<saml:EncryptedAssertion xmlns:saml="{SAML}">'
                     f'{assertion}</saml:EncryptedAssertion>')
    tmpl = lib.write(work_file("enc-tmpl.xml"), ENCRYPTION_TEMPLATE.format(alg=uri, transport=KEY_TRANSPORT[transport]))
    out = data + ".enc"
    run_xmlsec(["--encrypt", "--pubkey-cert-pem", recipient_cert, "--session-key", session_key,
                "--xml-data", data, "--node-name", ID_ATTR_ASSERTION, "--output", out, tmpl])
    with open(out, encoding="utf-8") as f:
        text = strip_declaration(f.read())
    if "<saml:Assertion" in text or "CipherValue" not in text:
        raise AssertionError("xmlsec1 --encrypt left the Assertion in clear")
    return text


def attribute(name, friendly, value):
    return (f'<saml:Attribute Name="{name}" NameFormat="{URI_FORMAT}" FriendlyName="{friendly}">'
            f'<saml:AttributeValue>{esc(value)}</saml:AttributeValue></saml:Attribute>')


def assertion_xml(in_response_to, person, *, assertion_id=None, audience=None, recipient=None, issuer=UPSTREAM_ENTITY,
                  valid_from=None, valid_until=None, snils_text=None, signature=RSA_SHA256, advice="",
                  conditions="", authn_instant=None, session_not_on_or_after=None):
    """A saml:Assertion as the upstream writes it (every namespace it uses declared on itself,
    so that it can be signed alone and moved, encrypted or wrapped as text); with a signature
    template after the Issuer when `signature` names an algorithm, else unsigned."""
    now = now_utc()
    aid = assertion_id or new_id()
    valid_from = valid_from or now - timedelta(seconds=30)
    valid_until = valid_until or now + timedelta(minutes=5)
    sig = ""
    if signature:
        sig = SIGNATURE_TEMPLATE.format(alg=signature, id=aid,
                                        digest=DIGEST_SHA1 if signature == RSA_SHA1 else DIGEST_SHA256)
    irt = f' InResponseTo="{esc(in_response_to)}"' if in_response_to else ""
    snils_value = snils_text if snils_text is not None else formatted_snils(person.snils)
    instant = authn_instant or now - timedelta(seconds=5)
    session_end = (f' SessionNotOnOrAfter="{xs_time(session_not_on_or_after)}"'
                   if session_not_on_or_after else "")
    return (
        f'<saml:Assertion xmlns:saml="{SAML}" ID="{aid}" Version="2.0" IssueInstant="{xs_time(now)}">'
        f'<saml:Issuer>{esc(issuer)}</saml:Issuer>{sig}'
        f'<saml:Subject><saml:NameID Format="{PERSISTENT}" NameQualifier="{esc(UPSTREAM_ENTITY)}" '
        f'SPNameQualifier="{esc(F.sp_md_entity)}">{esc(person.name_id)}</saml:NameID>'
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData Recipient="{esc(recipient or F.acs)}"{irt} '
        f'NotOnOrAfter="{xs_time(valid_until)}"/></saml:SubjectConfirmation></saml:Subject>'
        f'<saml:Conditions NotBefore="{xs_time(valid_from)}" NotOnOrAfter="{xs_time(valid_until)}">'
        f'<saml:AudienceRestriction><saml:Audience>{esc(audience or F.sp_md_entity)}</saml:Audience>'
        f'</saml:AudienceRestriction>{conditions}</saml:Conditions>{advice}'
        f'<saml:AuthnStatement AuthnInstant="{xs_time(instant)}"{session_end} '
        f'SessionIndex="_s{uuid.uuid4().hex}"><saml:AuthnContext>'
        f'<saml:AuthnContextClassRef>{PPT}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>'
        f'<saml:AttributeStatement>'
        f'{attribute(OID_SNILS, "snils", snils_value)}'
        f'{attribute(OID_SN, "sn", person.surname)}'
        f'{attribute(OID_GIVEN, "givenName", person.given)}'
        f'</saml:AttributeStatement></saml:Assertion>'), aid


def signed_assertion(in_response_to, person, key=None, cert=None, **kw):
    """(signed Assertion text, its ID)."""
    text, aid = assertion_xml(in_response_to, person, **kw)
    return sign_xml(text, ID_ATTR_ASSERTION, key, cert), aid


def response_xml(in_response_to, body, *, destination=None, status=SUCCESS, second=None, extensions="",
                 sign=False, response_id=None, issuer=UPSTREAM_ENTITY):
    """A samlp:Response around `body` (Assertions, EncryptedAssertion or nothing)."""
    rid = response_id or new_id()
    dest = f' Destination="{esc(destination if destination is not None else F.acs)}"' if destination != "" else ""
    irt = f' InResponseTo="{esc(in_response_to)}"' if in_response_to else ""
    code = (f'<samlp:StatusCode Value="{status}"><samlp:StatusCode Value="{second}"/></samlp:StatusCode>'
            if second else f'<samlp:StatusCode Value="{status}"/>')
    sig = SIGNATURE_TEMPLATE.format(alg=RSA_SHA256, id=rid, digest=DIGEST_SHA256) if sign else ""
    ext = f"<samlp:Extensions>{extensions}</samlp:Extensions>" if extensions else ""
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{rid}" Version="2.0" '
            f'IssueInstant="{xs_time(now_utc())}"{dest}{irt}>'
            f'<saml:Issuer Format="{ENTITY_FORMAT}">{esc(issuer)}</saml:Issuer>{sig}{ext}'
            f'<samlp:Status>{code}</samlp:Status>{body}</samlp:Response>')
    return sign_xml(text, ID_ATTR_RESPONSE) if sign else text


def split_signature(signed):
    """(the ds:Signature element's text, the Assertion without it) of a signed Assertion."""
    start = signed.index("<ds:Signature")
    end = signed.index("</ds:Signature>") + len("</ds:Signature>")
    return signed[start:end], signed[:start] + signed[end:]


# ---------------------------------------------------------------- the browser's side

class Flow:
    """One login through the upstream in one browser: the SP's request, and what Propusk sent on."""

    def __init__(self, browser, sp_request_id, sp_relay, request_id, relay_state, cookie_name, sp=SP_ENTITY,
                 upstream_request=None):
        self.browser = browser
        self.sp = sp                      # the SP's entityID
        self.sp_acs = SP_ACS_OF[sp]
        self.upstream_request = upstream_request  # Propusk's AuthnRequest to the upstream (parsed)
        self.sp_request_id = sp_request_id
        self.sp_relay = sp_relay
        self.request_id = request_id      # Propusk's AuthnRequest ID (what InResponseTo must name)
        self.relay_state = relay_state    # Propusk's RelayState toward the upstream
        self.cookie_name = cookie_name

    def __repr__(self):
        return f"Flow(request {self.request_id}, RelayState {self.relay_state})"


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode()


class GatewayTestCase(unittest.TestCase):
    maxDiff = None

    # -- flows

    def sp_request(self, browser, sp=SP_ENTITY, force_authn=False):
        """The SP's unsigned HTTP-Redirect AuthnRequest at /saml/sso: (page, request ID, RelayState)."""
        xml, sp_rid = authn_request(sp, F.base + "/saml/sso", force_authn=force_authn)
        sp_relay = "shop-" + uuid.uuid4().hex[:12]
        return browser.get("/saml/sso?" + redirect_query(xml, sp_relay)), sp_rid, sp_relay

    def start_flow(self, browser=None, sp=SP_ENTITY, force_authn=False):
        """The SP's AuthnRequest at /saml/sso; Propusk answers 303 to the upstream with a signed
        HTTP-Redirect AuthnRequest, which is checked here, and sets the browser's cookie."""
        b = browser or Browser(F.port)
        page, sp_rid, sp_relay = self.sp_request(b, sp, force_authn)
        self.assertEqual(page.status, 303, page.describe())
        location = page.headers.get("Location") or ""
        base, _, query = location.partition("?")
        self.assertEqual(base, F.upstream_sso_redirect, location)
        pairs = [p.partition("=")[::2] for p in query.split("&")]
        self.assertEqual([k for k, _ in pairs], ["SAMLRequest", "RelayState", "SigAlg", "Signature"], location)
        values = dict(pairs)
        self.assertEqual(urllib.parse.unquote(values["SigAlg"]), RSA_SHA256)
        # bindings §3.4.4.1: the signature over the octets as sent, with Propusk's published key
        octets = "&".join(f"{k}={v}" for k, v in pairs if k != "Signature").encode()
        sig = lib.write(work_file("query.sig"), "")
        with open(sig, "wb") as f:
            f.write(base64.b64decode(urllib.parse.unquote(values["Signature"])))
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", F.propusk_sign_pub, "-signature", sig],
                           input=octets, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, f"the AuthnRequest's query signature does not verify: {p.stderr!r}")
        req = lib.parse_xml(zlib.decompress(base64.b64decode(urllib.parse.unquote(values["SAMLRequest"])), -15))
        self.assertEqual(req.tag, f"{{{SAMLP}}}AuthnRequest")
        self.assertIsNone(req.find("ds:Signature", NS), "HTTP-Redirect: the signature is in the query only")
        request_id = req.get("ID")
        self.assertTrue(request_id)
        self.assertEqual(req.findtext("saml:Issuer", namespaces=NS), F.sp_md_entity)
        self.assertEqual(req.get("AssertionConsumerServiceURL"), F.acs)
        self.assertEqual(req.get("Destination"), F.upstream_sso_redirect)
        self.assertIn(sp, [r.text for r in req.findall("samlp:Scoping/samlp:RequesterID", NS)])
        relay = urllib.parse.unquote(values["RelayState"])
        self.assertTrue(relay)
        self.assertNotEqual(relay, sp_relay, "Propusk's own RelayState toward the upstream, not the SP's")
        cookie_name = "propusk_up_" + relay[:12]
        cookies = page.set_cookies(cookie_name)
        self.assertEqual(len(cookies), 1, page.headers)
        flags = [c.strip().lower() for c in cookies[0].split(";")[1:]]
        self.assertIn("path=/saml/acs", flags)
        self.assertIn("secure", flags)
        self.assertIn("httponly", flags)
        self.assertIsNotNone(b.cookie(cookie_name))
        return Flow(b, sp_rid, sp_relay, request_id, relay, cookie_name, sp, req)

    def post(self, browser, xml, relay_state):
        fields = {"SAMLResponse": b64(xml)}
        if relay_state is not None:
            fields["RelayState"] = relay_state
        return browser.post("/saml/acs", fields)

    def good_response(self, flow, person=None, **kw):
        """(Response text, Assertion ID, person) answering `flow` as a correct upstream would."""
        person = person or Person()
        assertion, aid = signed_assertion(flow.request_id, person, **kw)
        return response_xml(flow.request_id, assertion), aid, person

    # -- outcomes

    def assertLoggedIn(self, page, flow, person, head, account=None, extra_attributes=None):
        """The auto-POST to the SP's ACS with a Success Response for the SP's request, saying the
        upstream authenticated the person, with the released attributes (SP_ENTITY's three, and
        `extra_attributes`: {Name: [values]}); the account as the store has it (an account the
        gateway made, or `account`). Returns (login, link outcome)."""
        self.assertEqual(page.status, 200, page.describe())
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        self.assertEqual(form["method"], "post")
        self.assertEqual(form["action"], flow.sp_acs)
        self.assertEqual(form["fields"].get("RelayState"), flow.sp_relay)
        resp = decode_response(form)
        self.assertEqual(resp.find("samlp:Status/samlp:StatusCode", NS).get("Value"), SUCCESS)
        self.assertEqual(resp.get("InResponseTo"), flow.sp_request_id)
        self.assertEqual(resp.get("Destination"), flow.sp_acs)
        assertion = resp.find("saml:Assertion", NS)
        self.assertIsNotNone(assertion, "the Response to the SP carries a plain Assertion")
        self.assertEqual(assertion.findtext("saml:Issuer", namespaces=NS), F.base + "/saml/metadata")
        ctx = assertion.find("saml:AuthnStatement/saml:AuthnContext", NS)
        self.assertEqual([a.text for a in ctx.findall("saml:AuthenticatingAuthority", NS)], [UPSTREAM_ENTITY])
        self.assertEqual(ctx.findtext("saml:AuthnContextClassRef", namespaces=NS), PPT)
        attrs = {a.get("Name"): [v.text for v in a.findall("saml:AttributeValue", NS)]
                 for a in assertion.findall("saml:AttributeStatement/saml:Attribute", NS)}
        self.assertEqual(attrs, {OID_SNILS: [person.snils], OID_SN: [person.surname], OID_GIVEN: [person.given],
                                 **(extra_attributes or {})})
        # the gateway's record of it: who logged in, through which link
        logins = [e for e in self.audit(head) if e["action"] == "upstream.login"]
        self.assertEqual(len(logins), 1, logins)
        self.assertEqual(logins[0]["target"], UPSTREAM)
        details = self.details(logins[0])
        self.assertEqual(details.get("subject"), person.name_id)
        self.assertEqual(details.get("sp"), flow.sp)
        login = logins[0]["actor"]
        if account is None:
            self.assertTrue(login.startswith(UPSTREAM + "."), login)
        else:
            self.assertEqual(login, account)
        self.assertEqual(self.refusals(head), [], "a good login refuses nothing")
        return login, details.get("link")

    def login_ok(self, person=None):
        """A fresh login through the upstream, start to end; (login, link, person)."""
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, person = self.good_response(flow, person)
        page = self.post(flow.browser, xml, flow.relay_state)
        login, link = self.assertLoggedIn(page, flow, person, head)
        return login, link, person

    def assertRefusedPage(self, page):
        """A refusal page for the person: 4xx HTML, nothing for the SP, no redirect."""
        self.assertGreaterEqual(page.status, 400, page.describe())
        self.assertLess(page.status, 500, page.describe())
        self.assertIn("text/html", page.headers.get("Content-Type") or "")
        self.assertIsNone(page.headers.get("Location"))
        self.assertRegex(page.text, r"[А-Яа-яЁё]{4,}")
        self.assertRegex(page.text, r"Reference: <code>[0-9a-f]{8,}</code>")
        self.assertNotIn("SAMLResponse", page.text)
        self.assertEqual([f for f in page.forms if f["method"] == "post"], [])

    def assertRefused(self, page, head, steps, target=UPSTREAM, authenticated=None):
        """Refused with a page, audited once as upstream.response.refused at one of `steps`
        (target: the upstream's name, "-" when the RelayState led to no login, or a tuple of these);
        nobody logged in and no account made; then the server still serves and a fresh good
        login still works. Returns the refusal's audit details."""
        self.assertRefusedPage(page)
        steps = (steps,) if isinstance(steps, str) else tuple(steps)
        events = self.audit(head)
        refused = [e for e in events if e["action"] == "upstream.response.refused"]
        self.assertEqual(len(refused), 1, events)
        self.assertIn(refused[0]["target"], (target,) if isinstance(target, str) else tuple(target), refused[0])
        self.assertEqual(refused[0]["outcome"], "refused", refused[0])
        details = self.details(refused[0])
        self.assertIn(details.get("step"), steps, details)
        # Only a refusal after the signature verified blames the upstream itself.
        # Unless told: signed messages (what these tests send) are proven past the signature step.
        expected = details.get("step") not in UNPROVEN_STEPS if authenticated is None else authenticated
        self.assertIs(details.get("authenticated"), expected, details)
        self.assertEqual([e for e in events if e["action"] in ("upstream.login", "user.create", "account.link")], [],
                         "a refused Response logs nobody in and creates or links no account")
        self.assertStillServes()
        return details

    def assertStillServes(self):
        r = lib.https_request(F.port, "/readyz")
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(F.server.running(), F.server.describe())
        self.login_ok()

    # -- audit and store

    def audit(self, since=0):
        events = json.loads(ctl_ok(F.data, "audit", "list", "--after", str(since), "--limit", "100000", "--json"))
        return sorted((e for e in events if e["seq"] > since), key=lambda e: e["seq"])

    def audit_head(self):
        return max((e["seq"] for e in json.loads(ctl_ok(F.data, "audit", "list", "--limit", "100000", "--json"))),
                   default=0)

    @staticmethod
    def details(e):
        return json.loads(e["details"]) if e.get("details") else {}

    def refusals(self, since):
        return [e for e in self.audit(since) if e["action"] == "upstream.response.refused"]

    def users(self):
        return ctl_json(F.data, "user", "list")

    @staticmethod
    def add_account(status, person):
        """A local account (password, e-mail) with the person's name and SNILS at `status`; its login."""
        login = "acct" + uuid.uuid4().hex[:10]
        ctl_ok(F.data, "user", "add", login, "--surname", person.surname, "--given-name", person.given,
               "--snils", formatted_snils(person.snils), "--email", f"{login}@example.org", "--status", status,
               input=PASSWORD + "\n")
        return login

    @staticmethod
    def stored_links(login):
        """(upstream, subject) rows of account_links for the account, read from the store itself."""
        with sqlite3.connect(f"file:{lib.store_file(F.data)}?mode=ro", uri=True) as conn:
            return sorted(conn.execute("SELECT l.upstream, l.subject FROM account_links l JOIN users u "
                                       "ON u.id = l.user_id WHERE u.login = ?", (login,)).fetchall())

    @staticmethod
    def shown_links(login):
        return [(l["upstream"], l["subject"]) for l in ctl_json(F.data, "user", "show", login).get("links", [])]


def parse_xs_time(text):
    """An xs:dateTime in UTC (fractional seconds allowed) as an aware datetime."""
    assert text and text.endswith("Z"), text
    main, _, fraction = text[:-1].partition(".")
    t = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return t + timedelta(microseconds=int((fraction + "000000")[:6])) if fraction else t


def sp_assertion(page):
    """The Assertion of the Response a page auto-POSTs to the SP."""
    return decode_response(page.saml_form()).find("saml:Assertion", NS)


def sp_attributes(assertion):
    return {a.get("Name"): [v.text for v in a.findall("saml:AttributeValue", NS)]
            for a in assertion.findall("saml:AttributeStatement/saml:Attribute", NS)}


# ---------------------------------------------------------------- good answers

class GoodAnswers(GatewayTestCase):

    def test_signed_assertion_creates_a_linked_account_and_answers_the_sp(self):
        person = Person()
        login, link, _ = self.login_ok(person)
        self.assertEqual(link, "created")
        user = ctl_json(F.data, "user", "show", login)
        self.assertEqual(user["status"], "standard")
        self.assertEqual(user.get("snils"), person.snils)
        self.assertEqual(user.get("surname"), person.surname)
        self.assertEqual(user.get("given_name"), person.given)
        self.assertEqual([(l["upstream"], l["subject"]) for l in user.get("links", [])], [(UPSTREAM, person.name_id)])
        # the same person again (another browser): the same account, by its link
        login2, link2, _ = self.login_ok(person)
        self.assertEqual((login2, link2), (login, "linked"))

    def test_assertion_encrypted_for_propusk_is_accepted(self):
        for algorithm in ("aes128-gcm", "aes128-cbc"):
            with self.subTest(algorithm=algorithm):
                head = self.audit_head()
                flow = self.start_flow()
                person = Person()
                assertion, _ = signed_assertion(flow.request_id, person)
                xml = response_xml(flow.request_id, encrypt_assertion(assertion, F.propusk_enc_cert, algorithm))
                page = self.post(flow.browser, xml, flow.relay_state)
                self.assertLoggedIn(page, flow, person, head)

    def test_expired_within_the_clock_skew_is_accepted(self):
        head = self.audit_head()
        flow = self.start_flow()
        now = now_utc()
        xml, _, person = self.good_response(flow, valid_from=now - timedelta(minutes=5),
                                            valid_until=now - timedelta(seconds=60))
        page = self.post(flow.browser, xml, flow.relay_state)
        self.assertLoggedIn(page, flow, person, head)


# ---------------------------------------------------------------- hostile answers

class HostileAnswers(GatewayTestCase):

    # (1)
    def test_unsigned_assertion(self):
        head = self.audit_head()
        flow = self.start_flow()
        assertion, _ = assertion_xml(flow.request_id, Person(), signature=None)
        page = self.post(flow.browser, response_xml(flow.request_id, assertion), flow.relay_state)
        details = self.assertRefused(page, head, "signature")
        self.assertIs(details.get("authenticated"), False, details)
        # `upstream show` lists it among the last refusals
        shown = ctl_json(F.data, "upstream", "show", UPSTREAM)
        self.assertIn("signature", [r.get("step") for r in shown.get("last_refusals", [])], shown)

    # (2)
    def test_signed_by_another_key(self):
        head = self.audit_head()
        flow = self.start_flow()
        # The key the message carries (KeyInfo) is the stranger's; only the metadata key counts.
        assertion, _ = signed_assertion(flow.request_id, Person(), key=F.evil_key, cert=F.evil_cert)
        page = self.post(flow.browser, response_xml(flow.request_id, assertion), flow.relay_state)
        self.assertRefused(page, head, "signature")

    def test_signed_response_by_another_key_around_a_good_assertion(self):
        # The Assertion is the upstream's own; the Response around it is signed by a stranger:
        # every signature present must verify.
        head = self.audit_head()
        flow = self.start_flow()
        assertion, _ = signed_assertion(flow.request_id, Person())
        rid = new_id()
        text = response_xml(flow.request_id, assertion, response_id=rid).replace(
            "</saml:Issuer>", "</saml:Issuer>" + SIGNATURE_TEMPLATE.format(alg=RSA_SHA256, id=rid, digest=DIGEST_SHA256), 1)
        xml = sign_xml(text, ID_ATTR_RESPONSE, F.evil_key, F.evil_cert)
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "signature")

    # (3) signature wrapping
    def _forged(self, flow, original_id=None):
        """An unsigned Assertion for somebody else, otherwise correct for `flow`."""
        return assertion_xml(flow.request_id, Person(name_id="admin"), assertion_id=original_id, signature=None)

    def test_wrapping_original_in_extensions_forged_in_place(self):
        head = self.audit_head()
        flow = self.start_flow()
        original, _ = signed_assertion(flow.request_id, Person())
        forged, _ = self._forged(flow)
        xml = response_xml(flow.request_id, forged, extensions=original)
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, ("parse", "signature"))

    def test_wrapping_original_in_extensions_forged_with_the_same_id(self):
        head = self.audit_head()
        flow = self.start_flow()
        original, aid = signed_assertion(flow.request_id, Person())
        forged, _ = self._forged(flow, original_id=aid)
        xml = response_xml(flow.request_id, forged, extensions=original)
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, ("parse", "signature"))

    def test_wrapping_original_in_the_signature_object_of_the_forged(self):
        # XSW-7/8 shape: the forged Assertion carries the original's Signature, whose ds:Object
        # holds the original Assertion (its own signature taken out, so its digest still
        # matches); the forged one with an ID of its own, or with the original's.
        for same_id in (False, True):
            with self.subTest(same_id=same_id):
                head = self.audit_head()
                flow = self.start_flow()
                original, aid = signed_assertion(flow.request_id, Person())
                signature, unsigned_original = split_signature(original)
                wrapped = signature.replace("</ds:Signature>",
                                            f"<ds:Object>{unsigned_original}</ds:Object></ds:Signature>")
                forged, _ = self._forged(flow, original_id=aid if same_id else None)
                forged = forged.replace("</saml:Issuer>", "</saml:Issuer>" + wrapped, 1)
                xml = response_xml(flow.request_id, forged)
                self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, ("parse", "signature"))

    def test_wrapping_original_in_the_advice_of_the_forged(self):
        head = self.audit_head()
        flow = self.start_flow()
        original, _ = signed_assertion(flow.request_id, Person())
        forged, _ = assertion_xml(flow.request_id, Person(name_id="admin"), signature=None,
                                  advice=f"<saml:Advice>{original}</saml:Advice>")
        xml = response_xml(flow.request_id, forged)
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, ("parse", "signature"))

    def test_wrapping_forged_assertion_beside_the_original(self):
        for order in ("forged-first", "original-first"):
            with self.subTest(order=order):
                head = self.audit_head()
                flow = self.start_flow()
                original, _ = signed_assertion(flow.request_id, Person())
                forged, _ = self._forged(flow)
                body = forged + original if order == "forged-first" else original + forged
                xml = response_xml(flow.request_id, body)
                self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, ("parse", "signature"))

    def test_wrapping_signed_original_and_forged_encrypted_beside_it(self):
        # One plain and one encrypted Assertion: never one of each.
        head = self.audit_head()
        flow = self.start_flow()
        original, _ = signed_assertion(flow.request_id, Person())
        forged, _ = self._forged(flow)
        body = original + encrypt_assertion(forged, F.propusk_enc_cert)
        xml = response_xml(flow.request_id, body)
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, ("parse", "signature"))

    # (4) replay
    def test_replay_in_a_new_login_flow(self):
        head = self.audit_head()
        first = self.start_flow()
        xml, _, person = self.good_response(first)
        self.assertLoggedIn(self.post(first.browser, xml, first.relay_state), first, person, head)
        # Another login (another browser): the same Response, its InResponseTo names the first request.
        head = self.audit_head()
        second = self.start_flow()
        page = self.post(second.browser, xml, second.relay_state)
        self.assertRefused(page, head, ("in-response-to", "replay"))

    def test_replay_to_the_same_flow(self):
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, person = self.good_response(flow)
        self.assertLoggedIn(self.post(flow.browser, xml, flow.relay_state), flow, person, head)
        # The same POST again from the same browser (its cookie was cleared with the answer).
        head = self.audit_head()
        page = self.post(flow.browser, xml, flow.relay_state)
        # Filed under the upstream the Response names (not authenticated: nothing was verified).
        self.assertRefused(page, head, ("relay-state", "replay"))

    def test_replay_to_the_same_flow_with_the_cookie_kept(self):
        head = self.audit_head()
        flow = self.start_flow()
        token = flow.browser.cookie(flow.cookie_name)
        xml, _, person = self.good_response(flow)
        self.assertLoggedIn(self.post(flow.browser, xml, flow.relay_state), flow, person, head)
        other = Browser(F.port)
        other.jar.clear()
        self._plant(other, flow.cookie_name, token)
        head = self.audit_head()
        page = self.post(other, xml, flow.relay_state)
        self.assertRefused(page, head, ("relay-state", "replay"))

    def test_assertion_id_used_before(self):
        # The upstream reuses an Assertion ID in a Response for a new request: the shared replay
        # cache has it.
        head = self.audit_head()
        first = self.start_flow()
        xml, aid, person = self.good_response(first)
        self.assertLoggedIn(self.post(first.browser, xml, first.relay_state), first, person, head)
        head = self.audit_head()
        second = self.start_flow()
        assertion, _ = signed_assertion(second.request_id, person, assertion_id=aid)
        page = self.post(second.browser, response_xml(second.request_id, assertion), second.relay_state)
        self.assertRefused(page, head, "replay")

    # (5)
    def test_another_audience(self):
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, _ = self.good_response(flow, audience="https://other-sp.test/sp")
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "audience")

    # (6)
    def test_expired_beyond_the_clock_skew(self):
        head = self.audit_head()
        flow = self.start_flow()
        now = now_utc()
        xml, _, _ = self.good_response(flow, valid_from=now - timedelta(minutes=20),
                                       valid_until=now - timedelta(seconds=CLOCK_SKEW_S + 420))
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "time-window")

    def test_not_yet_valid_beyond_the_clock_skew(self):
        head = self.audit_head()
        flow = self.start_flow()
        now = now_utc()
        xml, _, _ = self.good_response(flow, valid_from=now + timedelta(seconds=CLOCK_SKEW_S + 420),
                                       valid_until=now + timedelta(minutes=20))
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "time-window")

    # (7)
    def test_in_response_to_another_browsers_request(self):
        a = self.start_flow()
        b = self.start_flow()
        head = self.audit_head()
        xml, _, _ = self.good_response(b)  # answers B's request...
        page = self.post(a.browser, xml, a.relay_state)  # ...posted with A's RelayState and cookie
        self.assertRefused(page, head, "in-response-to")

    def test_relay_state_without_its_cookie(self):
        a = self.start_flow()
        xml, _, _ = self.good_response(a)
        head = self.audit_head()
        page = self.post(Browser(F.port), xml, a.relay_state)  # a browser that never started A
        self.assertRefused(page, head, "browser")

    def test_relay_state_with_a_forged_cookie(self):
        a = self.start_flow()
        xml, _, _ = self.good_response(a)
        other = Browser(F.port)
        self._plant(other, a.cookie_name, "x" * len(a.browser.cookie(a.cookie_name)))
        head = self.audit_head()
        self.assertRefused(self.post(other, xml, a.relay_state), head, "browser")

    def test_unknown_and_missing_relay_state(self):
        # Before the RelayState leads to a login, the refusal is filed under the upstream the
        # message names (unverified), or "-" when it names none registered.
        for relay, issuer, target in (("never-sent-" + uuid.uuid4().hex, UPSTREAM_ENTITY, UPSTREAM),
                                      (None, UPSTREAM_ENTITY, UPSTREAM),
                                      ("never-sent-" + uuid.uuid4().hex, "https://nobody.test/idp", "-")):
            with self.subTest(relay=relay, issuer=issuer):
                a = self.start_flow()
                assertion, _ = signed_assertion(a.request_id, Person(), issuer=issuer)
                xml = response_xml(a.request_id, assertion, issuer=issuer)
                head = self.audit_head()
                self.assertRefused(self.post(a.browser, xml, relay), head, "relay-state", target=target)

    @staticmethod
    def _plant(browser, name, value):
        """Sets a cookie for /saml/acs, as an attacker's own client would send it."""
        browser.jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, "127.0.0.1", False, False, "/saml/acs", True, True, None, False, None,
            None, {}))

    # (8)
    def test_encrypted_for_another_key(self):
        for algorithm in ("aes128-gcm", "aes128-cbc"):
            with self.subTest(algorithm=algorithm):
                head = self.audit_head()
                flow = self.start_flow()
                assertion, _ = signed_assertion(flow.request_id, Person())
                xml = response_xml(flow.request_id, encrypt_assertion(assertion, F.other_enc_cert, algorithm))
                self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "decrypt")

    def test_encrypted_with_rsa_1_5_key_transport(self):
        # To Propusk's own key, but under RSA PKCS#1 v1.5 (Bleichenbacher): refused.
        head = self.audit_head()
        flow = self.start_flow()
        assertion, _ = signed_assertion(flow.request_id, Person())
        xml = response_xml(flow.request_id, encrypt_assertion(assertion, F.propusk_enc_cert, "aes128-cbc", "rsa-1_5"))
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "decrypt")

    def test_proxy_restriction_count_zero(self):
        # core §2.5.1.6: the upstream forbids issuing assertions on the strength of this one.
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, _ = self.good_response(flow, conditions='<saml:ProxyRestriction Count="0"/>')
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "proxy")

    def test_response_by_http_redirect(self):
        # profiles §4.1.2: no Responses over HTTP-Redirect (docs/gateway.md: GET /saml/acs is
        # refused) — a bearer assertion in a URL ends up in logs and Referer headers.
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, _ = self.good_response(flow)
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        deflated = deflater.compress(xml.encode("utf-8")) + deflater.flush()
        query = urllib.parse.urlencode({"SAMLResponse": base64.b64encode(deflated).decode(),
                                        "RelayState": flow.relay_state})
        page = flow.browser.get("/saml/acs?" + query)
        # 405 with Allow: POST, before anything reads the message: no login, and nothing a
        # cross-site <img> could use to fill the audit log.
        self.assertEqual(page.status, 405, page.text[:300])
        self.assertEqual(page.headers.get("Allow"), "POST")
        self.assertNotIn("SAMLResponse", page.text)
        self.assertEqual([e for e in self.audit(head) if e["action"] in ("upstream.login", "assertion.issue")], [])

    # (9)
    def test_invalid_snils_checksum(self):
        person = Person()
        bad = formatted_snils(wrong_checksum(person.snils))
        users_before = self.users()
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, _ = self.good_response(flow, person, snils_text=bad)
        page = self.post(flow.browser, xml, flow.relay_state)
        # assertRefused checks no account was created or linked before its own fresh login
        details = self.assertRefused(page, head, "attributes")
        self.assertIn("snils", json.dumps(details, ensure_ascii=False).lower(), details)
        after = [u for u in self.users() if u["login"] not in {x["login"] for x in users_before}]
        self.assertEqual(len(after), 1, "only assertStillServes' fresh login made an account")
        self.assertNotEqual(after[0].get("snils"), wrong_checksum(person.snils))

    # (10)
    def test_sha1_signature_then_allowed(self):
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, _ = self.good_response(flow, signature=RSA_SHA1)
        details = self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "signature")
        self.assertIn("--allow-sha1 yes", details.get("remedy", ""), details)

        ctl_ok(F.data, "upstream", "set", UPSTREAM, "--allow-sha1", "yes")
        self.addCleanup(time.sleep, UPSTREAM_REFRESH_S + 0.5)
        self.addCleanup(ctl_ok, F.data, "upstream", "set", UPSTREAM, "--allow-sha1", "no")
        time.sleep(UPSTREAM_REFRESH_S + 0.5)  # the server re-reads the upstreams within kRefresh
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, person = self.good_response(flow, signature=RSA_SHA1)
        self.assertLoggedIn(self.post(flow.browser, xml, flow.relay_state), flow, person, head)

    # (11)
    def test_wrong_destination(self):
        head = self.audit_head()
        flow = self.start_flow()
        person = Person()
        assertion, _ = signed_assertion(flow.request_id, person)
        xml = response_xml(flow.request_id, assertion, destination="https://evil.test/saml/acs")
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "destination")

    def test_wrong_recipient(self):
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, _ = self.good_response(flow, recipient="https://evil.test/saml/acs")
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "recipient")

    def test_wrong_issuer(self):
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, _ = self.good_response(flow, issuer="https://evil.test/idp")
        self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "issuer")

    # (12)
    def test_upstream_error_status_goes_to_the_sp(self):
        head = self.audit_head()
        flow = self.start_flow()
        xml = response_xml(flow.request_id, "", status=RESPONDER, second=AUTHN_FAILED, sign=True)
        page = self.post(flow.browser, xml, flow.relay_state)
        self.assertEqual(page.status, 200, page.describe())
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        self.assertEqual((form["method"], form["action"]), ("post", SP_ACS))
        self.assertEqual(form["fields"].get("RelayState"), flow.sp_relay)
        resp = decode_response(form)
        self.assertEqual(resp.get("InResponseTo"), flow.sp_request_id)
        top = resp.find("samlp:Status/samlp:StatusCode", NS)
        self.assertEqual(top.get("Value"), RESPONDER)
        second = top.find("samlp:StatusCode", NS)
        self.assertEqual(second.get("Value") if second is not None else None, AUTHN_FAILED)
        self.assertIsNone(resp.find("saml:Assertion", NS))
        events = self.audit(head)
        refused = [e for e in events if e["action"] == "upstream.response.refused"]
        self.assertEqual([(e["target"], self.details(e).get("step")) for e in refused], [(UPSTREAM, "status")], events)
        self.assertEqual([e for e in events if e["action"] in ("upstream.login", "user.create")], [])
        self.assertStillServes()

    def test_upstream_error_status_ends_the_flow(self):
        # One answer per request: once the SP has been told AuthnFailed, a later Response for
        # the same request (even a good one) must not send the SP a second, Success answer.
        flow = self.start_flow()
        error = response_xml(flow.request_id, "", status=RESPONDER, second=AUTHN_FAILED, sign=True)
        page = self.post(flow.browser, error, flow.relay_state)
        self.assertIsNotNone(page.saml_form(), page.describe())
        head = self.audit_head()
        xml, _, _ = self.good_response(flow)
        page = self.post(flow.browser, xml, flow.relay_state)
        self.assertRefused(page, head, ("relay-state", "in-response-to", "replay"), target=("-", UPSTREAM))


# ---------------------------------------------------------------- ForceAuthn, account levels, sessions

REQUEST_DENIED = ST + "RequestDenied"


class ForceAuthnAnswers(GatewayTestCase):
    """core §3.4.1: the SP's ForceAuthn goes on to the upstream, and only an authentication made
    for the request (AuthnInstant no older than it, within the clock skew) answers it; the SP
    sees the upstream's AuthnInstant and SessionNotOnOrAfter, not Propusk's session times."""

    def test_force_authn_is_passed_on_to_the_upstream(self):
        plain = self.start_flow()
        self.assertIn(plain.upstream_request.get("ForceAuthn"), (None, "false"))
        forced = self.start_flow(force_authn=True)
        self.assertEqual(forced.upstream_request.get("ForceAuthn"), "true")

    def test_force_authn_answered_from_an_old_authentication(self):
        head = self.audit_head()
        flow = self.start_flow(force_authn=True)
        xml, _, person = self.good_response(flow, authn_instant=now_utc() - timedelta(hours=1))
        details = self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "authn-statement")
        self.assertIs(details.get("authenticated"), True, details)
        self.assertEqual([u["login"] for u in self.users() if u.get("snils") == person.snils], [])

    def test_force_authn_answered_with_a_fresh_authentication(self):
        now = now_utc().replace(microsecond=0)
        # After the SP's request; and before it by less than the clock skew (the upstream's clock
        # may lag) — the latter far enough from Propusk's session start to tell the two apart.
        for label, instant in (("now", now), ("100 s before", now - timedelta(seconds=100))):
            with self.subTest(instant=label):
                head = self.audit_head()
                flow = self.start_flow(force_authn=True)
                session_end = now + timedelta(minutes=10)
                xml, _, person = self.good_response(flow, authn_instant=instant, session_not_on_or_after=session_end)
                page = self.post(flow.browser, xml, flow.relay_state)
                self.assertLoggedIn(page, flow, person, head)
                statement = sp_assertion(page).find("saml:AuthnStatement", NS)
                self.assertEqual(parse_xs_time(statement.get("AuthnInstant")), instant, statement.attrib)
                self.assertEqual(parse_xs_time(statement.get("SessionNotOnOrAfter")), session_end, statement.attrib)

    def test_old_authentication_without_force_authn_is_what_the_sp_sees(self):
        # Without ForceAuthn an hour-old authentication is fine; the SP is told when it was.
        head = self.audit_head()
        flow = self.start_flow()
        instant = now_utc().replace(microsecond=0) - timedelta(hours=1)
        xml, _, person = self.good_response(flow, authn_instant=instant)
        page = self.post(flow.browser, xml, flow.relay_state)
        self.assertLoggedIn(page, flow, person, head)
        statement = sp_assertion(page).find("saml:AuthnStatement", NS)
        self.assertEqual(parse_xs_time(statement.get("AuthnInstant")), instant, statement.attrib)


class AccountLevel(GatewayTestCase):
    """The upstream is registered --level standard --link-by snils: it may link an account of
    that level or below, never a confirmed one, and what an assertion in its session states is
    never above standard, whatever the account's status later becomes."""

    def test_confirmed_account_with_the_snils_is_not_linked(self):
        person = Person()
        login = self.add_account("confirmed", person)
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, _ = self.good_response(flow, person)
        details = self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "link")
        self.assertIn(login, details.get("detail", ""), details)
        self.assertEqual(self.stored_links(login), [])
        self.assertEqual(self.shown_links(login), [])
        self.assertEqual(ctl_json(F.data, "user", "show", login)["status"], "confirmed")
        self.assertEqual([u["login"] for u in self.users() if u.get("snils") == person.snils], [login])

    def test_standard_or_simplified_account_with_the_snils_is_linked(self):
        for status in ("standard", "simplified"):
            with self.subTest(status=status):
                person = Person()
                login = self.add_account(status, person)
                head = self.audit_head()
                flow = self.start_flow()
                xml, _, _ = self.good_response(flow, person)
                _, link = self.assertLoggedIn(self.post(flow.browser, xml, flow.relay_state), flow, person, head,
                                              account=login)
                self.assertEqual(link, "linked-by-snils")
                self.assertEqual(self.stored_links(login), [(UPSTREAM, person.name_id)])
                self.assertEqual(self.shown_links(login), [(UPSTREAM, person.name_id)])
                self.assertEqual([(e["action"], e["target"]) for e in self.audit(head)
                                  if e["action"] in ("account.link", "user.create")], [("account.link", login)])

    def test_status_raised_after_the_link_is_stated_no_higher_than_the_upstream(self):
        person = Person()
        login = self.add_account("standard", person)
        standard = {OID_ACCOUNT_STATUS: ["standard"]}
        head = self.audit_head()
        flow = self.start_flow(sp=SP_STATUS)
        xml, _, _ = self.good_response(flow, person)
        _, link = self.assertLoggedIn(self.post(flow.browser, xml, flow.relay_state), flow, person, head,
                                      account=login, extra_attributes=standard)
        self.assertEqual(link, "linked-by-snils")

        ctl_ok(F.data, "user", "set-status", login, "confirmed")
        self.assertEqual(ctl_json(F.data, "user", "show", login)["status"], "confirmed")
        # Through the upstream again: by the link, but stated as what the upstream vouches for.
        head = self.audit_head()
        flow = self.start_flow(sp=SP_STATUS)
        xml, _, _ = self.good_response(flow, person)
        _, link = self.assertLoggedIn(self.post(flow.browser, xml, flow.relay_state), flow, person, head,
                                      account=login, extra_attributes=standard)
        self.assertEqual(link, "linked")

        # That session's SSO to an SP wanting a confirmed account: refused.
        head = self.audit_head()
        page, sp_rid, sp_relay = self.sp_request(flow.browser, SP_CONFIRMED)
        self.assertStatusTooLow(page, sp_rid, sp_relay, head, login)
        self.assertEqual([e for e in self.audit(head) if e["action"].startswith("upstream.")], [],
                         "answered from the session")

        # A fresh login through the upstream for that SP: refused as well.
        head = self.audit_head()
        flow = self.start_flow(sp=SP_CONFIRMED)
        xml, _, _ = self.good_response(flow, person)
        page = self.post(flow.browser, xml, flow.relay_state)
        self.assertStatusTooLow(page, flow.sp_request_id, flow.sp_relay, head, login)
        self.assertEqual([(e["action"], e["actor"]) for e in self.audit(head) if e["action"] == "upstream.login"],
                         [("upstream.login", login)])
        self.assertEqual(self.refusals(head), [])
        self.assertStillServes()

    def assertStatusTooLow(self, page, sp_request_id, sp_relay, head, login):
        """SP_CONFIRMED's answer for an upstream session of `login`: the status-too-low page (403)
        whose form carries a RequestDenied Response to the SP, audited as assertion.refused."""
        self.assertEqual(page.status, 403, page.describe())
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        self.assertEqual((form["method"], form["action"]), ("post", SP_CONFIRMED_ACS))
        self.assertEqual(form["fields"].get("RelayState"), sp_relay)
        resp = decode_response(form)
        self.assertEqual(resp.get("InResponseTo"), sp_request_id)
        top = resp.find("samlp:Status/samlp:StatusCode", NS)
        second = top.find("samlp:StatusCode", NS)
        self.assertEqual((top.get("Value"), second.get("Value") if second is not None else None),
                         (ST + "Requester", REQUEST_DENIED))
        self.assertIsNone(resp.find("saml:Assertion", NS))
        self.assertIn("«standard»", page.text)
        events = self.audit(head)
        refused = [(e["actor"], e["target"], self.details(e)) for e in events if e["action"] == "assertion.refused"]
        self.assertEqual(refused, [(login, SP_CONFIRMED, {"reason": "account-status", "have": "standard",
                                                          "need": "confirmed"})], events)
        self.assertEqual([e for e in events if e["action"] == "assertion.issue"], [])


class SessionReuse(GatewayTestCase):
    """A session answers only a request that would let the person in the same way: an upstream
    session is not a password login."""

    def test_upstream_session_answers_only_sps_allowing_that_upstream(self):
        head = self.audit_head()
        flow = self.start_flow()
        xml, _, person = self.good_response(flow)
        login, _ = self.assertLoggedIn(self.post(flow.browser, xml, flow.relay_state), flow, person, head)
        browser = flow.browser

        # An SP with the default policy (the password form, no upstream): the login page.
        head = self.audit_head()
        page, _, _ = self.sp_request(browser, SP_LOCAL)
        self.assertEqual(page.status, 303, page.describe())
        self.assertTrue((page.headers.get("Location") or "").startswith(F.base + "/login?flow="), page.headers)
        self.assertIsNone(page.saml_form())
        self.assertEqual([e for e in self.audit(head) if e["action"] in ("assertion.issue", "assertion.refused")], [])

        # An SP allowing only this upstream: answered at once from the session.
        head = self.audit_head()
        page, sp_rid, sp_relay = self.sp_request(browser, SP_STATUS)
        self.assertEqual(page.status, 200, page.describe())
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        self.assertEqual((form["method"], form["action"]), ("post", SP_STATUS_ACS))
        self.assertEqual(form["fields"].get("RelayState"), sp_relay)
        resp = decode_response(form)
        self.assertEqual(resp.find("samlp:Status/samlp:StatusCode", NS).get("Value"), SUCCESS)
        self.assertEqual(resp.get("InResponseTo"), sp_rid)
        assertion = resp.find("saml:Assertion", NS)
        ctx = assertion.find("saml:AuthnStatement/saml:AuthnContext", NS)
        self.assertEqual([a.text for a in ctx.findall("saml:AuthenticatingAuthority", NS)], [UPSTREAM_ENTITY])
        self.assertEqual(sp_attributes(assertion), {OID_SNILS: [person.snils], OID_SN: [person.surname],
                                                    OID_GIVEN: [person.given], OID_ACCOUNT_STATUS: ["standard"]})
        events = self.audit(head)
        self.assertEqual([e for e in events if e["action"].startswith("upstream.")], [], "no new upstream round")
        self.assertEqual([(e["actor"], e["target"]) for e in events if e["action"] == "assertion.issue"],
                         [(login, SP_STATUS)])

        # ForceAuthn is never answered from the session: on to the upstream again.
        forced = self.start_flow(browser=browser, force_authn=True)
        self.assertEqual(forced.upstream_request.get("ForceAuthn"), "true")


class NameIdChecks(GatewayTestCase):
    """The persistent NameID keys the account link: one printable() would change (control or
    invisible characters, more than 256 bytes) is refused, not stored cleaned up."""

    def test_name_id_with_control_or_invisible_characters_or_too_long(self):
        tail = uuid.uuid4().hex
        for label, name_id in (("tab", "bank-\t" + tail),
                               ("U+202E", "bank-\u202e" + tail),
                               ("257 bytes", ("bank-" + tail + "x" * 257)[:257]),
                               ("129 two-byte letters", "ж" * 129)):
            with self.subTest(name_id=label):
                person = Person(name_id=name_id)
                head = self.audit_head()
                flow = self.start_flow()
                xml, _, _ = self.good_response(flow, person)
                details = self.assertRefused(self.post(flow.browser, xml, flow.relay_state), head, "subject")
                self.assertIs(details.get("authenticated"), True, details)
                self.assertEqual([u["login"] for u in self.users() if u.get("snils") == person.snils], [])

    def test_name_id_of_256_bytes_is_kept_exactly(self):
        for label, name_id in (("256 bytes", ("bank-" + uuid.uuid4().hex + "x" * 256)[:256]),
                               ("128 two-byte letters", "ж" * 127 + random.choice("абвгд"))):
            with self.subTest(name_id=label):
                self.assertEqual(len(name_id.encode("utf-8")), 256)
                login, link, _ = self.login_ok(Person(name_id=name_id))
                self.assertEqual(link, "created")
                self.assertEqual(self.stored_links(login), [(UPSTREAM, name_id)])


class MessageShapes(GatewayTestCase):

    def test_bare_signed_assertion(self):
        # A correct, signed Assertion for the request, but not inside a samlp:Response.
        head = self.audit_head()
        flow = self.start_flow()
        assertion, _ = signed_assertion(flow.request_id, Person())
        details = self.assertRefused(self.post(flow.browser, assertion, flow.relay_state), head, "parse")
        self.assertIs(details.get("authenticated"), False, details)

    def test_unsigned_upstream_error_is_not_authenticated(self):
        # Relayed to the SP as the signed one is, but nobody proved the upstream sent it.
        head = self.audit_head()
        flow = self.start_flow()
        xml = response_xml(flow.request_id, "", status=RESPONDER, second=AUTHN_FAILED, sign=False)
        page = self.post(flow.browser, xml, flow.relay_state)
        self.assertEqual(page.status, 200, page.describe())
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        self.assertEqual((form["method"], form["action"]), ("post", SP_ACS))
        resp = decode_response(form)
        self.assertEqual(resp.get("InResponseTo"), flow.sp_request_id)
        self.assertEqual(resp.find("samlp:Status/samlp:StatusCode", NS).get("Value"), RESPONDER)
        self.assertIsNone(resp.find("saml:Assertion", NS))
        events = self.audit(head)
        refused = [(e["target"], self.details(e).get("step"), self.details(e).get("authenticated"))
                   for e in events if e["action"] == "upstream.response.refused"]
        self.assertEqual(refused, [(UPSTREAM, "status", False)], events)
        self.assertEqual([e for e in events if e["action"] in ("upstream.login", "user.create")], [])
        self.assertStillServes()

    def test_unsigned_responses_refused_after_the_signature_step_are_not_authenticated(self):
        # Unsigned, they pass the signature step (nothing to verify), then fail later: filed
        # under the upstream they name, but not as if it had sent them.
        for xml_for, step in ((lambda f: response_xml(f.request_id, "", status=RESPONDER, second=AUTHN_FAILED,
                                                      destination="https://evil.test/acs"), "destination"),
                              (lambda f: response_xml(f.request_id, ""), "assertion")):
            with self.subTest(step=step):
                head = self.audit_head()
                flow = self.start_flow()
                details = self.assertRefused(self.post(flow.browser, xml_for(flow), flow.relay_state), head, step,
                                             authenticated=False)
                self.assertEqual(details.get("step"), step)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""Real upstream identity providers for the federation gateway's tests: Propusk is the SP
toward them (its SP metadata from GET /saml/sp/metadata) and a browser goes back and forth.

- Pysaml2Upstream:      Debian's python3-pysaml2 (saml2.server.Server) behind http.server;
- LassoUpstream:        Debian's python3-lasso (lasso.Server, lasso.Login, lasso.Logout)
                        behind http.server;
- SimpleSamlPhpUpstream: Debian's simplesamlphp 1.19 under its own Apache 2.4 + mod_php
                        (apache2 -f CONF -DFOREGROUND, a private ServerRoot in a temp dir);
- PropuskUpstream:      a second Propusk server (https://localhost:PORT; see its class).

Each of the first three listens on a free port of 127.0.0.1 over plain HTTP, is started by
start(SP METADATA XML) and stopped by stop() (the Apache by its PID), and offers the same
surface:

  .entity_id, .metadata_xml (bytes: its own metadata — signing certificate, SingleSignOn
  HTTP-Redirect and HTTP-POST, SingleLogout HTTP-Redirect and HTTP-POST), .base,
  .set_user(UpstreamUser) / .user  the one account it authenticates (login form: username,
                                   password) and the attributes it releases,
  .set_encryption(bool)            EncryptedAssertion to the SP's encryption certificate,
  .authn_context                   the AuthnContextClassRef it reports,
  .received / .sent                every SAML message it got or sent (SamlMessage), with
  .authn_requests() / .logout_requests() / .logout_responses(),
  .login(browser, page)            fills in its login form,
  .start_idp_logout(browser, return_to)  IdP-initiated Single Logout in the browser holding
                                   its session: the page sending the LogoutRequest to the SP
                                   (.idp_logout_url(return_to) is where it starts).

SP-initiated SSO (HTTP-Redirect or HTTP-POST AuthnRequest, which must be signed by a key from
the SP's metadata) answers with an HTTP-POST Response to the SP's ACS: a persistent NameID
(UpstreamUser.name_id), the user's attributes with NameFormat uri (see each class for its
native naming), signed Response and Assertion (RSA-SHA256). A session cookie of the IdP's
own (HttpOnly, per instance) lets a second request in the same browser through without the
form unless ForceAuthn; IsPassive without a session answers NoPassive. Single Logout: a
signed LogoutRequest at the SLO endpoint ends the matching session and is answered with a
signed LogoutResponse to the SP's SingleLogoutService (pysaml2 and Lasso over the binding the
request came by; SimpleSAMLphp by its own choice from the SP's metadata).

Cookies: a browser keeps cookies per host, whatever the port. The in-process IdPs name their
session cookie after their port; SimpleSAMLphp's are SimpleSAMLSessionID / SimpleSAML /
SimpleSAMLAuthToken, so two SimpleSamlPhpUpstreams on 127.0.0.1 must not share a browser;
PropuskUpstream serves https://localhost:PORT (its cookies are Propusk's own names).

Quirks of the software itself are documented on each class.
"""

import base64
import html
import http.server
import json
import os
import pwd
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import propusk_testlib as lib  # noqa: E402

XMLSEC1 = "/usr/bin/xmlsec1"
APACHE = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
SSP_ROOT = "/usr/share/simplesamlphp"
SSP_DATA = os.path.join(lib.SOURCE, "tests", "data", "interop", "simplesamlphp")

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
NS = {"samlp": SAMLP, "saml": SAML, "md": MD, "ds": DS, "xenc": XENC}

BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
NAME_FORMAT_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
NAME_FORMAT_BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
AC_PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
AC_PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
STATUS_RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
STATUS_NO_PASSIVE = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

# The attributes every upstream must be able to send (NameFormat uri).
OID_SNILS = "urn:oid:1.2.643.100.3"
OID_INN = "urn:oid:1.2.643.3.131.1.1"
OID_SN = "urn:oid:2.5.4.4"
OID_GIVEN_NAME = "urn:oid:2.5.4.42"
OID_MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
OID_UID = "urn:oid:0.9.2342.19200300.100.1.1"
OID_DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
OID_TELEPHONE = "urn:oid:2.5.4.20"
# The names the software knows them by (pysaml2's attribute maps, SimpleSAMLphp's name2oid).
FRIENDLY = {OID_SNILS: "snils", OID_INN: "inn", OID_SN: "sn", OID_GIVEN_NAME: "givenName",
            OID_MAIL: "mail", OID_UID: "uid", OID_DISPLAY_NAME: "displayName",
            OID_TELEPHONE: "telephoneNumber"}
OID_OF = {v: k for k, v in FRIENDLY.items()}


# ---------------------------------------------------------------------------------- people

def snils_checksum(nine_digits):
    """The two check digits of a SNILS (Pension Fund rules: weights 9..1, mod 101)."""
    s = sum(int(d) * (9 - i) for i, d in enumerate(nine_digits))
    if s < 100:
        return s
    if s in (100, 101):
        return 0
    s %= 101
    return 0 if s == 100 else s


def format_snils(eleven_digits):
    d = eleven_digits
    return f"{d[0:3]}-{d[3:6]}-{d[6:9]} {d[9:11]}"


def make_snils(rng=random):
    """A checksum-valid SNILS, 11 digits (numbers up to 001-001-998 have no checksum: avoided),
    and, like every issued SNILS, no digit three times in a row in its number."""
    while True:
        nine = f"{rng.randint(2_000_000, 999_999_999):09d}"
        if not any(nine[i] == nine[i + 1] == nine[i + 2] for i in range(7)):
            return nine + f"{snils_checksum(nine):02d}"


def make_inn12(rng=random):
    """A checksum-valid 12-digit personal INN."""
    d = [rng.randint(1, 9), rng.randint(0, 9)] + [rng.randint(0, 9) for _ in range(8)]
    w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    d.append(sum(a * b for a, b in zip(d, w11)) % 11 % 10)
    d.append(sum(a * b for a, b in zip(d, w12)) % 11 % 10)
    return "".join(map(str, d))


def person_attributes(sn="Сидоров", given_name="Сидор", snils=None, inn=None, mail=None, extra=None):
    """{Attribute Name: [values]} of a person as an upstream sends them: SNILS formatted
    "XXX-XXX-XXX YY" (as people write it), the rest as they are. New checksum-valid SNILS and
    INN when not given. `extra`: more {Name: [values]}."""
    snils = snils or make_snils()
    digits = re.sub(r"\D", "", snils)
    attrs = {
        OID_SNILS: [format_snils(digits) if len(digits) == 11 else snils],
        OID_INN: [inn or make_inn12()],
        OID_SN: [sn],
        OID_GIVEN_NAME: [given_name],
        OID_MAIL: [mail or f"u{secrets.token_hex(4)}@upstream.example.org"],
    }
    attrs.update(extra or {})
    return attrs


class UpstreamUser:
    """The account an upstream authenticates: login form credentials, the persistent NameID it
    gives the SP (the same for every login: the gateway's link subject) and the attributes it
    releases, {Attribute Name: [values]} (wire names; URIs go with NameFormat uri)."""

    def __init__(self, username="sidorov", password="Upstream-Parol-7", attributes=None, name_id=None):
        self.username = username
        self.password = password
        self.attributes = {k: list(v) for k, v in (attributes if attributes is not None
                                                   else person_attributes()).items()}
        self.name_id = name_id or "up-" + uuid.uuid4().hex

    def value(self, name):
        vals = self.attributes.get(name) or [None]
        return vals[0]

    def __repr__(self):
        return f"UpstreamUser({self.username!r}, name_id={self.name_id!r})"


# ---------------------------------------------------------------------------------- SP metadata

def pem_cert(b64):
    return lib.pem_from_base64_der(b64)


def pem_body(pem):
    """The base64 DER inside a PEM certificate (what pysaml2 calls an unwrapped cert)."""
    return "".join(line.strip() for line in pem.splitlines() if line.strip() and not line.startswith("-----"))


def cert_b64(cert_path):
    """The base64 DER of a PEM certificate file, for <ds:X509Certificate>."""
    with open(cert_path, encoding="ascii") as f:
        return "".join(line.strip() for line in f if line.strip() and not line.startswith("-----"))


class SpInfo:
    """What an IdP reads from an SP's metadata (the first EntityDescriptor with an
    SPSSODescriptor): entityID, ACS and SLO endpoints, signing and encryption certificates."""

    def __init__(self, xml):
        root = ET.fromstring(xml if isinstance(xml, bytes) else xml.encode("utf-8"))
        entities = [root] if root.tag == f"{{{MD}}}EntityDescriptor" else root.iter(f"{{{MD}}}EntityDescriptor")
        for e in entities:
            if e.find("md:SPSSODescriptor", NS) is not None:
                root = e
                break
        else:
            raise AssertionError("SP metadata without an SPSSODescriptor")
        self.xml = xml
        self.entity_id = root.get("entityID")
        sp = root.find("md:SPSSODescriptor", NS)
        self.authn_requests_signed = sp.get("AuthnRequestsSigned") in ("true", "1")
        self.want_assertions_signed = sp.get("WantAssertionsSigned") in ("true", "1")
        self.acs = [(e.get("Binding"), e.get("Location"), e.get("index"), e.get("isDefault"))
                    for e in sp.findall("md:AssertionConsumerService", NS)]
        self.slo = [(e.get("Binding"), e.get("Location"), e.get("ResponseLocation"))
                    for e in sp.findall("md:SingleLogoutService", NS)]
        self.signing_certs, self.encryption_certs = [], []
        for kd in sp.findall("md:KeyDescriptor", NS):
            c = kd.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
            if c is None:
                continue
            pem = pem_cert(c.text)
            if kd.get("use") in (None, "", "signing"):
                self.signing_certs.append(pem)
            if kd.get("use") in (None, "", "encryption"):
                self.encryption_certs.append(pem)
        self.nameid_formats = [e.text.strip() for e in sp.findall("md:NameIDFormat", NS) if e.text]

    def slo_location(self, binding, response=False):
        for b, loc, resp_loc in self.slo:
            if b == binding:
                return (resp_loc or loc) if response else loc
        return None


# ---------------------------------------------------------------------------------- SAML messages

def _inflate(b64):
    return zlib.decompress(base64.b64decode(b64), -15).decode("utf-8")


def _unb64(b64):
    return base64.b64decode("".join(b64.split())).decode("utf-8")


def raw_query_pairs(raw_query):
    """[(name, raw value)] of a query string as sent (percent-encoding untouched)."""
    out = []
    for part in (raw_query or "").split("&"):
        if part:
            k, _, v = part.partition("=")
            out.append((urllib.parse.unquote_plus(k), v))
    return out


def verify_redirect_query(raw_query, certs_pem):
    """HTTP-Redirect binding signature (bindings §3.4.4.1) over the query as received: True if
    a certificate of `certs_pem` verifies it, False if none does, None when unsigned."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

    pairs = raw_query_pairs(raw_query)
    raw = dict(pairs)
    if "Signature" not in raw:
        return None
    msg_key = "SAMLRequest" if "SAMLRequest" in raw else "SAMLResponse"
    signed = "&".join(f"{k}={raw[k]}" for k in (msg_key, "RelayState", "SigAlg") if k in raw).encode("ascii")
    sig = base64.b64decode(urllib.parse.unquote_plus(raw["Signature"]))
    alg = urllib.parse.unquote_plus(raw.get("SigAlg", ""))
    digest = {"http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1(),
              RSA_SHA256: hashes.SHA256(),
              "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512(),
              "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": hashes.SHA256()}.get(alg)
    if digest is None:
        return False
    for pem in certs_pem:
        key = x509.load_pem_x509_certificate(pem.encode("ascii")).public_key()
        try:
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(sig, signed, padding.PKCS1v15(), digest)
            elif isinstance(key, ec.EllipticCurvePublicKey):
                half = len(sig) // 2  # XML DSig ECDSA: r || s
                der = utils.encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
                key.verify(der, signed, ec.ECDSA(digest))
            else:
                continue
            return True
        except InvalidSignature:
            continue
    return False


def verify_xml_signature(xml_text, certs_pem, directory):
    """The enveloped signature of the root element, checked by the xmlsec1 CLI with each
    certificate: True if one verifies it, False if none does, None when the root is unsigned."""
    root = ET.fromstring(xml_text.encode("utf-8"))
    if root.find("ds:Signature", NS) is None:
        return None
    local = root.tag.split("}")[1]
    fd, path = tempfile.mkstemp(suffix=".xml", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(xml_text)
    try:
        for i, pem in enumerate(certs_pem):
            cert = os.path.join(directory, f"verify-{os.getpid()}-{threading.get_ident()}-{i}.pem")
            lib.write(cert, pem)
            rc, out, err = lib.run([XMLSEC1, "--verify", "--pubkey-cert-pem", cert,
                                    "--id-attr:ID", f"{SAMLP}:{local}", path])
            os.unlink(cert)
            if rc == 0:
                return True
        return False
    finally:
        os.unlink(path)


class SamlMessage:
    """One SAML protocol message as it crossed the wire at an upstream: `direction` "received"
    or "sent", `binding` (HTTP-Redirect / HTTP-POST URI), `endpoint` (the URL path it came to,
    or the URL it was sent to), `xml` (decoded), `relay_state`, `sig_alg`, `query_signed` /
    `xml_signed` (Redirect signature / enveloped ds:Signature present), `signature_valid` (for
    received messages: the signature verified with a key of the SP's metadata, checked here,
    independently of the IdP; None when unsigned), `accepted` (the IdP software took it;
    SimpleSAMLphp: its HTTP status was not an error), `error` (why not), `http_status`."""

    def __init__(self, direction, binding, endpoint, xml, relay_state=None, sig_alg=None,
                 query_signed=False, raw_query=None):
        self.direction = direction
        self.binding = binding
        self.endpoint = endpoint
        self.xml = xml
        self.relay_state = relay_state
        self.sig_alg = sig_alg
        self.query_signed = query_signed
        self.raw_query = raw_query
        self.signature_valid = None
        self.accepted = None
        self.error = None
        self.http_status = None
        self.time = time.time()
        self.root = ET.fromstring(xml.encode("utf-8"))
        self.kind = self.root.tag.split("}")[1]

    # -- common
    @property
    def id(self):
        return self.root.get("ID")

    @property
    def issuer(self):
        e = self.root.find("saml:Issuer", NS)
        return e.text.strip() if e is not None and e.text else None

    @property
    def destination(self):
        return self.root.get("Destination")

    @property
    def in_response_to(self):
        return self.root.get("InResponseTo")

    @property
    def xml_signed(self):
        return self.root.find("ds:Signature", NS) is not None

    @property
    def signed(self):
        return self.query_signed or self.xml_signed

    # -- AuthnRequest
    def _bool(self, name):
        v = self.root.get(name)
        return None if v is None else v in ("true", "1")

    @property
    def force_authn(self):
        """True/False as the AuthnRequest says; None when the attribute is absent."""
        return self._bool("ForceAuthn")

    @property
    def is_passive(self):
        return self._bool("IsPassive")

    @property
    def requested_authn_context(self):
        """{"comparison": …, "class_refs": […], "decl_refs": […]} or None."""
        r = self.root.find("samlp:RequestedAuthnContext", NS)
        if r is None:
            return None
        return {"comparison": r.get("Comparison"),
                "class_refs": [e.text.strip() for e in r.findall("saml:AuthnContextClassRef", NS)],
                "decl_refs": [e.text.strip() for e in r.findall("saml:AuthnContextDeclRef", NS)]}

    @property
    def scoping(self):
        """{"proxy_count": int|None, "idp_entries": [ProviderID], "requester_ids": […]} or None."""
        s = self.root.find("samlp:Scoping", NS)
        if s is None:
            return None
        pc = s.get("ProxyCount")
        return {"proxy_count": int(pc) if pc is not None else None,
                "idp_entries": [e.get("ProviderID") for e in s.findall("samlp:IDPList/samlp:IDPEntry", NS)],
                "requester_ids": [e.text.strip() for e in s.findall("samlp:RequesterID", NS)]}

    @property
    def nameid_policy(self):
        p = self.root.find("samlp:NameIDPolicy", NS)
        if p is None:
            return None
        return {"format": p.get("Format"), "allow_create": p.get("AllowCreate"),
                "sp_name_qualifier": p.get("SPNameQualifier")}

    @property
    def acs_url(self):
        return self.root.get("AssertionConsumerServiceURL")

    @property
    def protocol_binding(self):
        return self.root.get("ProtocolBinding")

    # -- LogoutRequest
    def _name_id_element(self):
        e = self.root.find("saml:NameID", NS)
        if e is None:
            e = self.root.find("saml:Assertion/saml:Subject/saml:NameID", NS)
        return e

    @property
    def name_id(self):
        e = self._name_id_element()
        return e.text.strip() if e is not None and e.text else None

    @property
    def name_id_format(self):
        e = self._name_id_element()
        return e.get("Format") if e is not None else None

    @property
    def session_indexes(self):
        out = [e.text.strip() for e in self.root.findall("samlp:SessionIndex", NS) if e.text]
        out += [e.get("SessionIndex") for e in self.root.findall("saml:Assertion/saml:AuthnStatement", NS)
                if e.get("SessionIndex")]
        return out

    # -- Response / LogoutResponse
    @property
    def status_codes(self):
        """[top-level, second-level, …] StatusCode values."""
        out = []
        e = self.root.find("samlp:Status/samlp:StatusCode", NS)
        while e is not None:
            out.append(e.get("Value"))
            e = e.find("samlp:StatusCode", NS)
        return out

    @property
    def success(self):
        return self.status_codes[:1] == [STATUS_SUCCESS]

    @property
    def encrypted(self):
        return self.root.find("saml:EncryptedAssertion", NS) is not None

    @property
    def encryption_algorithms(self):
        """(data encryption, key transport) Algorithm URIs of the EncryptedAssertion, or None.
        The EncryptedKey may be inside the EncryptedData's KeyInfo or its sibling."""
        ea = self.root.find("saml:EncryptedAssertion", NS)
        if ea is None:
            return None
        data = ea.find("xenc:EncryptedData/xenc:EncryptionMethod", NS)
        key = ea.find(".//xenc:EncryptedKey/xenc:EncryptionMethod", NS)
        return (data.get("Algorithm") if data is not None else None, key.get("Algorithm") if key is not None else None)

    def __repr__(self):
        return (f"SamlMessage({self.direction} {self.kind} {self.binding.rsplit(':', 1)[-1]} "
                f"{self.endpoint} id={self.id} signed={self.signed} valid={self.signature_valid} "
                f"accepted={self.accepted})")


def message_from_params(direction, binding, endpoint, params, raw_query=None):
    """A SamlMessage from the decoded fields of an HTTP-Redirect query or HTTP-POST form
    ({"SAMLRequest"|"SAMLResponse", "RelayState", "SigAlg", "Signature"})."""
    field = "SAMLRequest" if "SAMLRequest" in params else "SAMLResponse"
    b64 = params[field]
    xml = _inflate(b64) if binding == BINDING_REDIRECT else _unb64(b64)
    return SamlMessage(direction, binding, endpoint, xml, relay_state=params.get("RelayState"),
                       sig_alg=params.get("SigAlg"), query_signed="Signature" in params, raw_query=raw_query)


def message_from_url(direction, url):
    """A SamlMessage from an HTTP-Redirect URL (a Location header)."""
    split = urllib.parse.urlsplit(url)
    params = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
    endpoint = urllib.parse.urlunsplit((split.scheme, split.netloc, split.path, "", ""))
    return message_from_params(direction, BINDING_REDIRECT, endpoint, params, raw_query=split.query)


SAML_FORM_FIELD = re.compile(r'<input\b[^>]*\bname="(SAMLResponse|SAMLRequest|RelayState)"[^>]*>', re.I)


def message_from_form(direction, page_html):
    """A SamlMessage from an auto-POST page (the form carrying SAMLRequest or SAMLResponse)."""
    from saml_browser import parse_forms
    forms, _, _ = parse_forms(page_html)
    for f in forms:
        field = "SAMLResponse" if f.has("SAMLResponse") else "SAMLRequest" if f.has("SAMLRequest") else None
        if field:
            params = {field: f.value(field)}
            if f.has("RelayState"):
                params["RelayState"] = f.value("RelayState")
            return message_from_params(direction, BINDING_POST, html.unescape(f.action), params)
    return None


def browse_within(browser, url, origins, method="GET", data=None, max_hops=20, stop_at=()):
    """Requests `url` and follows redirects the way a browser does for as long as they stay on
    `origins` (URL prefixes, e.g. an upstream's base) and do not lead to `stop_at` (prefixes):
    returns the last Page, whose Location (a 3xx) leads elsewhere, or which is a page (a login
    form, an auto-POST form)."""
    origins = (origins,) if isinstance(origins, str) else tuple(origins)
    stop_at = (stop_at,) if isinstance(stop_at, str) else tuple(stop_at)
    page = browser.request(url, method, data)
    for _ in range(max_hops):
        if page.status not in (301, 302, 303, 307, 308):
            return page
        nxt = urllib.parse.urljoin(page.url, page.headers.get("Location", ""))
        if not nxt.startswith(origins) or (stop_at and nxt.startswith(stop_at)):
            return page
        if page.status in (307, 308):
            page = browser.request(nxt, method, data)
        else:
            method, data = "GET", None
            page = browser.request(nxt)
    raise AssertionError(f"more than {max_hops} redirects within {origins}")


def redirect_target(page):
    """The absolute Location of a 3xx Page."""
    return urllib.parse.urljoin(page.url, page.headers.get("Location", ""))


# ---------------------------------------------------------------------------------- the common surface

class UpstreamIdp:
    """What every upstream offers (see the module docstring). Subclasses set `kind`."""

    kind = "?"

    def __init__(self, user=None, encrypt_assertions=False, authn_context=AC_PPT):
        self.dir = tempfile.mkdtemp(prefix=f"propusk-upstream-{self.kind}-")
        self.users = {}
        self.set_user(user or UpstreamUser())
        self._encrypt = bool(encrypt_assertions)
        self.authn_context = authn_context
        self.entity_id = None
        self.metadata_xml = None
        self.base = None
        self.sps = []  # SpInfo of every SP it serves
        self._received = []
        self._sent = []
        self._record_lock = threading.Lock()
        self.started = False

    # -- users and policy
    def set_user(self, user):
        """The one account this IdP authenticates from now on (a new login is needed for an
        existing session to see new attributes)."""
        self.users = {user.username: user}
        self._users_changed()
        return user

    @property
    def user(self):
        return next(iter(self.users.values()))

    def _users_changed(self):
        pass

    def set_encryption(self, on):
        """Encrypt assertions (EncryptedAssertion to the SP's encryption certificate)."""
        self._encrypt = bool(on)
        self._encryption_changed()

    @property
    def encrypts(self):
        return self._encrypt

    def _encryption_changed(self):
        pass

    # -- lifecycle
    def start(self, sp_metadata_xml):
        """Starts serving the SP(s) of `sp_metadata_xml` (bytes or str, or a list of them)."""
        docs = sp_metadata_xml if isinstance(sp_metadata_xml, (list, tuple)) else [sp_metadata_xml]
        self.sp_metadata_files = []
        for i, d in enumerate(docs):
            data = d if isinstance(d, bytes) else d.encode("utf-8")
            self.sps.append(SpInfo(data))
            path = os.path.join(self.dir, f"sp-metadata-{i}.xml")
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o644)
            self.sp_metadata_files.append(path)
        self._start()
        self.started = True
        return self

    def _start(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def sp(self, entity_id=None):
        for s in self.sps:
            if entity_id is None or s.entity_id == entity_id:
                return s
        raise KeyError(f"{self.kind} upstream serves no SP {entity_id!r}")

    # -- what it saw
    def _record(self, msg):
        with self._record_lock:
            (self._received if msg.direction == "received" else self._sent).append(msg)
        return msg

    @property
    def received(self):
        with self._record_lock:
            return list(self._received)

    @property
    def sent(self):
        with self._record_lock:
            return list(self._sent)

    def authn_requests(self):
        return [m for m in self.received if m.kind == "AuthnRequest"]

    def logout_requests(self, direction="received"):
        return [m for m in (self.received if direction == "received" else self.sent) if m.kind == "LogoutRequest"]

    def logout_responses(self, direction="received"):
        return [m for m in (self.received if direction == "received" else self.sent) if m.kind == "LogoutResponse"]

    def responses(self):
        """The Responses it sent (to AuthnRequests)."""
        return [m for m in self.sent if m.kind == "Response"]

    def clear_records(self):
        with self._record_lock:
            self._received.clear()
            self._sent.clear()

    def check_received_signature(self, msg):
        """Sets msg.signature_valid against the SP's signing certificates (the SP that the
        message's Issuer names; every SP when it names none)."""
        certs = []
        for s in self.sps:
            if msg.issuer in (None, s.entity_id):
                certs += s.signing_certs
        if msg.query_signed:
            msg.signature_valid = verify_redirect_query(msg.raw_query, certs)
        elif msg.xml_signed:
            msg.signature_valid = verify_xml_signature(msg.xml, certs, self.dir)
        return msg

    @property
    def signing_certs(self):
        """The IdP's signing certificates (PEM) as its metadata publishes them."""
        root = ET.fromstring(self.metadata_xml)
        out = []
        for kd in root.iter(f"{{{MD}}}KeyDescriptor"):
            c = kd.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
            if c is not None and kd.get("use") in (None, "", "signing"):
                out.append(pem_cert(c.text))
        return out

    def endpoint(self, service, binding):
        """The Location of the IdP's SingleSignOnService / SingleLogoutService for `binding`,
        from its metadata."""
        root = ET.fromstring(self.metadata_xml)
        for e in root.iter(f"{{{MD}}}{service}"):
            if e.get("Binding") == binding:
                return e.get("Location")
        return None

    # -- browser helpers
    def login(self, browser, page, user=None):
        """Fills in this IdP's login form on `page` (the form with a password input) with the
        credentials of `user` (default: the current user); returns the next page."""
        user = user or self.user
        return browser.login(page, user.username, user.password)

    def idp_logout_url(self, return_to=None):
        raise NotImplementedError

    def start_idp_logout(self, browser, return_to=None):
        """Starts IdP-initiated Single Logout in `browser` (which holds this IdP's session):
        returns the Page that sends the browser on to the SP — a 3xx whose Location carries
        the LogoutRequest, or an auto-POST form. After the SP's LogoutResponse the IdP sends
        the browser to `return_to`."""
        return browse_within(browser, self.idp_logout_url(return_to), self.base)

    def describe(self):
        return f"{self.kind} upstream {self.entity_id} in {self.dir}"


# ---------------------------------------------------------------------------------- IdPs in this process

LOGIN_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}: sign in</title></head><body>
<h1>{title}</h1>{error}
<form method="post" action="/login">
  <input type="hidden" name="ticket" value="{ticket}">
  <label>Username <input type="text" name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form></body></html>
"""

POST_FORM = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>SAML 2.0 POST</title></head><body onload="document.forms[0].submit()">
<form method="post" action="{action}">
{fields}<noscript><button type="submit">Continue</button></noscript>
</form></body></html>
"""


def post_form(action, fields):
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">\n'
                     for k, v in fields if v is not None)
    return POST_FORM.format(action=html.escape(action), fields=inputs)


class Refused(Exception):
    """The IdP software refused a message (the answer is an HTTP 400 page)."""


class IdpSession:
    """A login at an in-process IdP: the browser's cookie value, the user, and per SP the
    NameID and SessionIndex it was given (what Single Logout matches)."""

    def __init__(self, user):
        self.id = secrets.token_urlsafe(18)
        self.user = user
        self.created = time.time()
        self.sp_sessions = []  # dicts: sp, name_id, name_id_format, name_qualifier, sp_name_qualifier, session_index, state

    def find(self, sp, name_id):
        return [s for s in self.sp_sessions if s["sp"] == sp and s["name_id"] == name_id]


class _HttpUpstream(UpstreamIdp):
    """An IdP library behind http.server on 127.0.0.1 (a thread of the test process, stopped
    by stop()). Endpoints: /idp/metadata, /sso/redirect (GET), /sso/post (POST), /login (the
    form's POST), /slo/redirect (GET), /slo/post (POST), /logout/init (IdP-initiated SLO),
    /logged-out. One lock serialises the library (neither pysaml2's Server nor Lasso's
    objects are thread-safe)."""

    title = "Upstream IdP"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.lock = threading.RLock()
        self.pending = {}        # ticket -> dict(handle, msg, relay_state, sp)
        self.sessions = {}       # cookie value -> IdpSession
        self.ended_sessions = []  # IdpSession ended by Single Logout
        self.pending_logouts = {}  # LogoutRequest ID -> dict(session, sp_session, return_to, handle)
        self.errors = []         # tracebacks of handler failures (the browser saw a 500)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.cookie_name = f"upstream{self.port}_session"
        self.entity_id = self.base + "/idp/metadata"
        self.sso_redirect_url = self.base + "/sso/redirect"
        self.sso_post_url = self.base + "/sso/post"
        self.slo_redirect_url = self.base + "/slo/redirect"
        self.slo_post_url = self.base + "/slo/post"
        self.thread = None
        self.key, self.cert = lib.openssl_key_cert(self.dir, "idp", cn=f"{self.kind} upstream IdP")

    def _start(self):
        self._setup()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        try:
            if self.thread is not None:
                self.httpd.shutdown()
                self.thread.join(10)
            self.httpd.server_close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def idp_logout_url(self, return_to=None):
        q = "?" + urllib.parse.urlencode({"return_to": return_to}) if return_to else ""
        return self.base + "/logout/init" + q

    def describe(self):
        errs = "\n".join(self.errors[-3:])
        return f"{super().describe()}\nreceived: {self.received}\nsent: {self.sent}\nerrors: {errs}"

    # -- library hooks (subclasses)
    def _setup(self):
        raise NotImplementedError

    def _parse_authn_request(self, binding, params, raw_query):
        """Returns (handle, sp entity ID); raises Refused (or the library's error)."""
        raise NotImplementedError

    def _authn_response(self, pending, session):
        """Returns (page HTML, sp_session dict) for a successful login."""
        raise NotImplementedError

    def _passive_failure(self, pending):
        """Returns page HTML: a NoPassive error Response."""
        raise NotImplementedError

    def _logout_request(self, binding, params, raw_query, msg):
        """Processes an SP's LogoutRequest: ends the matching sessions (self._end_sessions) and
        returns (status, headers, body) carrying the LogoutResponse."""
        raise NotImplementedError

    def _idp_logout_request(self, session, sp_session):
        """Returns (status, headers, body, request ID, handle): a LogoutRequest to the SP."""
        raise NotImplementedError

    def _logout_response(self, binding, params, raw_query, msg, pending):
        """Processes the SP's LogoutResponse to our LogoutRequest (raises if the library
        refuses it)."""
        raise NotImplementedError

    # -- shared logic
    def _end_sessions(self, sp, name_id, session_indexes):
        """Ends every session that gave `name_id` to `sp` (and, when the request names
        SessionIndexes, one of them). Returns the ended IdpSessions."""
        ended = []
        for cookie, s in list(self.sessions.items()):
            for sps in s.find(sp, name_id):
                if session_indexes and sps["session_index"] not in session_indexes:
                    continue
                ended.append(s)
                del self.sessions[cookie]
                self.ended_sessions.append(s)
                break
        return ended

    def _sent_page(self, page_html):
        msg = message_from_form("sent", page_html)
        if msg is not None:
            self._record(msg)
        return msg

    def _sent_redirect(self, url):
        msg = message_from_url("sent", url)
        self._record(msg)
        return msg

    def _handler(self):
        idp = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def answer(self, status, body=b"", headers=(), content_type="text/html; charset=utf-8"):
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def cookie(self):
                for part in (self.headers.get("Cookie") or "").split(";"):
                    k, _, v = part.strip().partition("=")
                    if k == idp.cookie_name:
                        return v
                return None

            def session(self):
                c = self.cookie()
                return idp.sessions.get(c) if c else None

            def form(self):
                n = int(self.headers.get("Content-Length") or 0)
                return {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(n).decode("utf-8"),
                                                                  keep_blank_values=True).items()}

            def do_GET(self):  # noqa: N802 (http.server's naming)
                url = urllib.parse.urlsplit(self.path)
                params = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
                self.dispatch("GET", url.path, params, url.query)

            def do_POST(self):  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                self.dispatch("POST", url.path, self.form(), None)

            def dispatch(self, method, path, params, raw_query):
                try:
                    with idp.lock:
                        self.route(method, path, params, raw_query)
                except Exception as e:  # the test reads idp.errors; the browser sees a 500
                    import traceback
                    idp.errors.append(f"{method} {path}: {e!r}\n{traceback.format_exc()}")
                    self.answer(500, f"<p>upstream error: {html.escape(repr(e))}</p>")

            def route(self, method, path, params, raw_query):
                if method == "GET" and path == "/idp/metadata":
                    return self.answer(200, idp.metadata_xml, content_type="application/samlmetadata+xml")
                if (method, path) in (("GET", "/sso/redirect"), ("POST", "/sso/post")) and "SAMLRequest" in params:
                    return self.sso(BINDING_REDIRECT if method == "GET" else BINDING_POST, path, params, raw_query)
                if method == "POST" and path == "/login":
                    return self.login(params)
                if (method, path) in (("GET", "/slo/redirect"), ("POST", "/slo/post")):
                    return self.slo(BINDING_REDIRECT if method == "GET" else BINDING_POST, path, params, raw_query)
                if method == "GET" and path == "/logout/init":
                    return self.logout_init(params)
                if method == "GET" and path == "/logged-out":
                    return self.answer(200, "<p>You are logged out of the upstream IdP.</p>")
                return self.answer(404, "<p>not found</p>")

            def sso(self, binding, path, params, raw_query):
                msg = idp.check_received_signature(
                    idp._record(message_from_params("received", binding, path, params, raw_query)))
                try:
                    handle, sp = idp._parse_authn_request(binding, params, raw_query)
                except Exception as e:
                    msg.accepted, msg.error = False, repr(e)
                    return self.answer(400, f"<p>AuthnRequest refused: {html.escape(repr(e))}</p>")
                msg.accepted = True
                ticket = secrets.token_urlsafe(12)
                pending = {"ticket": ticket, "handle": handle, "msg": msg, "sp": sp,
                           "relay_state": params.get("RelayState")}
                session = self.session()
                if session is not None and not msg.force_authn:
                    return self.respond(pending, session)
                if msg.is_passive:
                    page = idp._passive_failure(pending)
                    idp._sent_page(page)
                    return self.answer(200, page)
                idp.pending[ticket] = pending
                self.answer(200, LOGIN_PAGE.format(title=html.escape(idp.title), error="", ticket=ticket))

            def login(self, params):
                pending = idp.pending.get(params.get("ticket", ""))
                if pending is None:
                    return self.answer(400, "<p>unknown or used login ticket</p>")
                user = idp.users.get(params.get("username", ""))
                if user is None or params.get("password") != user.password:
                    return self.answer(200, LOGIN_PAGE.format(
                        title=html.escape(idp.title), ticket=pending["ticket"],
                        error='<p class="error" role="alert">Wrong username or password</p>'))
                del idp.pending[pending["ticket"]]
                session = IdpSession(user)
                idp.sessions[session.id] = session
                self.respond(pending, session, new_cookie=session.id)

            def respond(self, pending, session, new_cookie=None):
                page, sp_session = idp._authn_response(pending, session)
                session.sp_sessions.append(sp_session)
                idp._sent_page(page)
                headers = []
                if new_cookie:
                    headers.append(("Set-Cookie", f"{idp.cookie_name}={new_cookie}; Path=/; HttpOnly; SameSite=None"))
                self.answer(200, page, headers)

            def slo(self, binding, path, params, raw_query):
                if "SAMLRequest" not in params and "SAMLResponse" not in params:
                    return self.answer(400, "<p>no SAML message</p>")
                msg = idp.check_received_signature(
                    idp._record(message_from_params("received", binding, path, params, raw_query)))
                if msg.kind == "LogoutRequest":
                    try:
                        status, headers, body = idp._logout_request(binding, params, raw_query, msg)
                    except Exception as e:
                        msg.accepted = msg.accepted if msg.accepted is not None else False
                        msg.error = msg.error or repr(e)
                        return self.answer(400, f"<p>LogoutRequest refused: {html.escape(repr(e))}</p>")
                    msg.accepted = True
                    return self.answer(status, body, headers)
                if msg.kind == "LogoutResponse":
                    pending = idp.pending_logouts.pop(msg.in_response_to, None)
                    if pending is None:
                        msg.accepted, msg.error = False, "no LogoutRequest of ours has this ID"
                        return self.answer(400, "<p>unexpected LogoutResponse</p>")
                    try:
                        idp._logout_response(binding, params, raw_query, msg, pending)
                    except Exception as e:
                        msg.accepted, msg.error = False, repr(e)
                        return self.answer(400, f"<p>LogoutResponse refused: {html.escape(repr(e))}</p>")
                    msg.accepted = True
                    target = pending.get("return_to") or idp.base + "/logged-out"
                    return self.answer(303, "", [("Location", target)])
                msg.accepted, msg.error = False, f"unexpected {msg.kind}"
                self.answer(400, f"<p>unexpected {html.escape(msg.kind)}</p>")

            def logout_init(self, params):
                session = self.session()
                if session is None or not session.sp_sessions:
                    return self.answer(400, "<p>no session at this IdP to log out of</p>")
                sp_session = session.sp_sessions[-1]
                status, headers, body, request_id, handle = idp._idp_logout_request(session, sp_session)
                # The IdP's own session ends now; the SP's answer only completes the logout.
                idp.sessions.pop(session.id, None)
                idp.ended_sessions.append(session)
                idp.pending_logouts[request_id] = {"session": session, "sp_session": sp_session,
                                                   "return_to": params.get("return_to"), "handle": handle}
                headers = list(headers) + [("Set-Cookie", f"{idp.cookie_name}=; Path=/; Max-Age=0")]
                self.answer(status, body, headers)

            def log_message(self, *a):
                pass

        return Handler


# ---------------------------------------------------------------------------------- pysaml2

PYSAML2_DATA_ENCRYPTION = {
    # name: (xmlenc Algorithm, xmlsec1 --session-key)
    "3des-cbc": ("http://www.w3.org/2001/04/xmlenc#tripledes-cbc", "des-192"),
    "aes128-cbc": ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "aes-128"),
    "aes256-cbc": ("http://www.w3.org/2001/04/xmlenc#aes256-cbc", "aes-256"),
    "aes128-gcm": ("http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128"),
    "aes256-gcm": ("http://www.w3.org/2009/xmlenc11#aes256-gcm", "aes-256"),
}

# pysaml2's own attribute map (saml2/attributemaps/saml_uri.py) plus the Russian identifiers:
# identity keys are friendly names; pysaml2 sends them under the OID, NameFormat uri, with
# the FriendlyName.
# (pysaml2 takes every module-level dict with an "identifier" for a map, the first of a
# NameFormat winning: the base map must not be one of this module's names.)
PYSAML2_MAP = '''\
import saml2.attributemaps.saml_uri as _base_module
MAP = {{
    "identifier": _base_module.MAP["identifier"],
    "fro": dict(_base_module.MAP["fro"], **{{oid: name for name, oid in {extra!r}.items()}}),
    "to": dict(_base_module.MAP["to"], **{extra!r}),
}}
'''


class Pysaml2Upstream(_HttpUpstream):
    """Debian's pysaml2 (7.0) saml2.server.Server as the IdP, configured as its documentation
    says (IdPConfig: endpoints, policy with name_form uri, want_authn_requests_signed,
    sign_response + sign_assertion, RSA-SHA256/SHA-256 in the "idp" section).

    pysaml2 quirks (7.0.1):
    - Attributes: identity keys are friendly names converted by its attribute maps (an
      attribute_map_dir of ours extends saml_uri.py with snils and inn); a Name it has no
      friendly name for is sent as given, without NameFormat.
    - want_authn_requests_signed: True makes parse_authn_request demand an enveloped XML
      signature whatever the binding, so every HTTP-Redirect request (signed in the query) is
      refused as IncorrectlySigned. It is off; parse_authn_request checks a signature that is
      present, an unsigned POST request is refused here, and a Redirect request's query
      signature is checked, as SATOSA does, with saml2.sigver.verify_redirect_signature (which
      re-encodes the query with urlencode: an SP that percent-encodes otherwise fails there).
    - Encryption: create_authn_response(encrypt_assertion=True) takes the SP's encryption
      certificate from the metadata and encrypts with Triple DES (tripledes-cbc, hard-coded in
      Entity._encrypt_assertion) under RSA-OAEP-MGF1P; `data_encryption` other than "3des-cbc"
      makes _encrypt_assertion (overridden here) use that algorithm through the same
      pysaml2 calls (pre_encryption_part, CryptoBackendXmlSec1.encrypt_assertion).
    - With encryption pysaml2 signs the Assertion before encrypting it, and the Response.
    """

    kind = "pysaml2"
    title = "pysaml2 upstream IdP"

    def __init__(self, data_encryption="aes128-cbc", authenticating_authority=False, **kw):
        super().__init__(**kw)
        if data_encryption not in PYSAML2_DATA_ENCRYPTION:
            raise ValueError(f"data_encryption: one of {sorted(PYSAML2_DATA_ENCRYPTION)}")
        self.data_encryption = data_encryption
        self.authenticating_authority = authenticating_authority
        self.sign_response = True
        self.sign_assertion = True
        self.proxy_restriction = None  # an int: Conditions/ProxyRestriction Count in the assertions

    def _setup(self):
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.metadata import create_metadata_string
        from saml2.server import Server
        from saml2.sigver import pre_encryption_part
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

        maps = os.path.join(self.dir, "attributemaps")
        os.makedirs(maps)
        lib.write(os.path.join(maps, "__init__.py"), "")
        lib.write(os.path.join(maps, "propusk_uri.py"),
                  PYSAML2_MAP.format(extra={FRIENDLY[OID_SNILS]: OID_SNILS, FRIENDLY[OID_INN]: OID_INN}))
        config = IdPConfig()
        config.load({
            "entityid": self.entity_id,
            "xmlsec_binary": XMLSEC1,
            "key_file": self.key,
            "cert_file": self.cert,
            "metadata": {"local": list(self.sp_metadata_files)},
            "attribute_map_dir": maps,
            "accepted_time_diff": 60,
            "service": {"idp": {
                "name": self.title,
                "endpoints": {
                    "single_sign_on_service": [(self.sso_redirect_url, BINDING_HTTP_REDIRECT),
                                               (self.sso_post_url, BINDING_HTTP_POST)],
                    "single_logout_service": [(self.slo_redirect_url, BINDING_HTTP_REDIRECT),
                                              (self.slo_post_url, BINDING_HTTP_POST)],
                },
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_URI}},
                "name_id_format": [NAMEID_PERSISTENT, NAMEID_TRANSIENT],
                # True would make parse_authn_request demand an XML signature of a Redirect
                # request too (and refuse every one); signatures are required below instead.
                "want_authn_requests_signed": False,
                "sign_response": True,
                "sign_assertion": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }},
        })
        upstream = self

        class EncryptingServer(Server):
            """saml2.server.Server whose assertion encryption uses upstream.data_encryption, and
            which remembers the Assertion it built (its SessionIndex is needed for SLO)."""

            def _encrypt_assertion(self, encrypt_cert, sp_entity_id, response, node_xpath=None):
                if upstream.data_encryption == "3des-cbc":
                    return super()._encrypt_assertion(encrypt_cert, sp_entity_id, response, node_xpath)
                from saml2.sigver import get_pem_wrapped_unwrapped, make_temp
                algorithm, session_key = PYSAML2_DATA_ENCRYPTION[upstream.data_encryption]
                certs = [encrypt_cert] if encrypt_cert else self.metadata.certs(sp_entity_id, "any", "encryption")
                if not certs:
                    raise AssertionError(f"no encryption certificate for {sp_entity_id} in its metadata")
                wrapped, unwrapped = get_pem_wrapped_unwrapped(certs[0])
                tmp = make_temp(wrapped.encode("ascii"), decode=False, delete_tmpfiles=self.config.delete_tmpfiles)
                return self.sec.encrypt_assertion(
                    response, tmp.name, pre_encryption_part(msg_enc=algorithm, encrypt_cert=unwrapped),
                    key_type=session_key, node_xpath=node_xpath)

            def setup_assertion(self, *a, **kw):
                from saml2 import saml
                assertion = super().setup_assertion(*a, **kw)
                if upstream.proxy_restriction is not None:
                    assertion.conditions.proxy_restriction = [
                        saml.ProxyRestriction(count=str(upstream.proxy_restriction))]
                upstream._last_assertion = assertion
                return assertion

        self.server = EncryptingServer(config=config)
        self.config = config
        md = create_metadata_string(None, config=config)
        self.metadata_xml = md.encode("utf-8") if isinstance(md, str) else md
        self._pre_encryption_part = pre_encryption_part
        self.SIG_RSA_SHA256, self.DIGEST_SHA256 = SIG_RSA_SHA256, DIGEST_SHA256

    def _parse_authn_request(self, binding, params, raw_query):
        from saml2.sigver import verify_redirect_signature
        req = self.server.parse_authn_request(params["SAMLRequest"], binding)  # a signature present is checked
        if req is None:
            raise Refused("pysaml2 could not parse the AuthnRequest")
        sp = req.message.issuer.text.strip()
        if binding == BINDING_POST and req.message.signature is None:
            raise Refused("unsigned HTTP-POST AuthnRequest")
        if binding == BINDING_REDIRECT:
            if "Signature" not in params:
                raise Refused("unsigned HTTP-Redirect AuthnRequest (want_authn_requests_signed)")
            certs = [c for s in self.sps if s.entity_id == sp for c in s.signing_certs]
            ok = False
            for c in certs:
                try:
                    ok = ok or bool(verify_redirect_signature(dict(params), self.server.sec.sec_backend, cert=pem_body(c)))
                except Exception as e:  # noqa: BLE001 (pysaml2 raises on unsupported algorithms)
                    raise Refused(f"verify_redirect_signature: {e!r}")
            if not ok:
                raise Refused("the HTTP-Redirect signature does not verify with the SP's certificate")
        return req, sp

    def _identity(self, user):
        """{friendly name or Name: values}: pysaml2's native naming, converted back to the
        OIDs by its attribute maps."""
        out = {}
        for name, values in user.attributes.items():
            out[FRIENDLY.get(name, name)] = list(values)
        return out

    def _authn_response(self, pending, session):
        from saml2 import BINDING_HTTP_POST, saml
        req, sp = pending["handle"], pending["sp"]
        args = self.server.response_args(req.message, [BINDING_HTTP_POST])
        user = session.user
        name_id = saml.NameID(format=NAMEID_PERSISTENT, name_qualifier=self.entity_id, sp_name_qualifier=sp,
                              text=user.name_id)
        authn = {"class_ref": self.authn_context}
        if self.authenticating_authority:
            authn["authn_auth"] = self.entity_id
        self._last_assertion = None
        resp = self.server.create_authn_response(
            self._identity(user), in_response_to=args["in_response_to"], destination=args["destination"],
            sp_entity_id=sp, name_id=name_id, authn=authn,
            sign_response=self.sign_response, sign_assertion=self.sign_assertion,
            encrypt_assertion=self._encrypt, sign_alg=self.SIG_RSA_SHA256, digest_alg=self.DIGEST_SHA256)
        xml = str(resp)
        if self._encrypt and "EncryptedAssertion" not in xml:
            raise AssertionError("pysaml2 did not encrypt the assertion (no encryption certificate in the SP's metadata?)")
        session_index = self._last_assertion.authn_statement[0].session_index
        http_args = self.server.apply_binding(BINDING_HTTP_POST, xml, args["destination"],
                                              pending["relay_state"] or "", response=True)
        sp_session = {"sp": sp, "name_id": user.name_id, "name_id_format": NAMEID_PERSISTENT,
                      "name_qualifier": self.entity_id, "sp_name_qualifier": sp, "session_index": session_index}
        return http_args["data"], sp_session

    def _passive_failure(self, pending):
        from saml2 import BINDING_HTTP_POST
        req = pending["handle"]
        args = self.server.response_args(req.message, [BINDING_HTTP_POST])
        resp = self.server.create_error_response(args["in_response_to"], args["destination"],
                                                 (STATUS_NO_PASSIVE, "no session and IsPassive"), sign=True,
                                                 sign_alg=self.SIG_RSA_SHA256, digest_alg=self.DIGEST_SHA256)
        return self.server.apply_binding(BINDING_HTTP_POST, str(resp), args["destination"],
                                         pending["relay_state"] or "", response=True)["data"]

    def _verify_redirect(self, params, sp, what):
        from saml2.sigver import verify_redirect_signature
        if "Signature" not in params:
            raise Refused(f"unsigned HTTP-Redirect {what}")
        certs = [c for s in self.sps if s.entity_id == sp for c in s.signing_certs]
        if not any(verify_redirect_signature(dict(params), self.server.sec.sec_backend, cert=pem_body(c)) for c in certs):
            raise Refused(f"the HTTP-Redirect signature of the {what} does not verify")

    def _send(self, binding, xml, destination, relay_state, response):
        """(status, headers, body) carrying a message: Redirect with a signed query, or a POST
        form (the XML signed by the caller)."""
        args = self.server.apply_binding(binding, xml, destination, relay_state or "", response=response,
                                         sign=True, sigalg=self.SIG_RSA_SHA256)
        if binding == BINDING_REDIRECT:
            location = dict(args["headers"])["Location"]
            self._sent_redirect(location)
            return 303, [("Location", location)], ""
        self._sent_page(args["data"])
        return 200, [], args["data"]

    def _logout_request(self, binding, params, raw_query, msg):
        req = self.server.parse_logout_request(params["SAMLRequest"], binding)  # POST: signature checked
        if req is None:
            raise Refused("pysaml2 could not parse the LogoutRequest")
        sp = req.message.issuer.text.strip()
        if binding == BINDING_REDIRECT:
            self._verify_redirect(params, sp, "LogoutRequest")
        elif req.message.signature is None:
            raise Refused("unsigned HTTP-POST LogoutRequest")
        name_id = req.message.name_id.text.strip()
        indexes = [si.text.strip() for si in (req.message.session_index or [])]
        self._end_sessions(sp, name_id, indexes)
        # The answer goes back over the binding the request came by, to the SP's SLO endpoint.
        out_binding = binding if self.sp(sp).slo_location(binding) else BINDING_REDIRECT
        resp = self.server.create_logout_response(req.message, [out_binding], sign=(out_binding == BINDING_POST),
                                                  sign_alg=self.SIG_RSA_SHA256, digest_alg=self.DIGEST_SHA256)
        destination = self.sp(sp).slo_location(out_binding, response=True)
        return self._send(out_binding, str(resp), destination, params.get("RelayState"), True)

    def _idp_logout_request(self, session, sp_session):
        from saml2 import saml
        sp = self.sp(sp_session["sp"])
        binding = BINDING_REDIRECT if sp.slo_location(BINDING_REDIRECT) else BINDING_POST
        destination = sp.slo_location(binding)
        if destination is None:
            raise Refused(f"{sp.entity_id} has no SingleLogoutService")
        name_id = saml.NameID(format=sp_session["name_id_format"], name_qualifier=sp_session["name_qualifier"],
                              sp_name_qualifier=sp_session["sp_name_qualifier"], text=sp_session["name_id"])
        req_id, req = self.server.create_logout_request(
            destination, sp.entity_id, name_id=name_id, session_indexes=[sp_session["session_index"]],
            sign=(binding == BINDING_POST), sign_alg=self.SIG_RSA_SHA256, digest_alg=self.DIGEST_SHA256,
            reason="urn:oasis:names:tc:SAML:2.0:logout:user")
        status, headers, body = self._send(binding, str(req), destination, None, False)
        return status, headers, body, req_id, req

    def _logout_response(self, binding, params, raw_query, msg, pending):
        resp = self.server.parse_logout_request_response(params["SAMLResponse"], binding)
        if resp is None:
            raise Refused("pysaml2 could not parse the LogoutResponse")
        if binding == BINDING_REDIRECT:
            self._verify_redirect(params, pending["sp_session"]["sp"], "LogoutResponse")
        if not resp.status_ok():
            raise Refused(f"LogoutResponse status {msg.status_codes}")


# ---------------------------------------------------------------------------------- Lasso

LASSO_IDP_METADATA = """<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{base}/slo/redirect"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{base}/slo/post"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{base}/sso/redirect"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{base}/sso/post"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""

LASSO_IDENTITY = """<Identity xmlns="http://www.entrouvert.org/namespaces/lasso/0.0" Version="2">\
<lasso:Federation xmlns:lasso="http://www.entrouvert.org/namespaces/lasso/0.0" \
xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" RemoteProviderID="{sp}" FederationDumpVersion="2">\
<lasso:LocalNameIdentifier><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" \
NameQualifier="{idp}" SPNameQualifier="{sp}">{name_id}</saml:NameID></lasso:LocalNameIdentifier>\
</lasso:Federation></Identity>"""


def _xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class LassoUpstream(_HttpUpstream):
    """Debian's Lasso (2.8) as the IdP: lasso.Server over our IdP metadata (written here:
    Lasso has no generator; WantAuthnRequestsSigned="true"), the SP added as a provider;
    lasso.Login (processAuthnRequestMsg, validateRequestMsg, buildAssertion, the attribute
    statement, buildAuthnResponseMsg) and lasso.Logout for Single Logout. Signature checks are
    forced (PROFILE_SIGNATURE_VERIFY_HINT_FORCE): an unsigned request is refused.

    Lasso quirks (2.8.1):
    - Signs with RSA-SHA1 unless server.signatureMethod is set (RSA-SHA256 here).
    - The persistent NameID comes from the user's Identity (a federation with the SP): the
      user's name_id is put there as the federation's LocalNameIdentifier, so every login gives
      the same NameID, as an IdP that stores Lasso's identity dumps does.
    - Encryption: provider.setEncryptionMode(ENCRYPTION_MODE_ASSERTION) for the SP encrypts
      the assertion with the SP's encryption certificate from its metadata, AES-128-CBC by
      default (setEncryptionSymKeyType), key transport RSA-OAEP (Lasso's default key
      encryption method; PKCS#1 v1.5 is the other choice, `key_transport="pkcs1"`).
    - Attributes: Lasso has no attribute naming of its own; each is an Saml2Attribute with the
      Name given and NameFormat uri (basic for a Name that is not a URI), FriendlyName from
      FRIENDLY when known.
    - Lasso 2.8 does not know Scoping's ProxyCount attribute (it logs "Unexpected attribute:
      ProxyCount" and drops it); the request is accepted all the same (the record has it).
    - For the POST binding the RelayState is a form field Lasso never sees: it is handed to
      the Login/Logout here, so that the answer carries it back.
    """

    kind = "lasso"
    title = "Lasso upstream IdP"

    def __init__(self, sym_key="aes128", key_transport="oaep", **kw):
        super().__init__(**kw)
        self.sym_key = sym_key
        self.key_transport = key_transport
        self.identities = {}  # (username, SP) -> Lasso identity dump
        self.proxy_restriction = None  # an int: Conditions/ProxyRestriction Count in the assertions

    def _setup(self):
        import lasso
        self.lasso = lasso
        self.metadata_xml = LASSO_IDP_METADATA.format(entity_id=self.entity_id, base=self.base,
                                                      cert=cert_b64(self.cert)).encode("utf-8")
        self.metadata_file = os.path.join(self.dir, "idp-metadata.xml")
        with open(self.metadata_file, "wb") as f:
            f.write(self.metadata_xml)
        self.server = lasso.Server(self.metadata_file, self.key, None, self.cert)
        self.server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA256
        for path in self.sp_metadata_files:
            self.server.addProvider(lasso.PROVIDER_ROLE_SP, path, None, None)
        self._encryption_changed()

    def _encryption_changed(self):
        if not getattr(self, "lasso", None):
            return
        lasso = self.lasso
        for sp in self.sps:
            provider = self.server.getProvider(sp.entity_id)
            provider.setEncryptionMode(lasso.ENCRYPTION_MODE_ASSERTION if self._encrypt else lasso.ENCRYPTION_MODE_NONE)
            provider.setEncryptionSymKeyType({"aes128": lasso.ENCRYPTION_SYM_KEY_TYPE_AES_128,
                                              "aes256": lasso.ENCRYPTION_SYM_KEY_TYPE_AES_256,
                                              "3des": lasso.ENCRYPTION_SYM_KEY_TYPE_3DES}[self.sym_key])
            provider.setKeyEncryptionMethod({"oaep": lasso.KEY_ENCRYPTION_METHOD_OAEP,
                                             "pkcs1": lasso.KEY_ENCRYPTION_METHOD_PKCS1}[self.key_transport])

    def _users_changed(self):
        self.identities = {}

    def _identity_dump(self, user, sp):
        key = (user.username, sp)
        if key not in self.identities:
            self.identities[key] = LASSO_IDENTITY.format(sp=_xml_text(sp), idp=_xml_text(self.entity_id),
                                                         name_id=_xml_text(user.name_id))
        return self.identities[key]

    def _message(self, binding, params, raw_query):
        return raw_query if binding == BINDING_REDIRECT else params.get("SAMLRequest") or params.get("SAMLResponse")

    def _parse_authn_request(self, binding, params, raw_query):
        lasso = self.lasso
        login = lasso.Login(self.server)
        login.setSignatureVerifyHint(lasso.PROFILE_SIGNATURE_VERIFY_HINT_FORCE)
        login.processAuthnRequestMsg(self._message(binding, params, raw_query))  # raises lasso.Error
        if params.get("RelayState") is not None:
            login.msgRelayState = params["RelayState"]
        return login, login.remoteProviderId

    def _attribute_statement(self, user):
        lasso = self.lasso
        attrs = []
        for name, values in user.attributes.items():
            a = lasso.Saml2Attribute()
            a.name = name
            a.nameFormat = NAME_FORMAT_URI if ":" in name else NAME_FORMAT_BASIC
            if name in FRIENDLY:
                a.friendlyName = FRIENDLY[name]
            vals = []
            for v in values:
                av = lasso.Saml2AttributeValue()
                node = lasso.MiscTextNode.newWithString(v)
                node.textChild = True
                av.any = [node]
                vals.append(av)
            a.attributeValue = vals
            attrs.append(a)
        st = lasso.Saml2AttributeStatement()
        st.attribute = attrs
        return st

    def _authn_response(self, pending, session):
        lasso = self.lasso
        login, sp = pending["handle"], pending["sp"]
        user = session.user
        # This IdP's policy: a persistent NameID unless the SP asks for another format (Lasso
        # would fall back to transient when the request names none).
        policy = login.request.nameIdPolicy
        if policy is None:
            policy = lasso.Samlp2NameIDPolicy()
            login.request.nameIdPolicy = policy
        if policy.format in (None, "", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"):
            policy.format = NAMEID_PERSISTENT
        login.setIdentityFromDump(self._identity_dump(user, sp))
        login.validateRequestMsg(True, True)
        now = time.time()
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        login.buildAssertion(self.authn_context, time.strftime(fmt, time.gmtime(now)), None,
                             time.strftime(fmt, time.gmtime(now - 60)), time.strftime(fmt, time.gmtime(now + 300)))
        login.assertion.attributeStatement = [self._attribute_statement(user)]
        if self.proxy_restriction is not None:
            pr = lasso.Saml2ProxyRestriction()
            pr.count = str(self.proxy_restriction)
            login.assertion.conditions.proxyRestriction = [pr]
        name_id = login.assertion.subject.nameID
        session_index = login.assertion.authnStatement[0].sessionIndex
        login.buildAuthnResponseMsg()
        if self._encrypt and b"EncryptedAssertion" not in base64.b64decode(login.msgBody):
            raise AssertionError("Lasso did not encrypt the assertion (no encryption key in the SP's metadata?)")
        self.identities[(user.username, sp)] = login.identity.dump()
        sp_session = {"sp": sp, "name_id": name_id.content, "name_id_format": name_id.format,
                      "name_qualifier": name_id.nameQualifier, "sp_name_qualifier": name_id.spNameQualifier,
                      "session_index": session_index, "state": login.session.dump(), "user": user}
        page = post_form(login.msgUrl, [("SAMLResponse", login.msgBody), ("RelayState", login.msgRelayState)])
        return page, sp_session

    def _passive_failure(self, pending):
        lasso = self.lasso
        login = pending["handle"]
        try:
            login.validateRequestMsg(False, False)  # not authenticated: RequestDenied, made NoPassive below
        except lasso.LoginRequestDeniedError:
            pass
        status = lasso.Samlp2Status()
        top = lasso.Samlp2StatusCode()
        top.value = STATUS_RESPONDER
        second = lasso.Samlp2StatusCode()
        second.value = STATUS_NO_PASSIVE
        top.statusCode = second
        status.statusCode = top
        login.response.status = status
        login.buildAuthnResponseMsg()
        return post_form(login.msgUrl, [("SAMLResponse", login.msgBody), ("RelayState", login.msgRelayState)])

    def _logout_request(self, binding, params, raw_query, msg):
        lasso = self.lasso
        logout = lasso.Logout(self.server)
        logout.setSignatureVerifyHint(lasso.PROFILE_SIGNATURE_VERIFY_HINT_FORCE)
        try:
            logout.processRequestMsg(self._message(binding, params, raw_query))
        except lasso.Error as e:
            msg.accepted, msg.error = False, repr(e)
            raise
        if binding == BINDING_POST and params.get("RelayState") is not None:
            logout.msgRelayState = params["RelayState"]  # a form field Lasso does not see
        sp = logout.remoteProviderId
        name_id = logout.request.nameId.content
        indexes = list(logout.request.sessionIndexes or ())
        sessions = [(s, sps) for s in self.sessions.values() for sps in s.find(sp, name_id)
                    if not indexes or sps["session_index"] in indexes]
        if sessions:
            s, sps = sessions[0]
            logout.setIdentityFromDump(self.identities.get((s.user.username, sp)) or self._identity_dump(s.user, sp))
            logout.setSessionFromDump(sps["state"])
        try:
            logout.validateRequest()
        except lasso.Error as e:  # no such session: Lasso has put an error status in the response
            msg.error = repr(e)
        self._end_sessions(sp, name_id, indexes)
        logout.buildResponseMsg()
        if binding == BINDING_POST and logout.msgBody:
            page = post_form(logout.msgUrl, [("SAMLResponse", logout.msgBody), ("RelayState", logout.msgRelayState)])
            self._sent_page(page)
            return 200, [], page
        self._sent_redirect(logout.msgUrl)
        return 303, [("Location", logout.msgUrl)], ""

    def _idp_logout_request(self, session, sp_session):
        lasso = self.lasso
        sp = sp_session["sp"]
        logout = lasso.Logout(self.server)
        logout.setIdentityFromDump(self.identities.get((session.user.username, sp)))
        logout.setSessionFromDump(sp_session["state"])
        method = lasso.HTTP_METHOD_REDIRECT if self.sp(sp).slo_location(BINDING_REDIRECT) else lasso.HTTP_METHOD_POST
        logout.initRequest(sp, method)
        logout.request.reason = "urn:oasis:names:tc:SAML:2.0:logout:user"
        logout.buildRequestMsg()
        request_id = logout.request.id
        dump = logout.dump()
        if method == lasso.HTTP_METHOD_POST:
            page = post_form(logout.msgUrl, [("SAMLRequest", logout.msgBody), ("RelayState", logout.msgRelayState)])
            self._sent_page(page)
            return 200, [], page, request_id, dump
        self._sent_redirect(logout.msgUrl)
        return 303, [("Location", logout.msgUrl)], "", request_id, dump

    def _logout_response(self, binding, params, raw_query, msg, pending):
        lasso = self.lasso
        logout = lasso.Logout.newFromDump(self.server, pending["handle"])
        logout.setSignatureVerifyHint(lasso.PROFILE_SIGNATURE_VERIFY_HINT_FORCE)
        logout.processResponseMsg(self._message(binding, params, raw_query))  # raises on a bad one


# ---------------------------------------------------------------------------------- SimpleSAMLphp

def php_string(s):
    return "'" + str(s).replace("\\", "\\\\").replace("'", "\\'") + "'"


def php_value(v):
    """A Python value (str, bool, None, int, list, dict) as a PHP literal."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return php_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(php_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "[" + ", ".join(f"{php_value(k)} => {php_value(x)}" for k, x in v.items()) + "]"
    raise TypeError(type(v))


def ssp_error(body):
    """The error SimpleSAMLphp's error page reports ("Caused by: …", else its title), or None
    when `body` is not its error page (1.19 sends that page with HTTP 200)."""
    if "tracking number" not in body and "SimpleSAML\\Error\\" not in body:
        return None
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    m = re.search(r"Caused by:\s*([^\n]+)", text)
    if m:
        return " ".join(m.group(1).split())
    m = re.search(r"<title>([^<]*)</title>", body)
    return m.group(1).strip() if m else "SimpleSAMLphp error page"


def ssp_missing():
    """Why SimpleSamlPhpUpstream cannot run here, or None."""
    for path, package in ((APACHE, "apache2"), (os.path.join(APACHE_MODULES, "libphp8.2.so"), "libapache2-mod-php"),
                          (os.path.join(SSP_ROOT, "www", "saml2", "idp", "SSOService.php"), "simplesamlphp")):
        if not os.path.exists(path):
            return f"{path} not installed (Debian package {package}; tools/install-deps installs it)"
    return None


class SimpleSamlPhpUpstream(UpstreamIdp):
    """Debian 12's simplesamlphp (1.19.7) as a SAML 2.0 IdP in an Apache 2.4 + mod_php of its
    own: `apache2 -f DIR/apache2.conf -DFOREGROUND` (prefork, PHP 8.2), ServerRoot, PidFile,
    logs, runtime dir, PHP sessions and SimpleSAMLphp's config folder all in a temp dir
    (templates: tests/data/interop/simplesamlphp/), on a free port of 127.0.0.1, started in a
    session of its own and stopped by its PID (then no process with the config file may be
    left). SIMPLESAMLPHP_CONFIG_DIR (SetEnv) selects the config: the package's /etc is never
    read or written.

    Configuration, the way SimpleSAMLphp documents it:
    - config.php: baseurlpath http://127.0.0.1:PORT/simplesaml/, enable.saml20-idp,
      module exampleauth, file logging, phpsession store, cookies without Secure (plain http).
    - authsources.php: `users` = exampleauth:UserPass with the one user ("name:password" =>
      attributes; written anew by set_user). The login page is SimpleSAMLphp's own
      (core/loginuserpass.php: username, password, AuthState).
    - metadata/saml20-idp-hosted.php: entityID __DYNAMIC:1__ (= BASE/simplesaml/saml2/idp/
      metadata.php), the key and certificate made per run, signature.algorithm RSA-SHA256,
      SingleSignOn and SingleLogout over HTTP-Redirect and HTTP-POST, NameIDFormat
      persistent, attributes.NameFormat uri, validate.authnrequest (signed AuthnRequests
      required), sign.logout and redirect.sign, assertion.encryption (set_encryption), and
      authproc: saml:AttributeNameID (the persistent NameID is the user's `persistentId`
      attribute = UpstreamUser.name_id), core:AttributeMap name2oid (its native names:
      sn, givenName, mail, uid … become OIDs), core:PHP removing persistentId,
      saml:AuthnContextClassRef.
    - metadata/saml20-sp-remote.php converts the SP metadata XML at load time with
      SimpleSAMLphp's own parser (SAMLParser::parseDescriptorsFile, getMetadata20SP — what
      its metadata converter page does).
    - A PHP auto_prepend_file (record.php) appends every SAML message received and sent to
      DIR/record/messages.jsonl, with the HTTP status of the answer; SimpleSAMLphp is
      otherwise untouched.

    SimpleSAMLphp quirks (1.19.7, PHP 8.2):
    - Encryption: AES-128-CBC under RSA-OAEP-MGF1P to the first encryption key in the SP's
      metadata; without one, an error page ("Missing encryption key").
    - Over plain http the default AuthnContextClassRef is …:Password (PasswordProtectedTransport
      needs https): saml:AuthnContextClassRef sets `authn_context`.
    - IdP-initiated logout: GET /simplesaml/saml2/idp/SingleLogoutService.php?ReturnTo=URL
      in the browser holding the session (logouttype traditional: a redirect chain).
    """

    kind = "simplesamlphp"

    def __init__(self, **kw):
        super().__init__(**kw)
        os.chmod(self.dir, 0o755)
        self.port = lib.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ssp = self.base + "/simplesaml"
        self.entity_id = self.ssp + "/saml2/idp/metadata.php"
        self.sso_url = self.ssp + "/saml2/idp/SSOService.php"
        self.slo_url = self.ssp + "/saml2/idp/SingleLogoutService.php"
        self.conf = os.path.join(self.dir, "apache2.conf")
        self.pid_file = os.path.join(self.dir, "apache2.pid")
        self.config_dir = os.path.join(self.dir, "config")
        self.record_file = os.path.join(self.dir, "record", "messages.jsonl")
        self.proc = None
        self.out = None
        self._read_offset = 0
        self._by_rid = {}

    # -- files
    def _write(self, rel, text, mode=0o644):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def _template(self, name):
        with open(os.path.join(SSP_DATA, name), encoding="utf-8") as f:
            return f.read()

    def _fill(self, text, **values):
        for k, v in values.items():
            text = text.replace(f"@{k}@", v)
        left = re.findall(r"@[A-Z_]+@", text)
        if left:
            raise AssertionError(f"unfilled placeholders {left}")
        return text

    def _users_changed(self):
        if not hasattr(self, "config_dir"):
            return
        users = {}
        for u in self.users.values():
            attrs = {"persistentId": [u.name_id], "uid": [u.username]}
            for name, values in u.attributes.items():
                attrs[FRIENDLY.get(name, name) if name in (OID_SN, OID_GIVEN_NAME, OID_MAIL, OID_UID,
                                                           OID_DISPLAY_NAME, OID_TELEPHONE) else name] = list(values)
            users[f"{u.username}:{u.password}"] = attrs
        self._write("config/authsources.php",
                    "<?php\n// Written by upstream_idps.SimpleSamlPhpUpstream.set_user.\n$config = "
                    + php_value({"admin": ["core:AdminPassword"],
                                 "users": dict({0: "exampleauth:UserPass"}, **users)}) + ";\n")

    def _encryption_changed(self):
        if not hasattr(self, "config_dir"):
            return
        self._write("metadata/saml20-idp-hosted.php", self._fill(
            self._template("saml20-idp-hosted.php.in"), ENCRYPT=php_value(self._encrypt),
            AUTHN_CONTEXT=php_string(self.authn_context)))

    def set_authn_context(self, class_ref):
        self.authn_context = class_ref
        self._encryption_changed()

    def _configure(self):
        as_root = os.geteuid() == 0
        for d in ("cert", "log", "data", "tmp", "sessions", "record", "run", "htdocs", "config", "metadata",
                  "sp-metadata"):
            os.makedirs(os.path.join(self.dir, d), mode=0o755, exist_ok=True)
        key, cert = lib.openssl_key_cert(os.path.join(self.dir, "cert"), "idp", cn="SimpleSAMLphp upstream IdP")
        os.chmod(cert, 0o644)
        for i, path in enumerate(self.sp_metadata_files):
            shutil.copyfile(path, os.path.join(self.dir, "sp-metadata", f"sp-{i}.xml"))
            os.chmod(os.path.join(self.dir, "sp-metadata", f"sp-{i}.xml"), 0o644)
        values = dict(DIR=self.dir, PORT=str(self.port), BASEURL=self.base, SSP_ROOT=SSP_ROOT,
                      MODULES=APACHE_MODULES, SALT=secrets.token_hex(16), ADMIN_PASSWORD=secrets.token_hex(12),
                      USER_GROUP="User www-data\nGroup www-data" if as_root else "")
        self._write("apache2.conf", self._fill(self._template("httpd.conf.in"), **values))
        self._write("config/config.php", self._fill(self._template("config.php.in"), **values))
        self._write("metadata/saml20-sp-remote.php", self._template("saml20-sp-remote.php"))
        self._write("record.php", self._template("record.php"))
        self._write("htdocs/logged-out.html", "<!DOCTYPE html><p>Logged out of SimpleSAMLphp.</p>\n")
        self._users_changed()
        self._encryption_changed()
        lib.write(self.record_file, "")
        if as_root:  # the children run as www-data: they read the key, write logs, sessions, records
            www = pwd.getpwnam("www-data")
            os.chown(key, www.pw_uid, www.pw_gid)
            for d in ("log", "data", "tmp", "sessions", "record", "run"):
                os.chown(os.path.join(self.dir, d), www.pw_uid, www.pw_gid)
            os.chown(self.record_file, www.pw_uid, www.pw_gid)

    def _start(self):
        missing = ssp_missing()
        if missing:
            raise AssertionError(missing)
        self._configure()
        rc, out, err = lib.run([APACHE, "-t", "-f", self.conf])
        if rc != 0:
            raise AssertionError(f"apache2 -t: {out}{err}")
        self.out = open(os.path.join(self.dir, "stdout.log"), "wb")
        # -DFOREGROUND: the PID is the parent's; a session of its own so that prefork's
        # signal to its process group cannot reach the test runner.
        self.proc = subprocess.Popen([APACHE, "-f", self.conf, "-DFOREGROUND"], stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True)
        deadline = time.monotonic() + 20
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"apache2 exited with {self.proc.returncode}\n{self.describe()}")
            try:
                r = self._get(self.entity_id)
                if r[0] == 200:
                    self.metadata_xml = r[1]
                    break
                last = f"HTTP {r[0]}: {r[1][:300]!r}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.1)
        else:
            raise AssertionError(f"SimpleSAMLphp metadata not served within 20 s (last: {last})\n{self.describe()}")
        with open(self.pid_file, encoding="ascii") as f:
            pid = int(f.read().strip())
        if pid != self.proc.pid:
            raise AssertionError(f"PidFile says {pid}, started {self.proc.pid}")

    @staticmethod
    def _get(url):
        import urllib.request
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def leftovers(self):
        """PIDs of processes still running with our config file on their command line."""
        rc, out, _ = lib.run(["pgrep", "-f", self.conf])
        return [int(p) for p in out.split()] if rc == 0 else []

    def stop(self, timeout=10):
        try:
            if self.proc is not None and self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
            deadline = time.monotonic() + 5
            while self.proc is not None and self.leftovers() and time.monotonic() < deadline:
                time.sleep(0.05)
            left = self.leftovers() if self.proc is not None else []
            for pid in left:  # the children of our own Apache, found by its config path
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if left:
                raise AssertionError(f"apache2 processes left after stop: {left}")
        finally:
            if self.out:
                self.out.close()
                self.out = None
            if not os.environ.get("PROPUSK_KEEP_UPSTREAM_DIR"):
                shutil.rmtree(self.dir, ignore_errors=True)

    def idp_logout_url(self, return_to=None):
        return self.slo_url + "?" + urllib.parse.urlencode({"ReturnTo": return_to or self.base + "/logged-out.html"})

    def log(self, name="log/simplesamlphp.log"):
        try:
            with open(os.path.join(self.dir, name), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def describe(self):
        return (f"{super().describe()}\napache2 -f {self.conf}\n--- stdout\n{self.log('stdout.log')}"
                f"--- error.log\n{self.log('log/error.log')}--- php errors\n{self.log('log/php-error.log')}"
                f"--- simplesamlphp.log (tail)\n{self.log()[-6000:]}--- access.log\n{self.log('log/access.log')[-3000:]}")

    # -- the record written by record.php
    def _load_records(self):
        try:
            with open(self.record_file, "rb") as f:
                f.seek(self._read_offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return
        self._read_offset += end + 1
        for line in data[:end + 1].decode("utf-8").splitlines():
            if not line.strip():
                continue
            e = json.loads(line)
            if e["dir"] == "in":
                for binding, params in (("GET", e["params"].get("get")), ("POST", e["params"].get("post"))):
                    if params and ("SAMLRequest" in params or "SAMLResponse" in params):
                        b = BINDING_REDIRECT if binding == "GET" else BINDING_POST
                        msg = message_from_params("received", b, urllib.parse.urlsplit(e["uri"]).path, params,
                                                  raw_query=e.get("query") if b == BINDING_REDIRECT else None)
                        self.check_received_signature(msg)
                        self._received.append(msg)
                        self._by_rid[e["rid"]] = msg
            else:
                msg = self._by_rid.get(e["rid"])
                if msg is not None:
                    msg.http_status = e.get("status")
                    error = ssp_error(e.get("body") or "")
                    msg.accepted = e.get("status") is not None and e["status"] < 400 and error is None
                    if not msg.accepted:
                        msg.error = error or f"HTTP {e.get('status')}"
                if e.get("location") and re.search(r"[?&](SAMLRequest|SAMLResponse)=", e["location"]):
                    self._sent.append(message_from_url("sent", e["location"]))
                if e.get("body") and "SAMLRe" in e["body"]:
                    m = message_from_form("sent", e["body"])
                    if m is not None:
                        self._sent.append(m)

    @property
    def received(self):
        with self._record_lock:
            self._load_records()
            return list(self._received)

    @property
    def sent(self):
        with self._record_lock:
            self._load_records()
            return list(self._sent)


# ---------------------------------------------------------------------------------- a second Propusk

class PropuskUpstream(UpstreamIdp):
    """A second Propusk server (the binaries under test) as the upstream IdP: its own store in a
    temp dir, `propusk --config` on a free port of 127.0.0.1, stopped by its PID. Its public
    URL is https://localhost:PORT, not 127.0.0.1: a browser keeps cookies per host whatever
    the port, and both Propusks name theirs propusk_session (the gateway under test stays on
    127.0.0.1). The SPs of start() are registered with `sp add` and released every attribute;
    set_user() makes the account with `user add` (status confirmed; the UpstreamUser's sn,
    givenName, inn, snils, mail). Propusk chooses the NameID itself (persistent, pairwise,
    opaque): UpstreamUser.name_id is None here. No record of messages (received/sent raise):
    its audit log (audit()) tells what it did. Encryption is not offered.

    IdP-initiated logout is Propusk's own /logout page: its CSRF form is submitted."""

    kind = "propusk"
    RELEASE = ("displayName,sn,givenName,middleName,inn,snils,accountStatus,eduPersonAssurance,"
               "mail,telephoneNumber")

    def __init__(self, **kw):
        if kw.get("encrypt_assertions"):
            raise ValueError("PropuskUpstream does not encrypt assertions")
        self.server = None
        super().__init__(**kw)
        self.port = lib.free_port()
        self.base = f"https://localhost:{self.port}"
        self.entity_id = self.base + "/saml/metadata"
        self.data = os.path.join(self.dir, "data")
        self.authn_context = AC_PPT

    @property
    def tls_cert(self):
        return os.path.join(self.data, "tls", "server.crt")

    def set_user(self, user):
        user.name_id = None  # Propusk's own pairwise NameID
        return super().set_user(user)

    def _users_changed(self):
        if self.server is None:
            return
        rc, out, _ = lib.ctl(self.data, "user", "list", "--json")
        for u in json.loads(out) if rc == 0 else []:
            if u["login"] not in self.users:
                lib.ctl_ok(self.data, "user", "remove", u["login"])
        for user in self.users.values():
            if lib.ctl(self.data, "user", "show", user.username)[0] == 0:
                continue
            args = ["user", "add", user.username, "--surname", user.value(OID_SN) or "-",
                    "--given-name", user.value(OID_GIVEN_NAME) or "-", "--status", "confirmed"]
            for oid, opt in ((OID_INN, "--inn"), (OID_SNILS, "--snils"), (OID_MAIL, "--email")):
                if user.value(oid):
                    args += [opt, user.value(oid)]
            lib.ctl_ok(self.data, *args, input=user.password + "\n")

    def _start(self):
        lib.require_binaries()
        lib.ctl_ok(self.data, "init")
        ini = lib.write(os.path.join(self.dir, "propusk.ini"),
                        f"[store]\ndata_dir = {self.data}\n[server]\npublic_url = {self.base}\n")
        self.server = lib.Server(["--config", ini, "--listen", f"127.0.0.1:{self.port}"], workdir=self.dir)
        self.server.start()
        lib.wait_ready(self.server, self.port, self.data)
        r = lib.https_request(self.port, "/saml/metadata", data_dir=self.data)
        if r.status != 200:
            raise AssertionError(f"GET /saml/metadata: HTTP {r.status}")
        self.metadata_xml = r.body
        for path, sp in zip(self.sp_metadata_files, self.sps):
            lib.ctl_ok(self.data, "sp", "add", path)
            lib.ctl_ok(self.data, "sp", "set", sp.entity_id, "--release", self.RELEASE)
        self._users_changed()

    def stop(self):
        try:
            if self.server is not None:
                self.server.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def received(self):
        raise AssertionError("PropuskUpstream records no messages: read audit()")

    @property
    def sent(self):
        raise AssertionError("PropuskUpstream records no messages: read audit()")

    def audit(self, action=None, after=0):
        events = json.loads(lib.ctl_ok(self.data, "audit", "list", "--after", str(after), "--limit", "100000",
                                       "--json"))
        return [e for e in events if action is None or e["action"] == action]

    def sessions(self, login):
        return json.loads(lib.ctl_ok(self.data, "session", "list", "--user", login, "--json"))

    def start_idp_logout(self, browser, return_to=None):
        page = browser.request(self.base + "/logout")
        form = next((f for f in page.forms if f.has("csrf") and f.method == "post"), None)
        if form is None:
            raise AssertionError(f"no logout form at {self.base}/logout: {page.status} {page.visible_text[:300]}")
        return browser.request(urllib.parse.urljoin(page.url, form.action or "/logout"), "POST", form.values())

    def describe(self):
        return super().describe() + ("\n" + self.server.describe() if self.server else "")

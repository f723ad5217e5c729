#!/usr/bin/python3
"""The two real SPs of the interop tests, each configured the way its documentation says,
with a key pair made per run, registered at the Propusk IdP under test:

- PysamlSp: Debian's python3-pysaml2 (saml2.client.Saml2Client);
- LassoSp:  Debian's python3-lasso (lasso.Server + lasso.Login).

Library quirks are documented at the top of test_pysaml2_sp.py and test_lasso_sp.py.
"""

import base64
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop_idp as I  # noqa: E402
import saml_browser  # noqa: E402

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


class SsoRequest:
    """An AuthnRequest as the browser must send it: GET `url`, or POST `fields` to `url`."""

    def __init__(self, request_id, method, url, fields=None, relay_state=None, handle=None):
        self.id = request_id
        self.method = method
        self.url = url
        self.fields = fields
        self.relay_state = relay_state
        self.handle = handle  # library object that must consume the response (Lasso's Login)

    def run(self, browser, username=I.USER, password=I.PASSWORD):
        """Drives the browser from this request to the IdP's auto-POST form."""
        return browser.sso(self.url, self.method, self.fields, username=username, password=password)


def decode_response(saml_response):
    return base64.b64decode(saml_response, validate=False).decode("utf-8")


def tamper_attribute(xml_text, attr_name, old, new):
    """Changes one AttributeValue (`old` -> `new`) of the Attribute named `attr_name` in a
    decoded Response; fails if there is no such value (so the tamper test cannot pass by
    tampering with nothing)."""
    pattern = re.compile(r'(<(?:\w+:)?Attribute\b[^>]*\bName="' + re.escape(attr_name) +
                         r'"[^>]*>\s*<(?:\w+:)?AttributeValue\b[^>]*>)' + re.escape(old) + r'(<)')
    changed, n = pattern.subn(lambda m: m.group(1) + new + m.group(2), xml_text, count=1)
    if n != 1:
        raise AssertionError(f"no AttributeValue {old!r} of {attr_name} in the Response to tamper with")
    return changed


def encode(xml_text):
    return base64.b64encode(xml_text.encode("utf-8")).decode("ascii")


# ------------------------------------------------------------------------------------ pysaml2

class PysamlSp:
    """slo: [(Location, binding)] for the SP's SingleLogoutService (none by default); with it
    pysaml2 signs its LogoutRequests and LogoutResponses (logout_requests_signed,
    logout_responses_signed) and trusts the IdP's TLS certificate for its own SOAP calls."""

    def __init__(self, idp, name="pysaml2-sp", entity_id="https://pysaml2.sp.test/saml2/metadata",
                 base="https://pysaml2.sp.test/saml2", slo=None, algorithms_at_top_level=False):
        from saml2 import BINDING_HTTP_POST
        from saml2.client import Saml2Client
        from saml2.config import SPConfig
        from saml2.metadata import create_metadata_string
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

        self.idp = idp
        self.entity_id = entity_id
        self.acs = base + "/acs/post"
        key, cert = idp.sp_keys(name)
        self.settings = {
            "entityid": entity_id,
            "xmlsec_binary": I.XMLSEC1,
            "key_file": key,
            "cert_file": cert,
            "metadata": {"local": [idp.metadata_file]},
            "accepted_time_diff": 60,
            # Read at the top level only (Saml2Client uses config.allow_unknown_attributes,
            # not the "sp" context): without it Propusk's own attributes are dropped.
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "name": "Propusk interop (pysaml2)",
                    "endpoints": {"assertion_consumer_service": [(self.acs, BINDING_HTTP_POST)]},
                    "authn_requests_signed": True,
                    "want_response_signed": True,
                    "want_assertions_signed": True,
                    "allow_unsolicited": False,
                    # Read from the "sp" section only (the top-level keys are ignored by
                    # Saml2Client); the defaults are rsa-sha1/sha1, which Propusk refuses.
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                    "name_id_format": [I.NAMEID_PERSISTENT, I.NAMEID_TRANSIENT],
                },
            },
        }
        if algorithms_at_top_level:
            # The common mistake: where pysaml2's own docs show most keys, at the top level,
            # where Saml2Client ignores them; it then signs with RSA-SHA1 (issue 13.3).
            for k in ("signing_algorithm", "digest_algorithm"):
                self.settings[k] = self.settings["service"]["sp"].pop(k)
        if slo:
            sp = self.settings["service"]["sp"]
            sp["endpoints"]["single_logout_service"] = list(slo)
            sp["logout_requests_signed"] = True
            sp["logout_responses_signed"] = True
            # pysaml2's own SOAP calls to the IdP (requests): trust the IdP's self-signed cert.
            self.settings["verify_ssl_cert"] = True
            self.settings["ca_certs"] = idp.tls_cert
        self.slo = list(slo or [])
        self.config = SPConfig()
        self.config.load(self.settings)
        self.client = Saml2Client(config=self.config)
        self.metadata = create_metadata_string(None, config=self.config)
        self.metadata_file = idp.path(name + "-metadata.xml")
        with open(self.metadata_file, "wb") as f:
            f.write(self.metadata)
        idp.register_sp(self.metadata_file, entity_id)

    def request(self, binding, nameid_format=None, relay_state="/pysaml2/protected"):
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        kwargs = {"nameid_format": nameid_format} if nameid_format else {}
        req_id, info = self.client.prepare_for_authenticate(
            entityid=self.idp.entity_id, relay_state=relay_state, binding=binding, sign=True, **kwargs)
        if binding == BINDING_HTTP_REDIRECT:
            location = dict(info["headers"])["Location"]
            return SsoRequest(req_id, "GET", location, relay_state=relay_state)
        if binding == BINDING_HTTP_POST:
            forms, _, _ = saml_browser.parse_forms(info["data"])
            form = [f for f in forms if f.has("SAMLRequest")][0]
            return SsoRequest(req_id, "POST", form.action, form.values(), relay_state=relay_state)
        raise ValueError(binding)

    def consume(self, saml_response, request):
        """pysaml2's ACS: returns saml2.response.AuthnResponse or raises."""
        from saml2 import BINDING_HTTP_POST
        return self.client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request.id: request.relay_state})


# ------------------------------------------------------------------------------------ Lasso

class LassoSp:
    """slo: [(binding URI, Location)] replacing the template's one SingleLogoutService
    (HTTP-Redirect at BASE/slo) when given."""

    def __init__(self, idp, name="lasso-sp", entity_id="https://lasso.sp.test/saml/metadata",
                 base="https://lasso.sp.test/saml", slo=None):
        import lasso

        self.idp = idp
        self.entity_id = entity_id
        self.base = base
        self.acs = base + "/acs/post"
        key, cert = idp.sp_keys(name)
        self.metadata = (I.read_template("lasso-sp-metadata.xml")
                         .replace("@ENTITY_ID@", entity_id)
                         .replace("@BASE@", base)
                         .replace("@CERT@", I.pem_body(cert)))
        if slo is not None:
            services = "".join(f'<md:SingleLogoutService Binding="{b}" Location="{loc}"/>\n    ' for b, loc in slo)
            self.metadata, n = re.subn(r"<md:SingleLogoutService\b[^>]*/>\s*", services, self.metadata, count=1)
            if n != 1:
                raise AssertionError("lasso-sp-metadata.xml: no SingleLogoutService to replace")
        self.metadata_file = idp.path(name + "-metadata.xml")
        with open(self.metadata_file, "w", encoding="utf-8") as f:
            f.write(self.metadata)
        idp.register_sp(self.metadata_file, entity_id)
        self.server = lasso.Server(self.metadata_file, key, None, cert)
        # Lasso 2.8 signs with RSA-SHA1 unless told otherwise; Propusk refuses SHA-1.
        self.server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA256
        self.server.addProvider(lasso.PROVIDER_ROLE_IDP, idp.metadata_file, None, None)

    def request(self, http_method="redirect", nameid_format=I.NAMEID_PERSISTENT, relay_state="/lasso/protected",
                ask_post_acs=False):
        import lasso
        login = lasso.Login(self.server)
        method = {"redirect": lasso.HTTP_METHOD_REDIRECT, "post": lasso.HTTP_METHOD_POST}[http_method]
        login.initAuthnRequest(self.idp.entity_id, method)
        req = login.request
        req.nameIdPolicy.format = nameid_format
        req.nameIdPolicy.allowCreate = True
        if ask_post_acs:
            req.protocolBinding = lasso.SAML2_METADATA_BINDING_POST
        login.msgRelayState = relay_state
        login.buildAuthnRequestMsg()
        if http_method == "redirect":
            return SsoRequest(req.id, "GET", login.msgUrl, relay_state=relay_state, handle=login)
        return SsoRequest(req.id, "POST", login.msgUrl,
                          [("SAMLRequest", login.msgBody), ("RelayState", relay_state)],
                          relay_state=relay_state, handle=login)

    def consume(self, saml_response, request):
        """Lasso's ACS with the Login object that made the request (so Lasso checks
        InResponseTo), signature verification forced. Returns the Login; raises lasso.Error."""
        import lasso
        login = request.handle
        login.setSignatureVerifyHint(lasso.PROFILE_SIGNATURE_VERIFY_HINT_FORCE)
        login.processAuthnResponseMsg(saml_response)
        login.acceptSso()
        return login


def lasso_attributes(assertion):
    """{Name: (NameFormat, FriendlyName, [values])} from a lasso.Saml2Assertion."""
    out = {}
    for statement in assertion.attributeStatement or ():
        for attr in statement.attribute or ():
            values = []
            for v in attr.attributeValue or ():
                text = ""
                for node in v.any or ():
                    content = getattr(node, "content", None)
                    text += content if content is not None else node.dump()
                values.append(text)
            if attr.name in out:
                raise AssertionError(f"attribute {attr.name} sent twice")
            out[attr.name] = (attr.nameFormat, attr.friendlyName, values)
    return out


# ------------------------------------------------------------------------------------ SOAP SLO

class SoapEndpoint(I.lib.LoopbackHttpServer):
    """A loopback http.server (a thread) standing in for SPs' SOAP SingleLogoutService:
    every POST body goes to handler(path, body: bytes) -> (status, content_type, body: bytes);
    each call is recorded in `calls` as (path, body). start() / stop()."""

    def __init__(self, handler):
        import http.server
        import threading

        outer = self
        self.calls = []
        self.errors = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.calls.append((self.path, body))
                try:
                    status, ctype, out = handler(self.path, body)
                except Exception as e:  # the test reads `errors`; the IdP sees a 500
                    import traceback
                    outer.errors.append(f"{e!r}\n{traceback.format_exc()}")
                    status, ctype, out = 500, "text/plain", b"handler failed"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        super().__init__(Handler)

#!/usr/bin/python3
"""Interop: Single Logout between Debian's pysaml2 (python3-pysaml2 7.0.1, Saml2Client) as
SPs and the real Propusk server. pysaml2 builds and parses every SAML message on the SP
side with its own API; the test only carries them (a cookie-keeping browser, and a loopback
HTTP server for the SOAP back channel).

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo PYTHONPATH=repo/tests/integration \
     /usr/bin/python3 tests/interop/test_pysaml2_slo.py -v

Three pysaml2 SPs share one IdP session: "front" (SingleLogoutService HTTP-Redirect and
HTTP-POST), "post" (HTTP-POST only) and "soap" (SOAP only, served by sp_clients.SoapEndpoint).

pysaml2 SLO quirks (7.0.1):
- global_logout() picks the IdP's SLO binding by config preferred_binding
  ["single_logout_service"], SOAP first: against Propusk's metadata (Redirect, POST and
  SOAP) it logs out over SOAP by itself, with `requests`; `verify_ssl_cert: True` and
  `ca_certs` make it trust the IdP's TLS certificate. do_logout(..., expected_binding=...)
  chooses the binding; with Redirect/POST it returns what the browser must carry.
- It signs LogoutRequests/LogoutResponses only with logout_requests_signed /
  logout_responses_signed (in `service: {sp: ...}`) or sign=True; sign_alg/digest_alg must be
  given (the defaults are SHA-1, which Propusk refuses).
- It never checks an HTTP-Redirect query signature itself (parse_logout_request,
  parse_logout_request_response): an SP must call saml2.sigver.verify_redirect_signature
  with the IdP's metadata certificate, as done here.
- handle_logout_request() compares the request's NameID with the one given as a whole
  (value, Format, NameQualifier, SPNameQualifier): Propusk repeats them exactly as in the
  assertion.
- SOAP: pysaml2 takes the SAML message out of the envelope with ElementTree and serialises
  it again (saml2.soap.parse_soap_enveloped_saml_thingy), which renames unregistered
  namespace prefixes to ns0, ns1...; exclusive c14n keeps prefixes, so every signed SOAP
  message then fails to verify (IncorrectlySigned / SignatureError; pysaml2 issue #551).
  Registering the prefixes the sender used (ElementTree.register_namespace: samlp, saml, ds
  — Propusk's) avoids it; an SP must do so before its first SOAP logout.
- handle_logout_request(..., BINDING_SOAP, sign=True) crashes (AttributeError: 'str' object has
  no attribute 'c_namespace'): the signed response is a string that use_soap() cannot put in
  an envelope. The SOAP SP here wraps create_logout_response(sign=True) itself.
- handle_logout_request(sign=True) over HTTP-Redirect signs the LogoutResponse XML *and*
  the query; bindings §3.4.4.1 says the XML signature must be removed first. Propusk accepts
  such a message when the query signature verifies (it covers the whole deflated message) and
  ignores the inner one (test_handle_logout_request_redirect_as_pysaml2_does_it).
- create_logout_response(request, bindings=None) fails for a LogoutRequest (AttributeError:
  no attribute 'protocol_binding'); with bindings=[SOAP] it writes Destination="", which
  Propusk refuses on the back channel (test_soap_sp_answer_with_empty_destination, an
  expected failure until that is fixed). The SOAP SP here writes the IdP's SOAP endpoint as
  Destination (Entity._status_response).
- An error status in a LogoutResponse is raised by parse_logout_request_response
  (StatusRequestDenied...), not returned.
"""

import base64
import json
import os
import sys
import unittest
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from xml.etree import ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop_idp as I  # noqa: E402
import sp_clients as S  # noqa: E402
from saml_browser import Browser, parse_forms  # noqa: E402

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, BINDING_SOAP  # noqa: E402
from saml2 import samlp  # noqa: E402
from saml2.response import StatusRequestDenied  # noqa: E402
from saml2.samlp import STATUS_SUCCESS  # noqa: E402
from saml2.sigver import verify_redirect_signature  # noqa: E402
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256  # noqa: E402

NS = {"samlp": S.SAMLP, "saml": S.SAML, "ds": S.DS}
REASON_USER = "urn:oasis:names:tc:SAML:2.0:logout:user"
PARTIAL_LOGOUT = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
SIGN = {"sign": True, "sign_alg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256}


def query_dict(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


def inflate(b64):
    return zlib.decompress(base64.b64decode(b64), -15)


class Pysaml2SloTests(I.IdpTestCase):
    # These SPs log out over SOAP themselves: the operator lists /saml/soap ([logout]
    # advertise_soap = true); test_pysaml2_default_logout.py covers a default Propusk.
    advertise_soap = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for prefix, uri in (("samlp", S.SAMLP), ("saml", S.SAML), ("ds", S.DS)):  # pysaml2 #551, above
            ElementTree.register_namespace(prefix, uri)
        cls.soap = S.SoapEndpoint(cls._soap_handler).start()
        cls.addClassCleanup(cls.soap.stop)
        front = "https://front.pysaml2.test/saml2"
        post = "https://post.pysaml2.test/saml2"
        soap = "https://soap.pysaml2.test/saml2"
        cls.front = S.PysamlSp(cls.idp, "pysaml2-front", front + "/metadata", front,
                               slo=[(front + "/slo/redirect", BINDING_HTTP_REDIRECT),
                                    (front + "/slo/post", BINDING_HTTP_POST)])
        cls.post = S.PysamlSp(cls.idp, "pysaml2-post", post + "/metadata", post,
                              slo=[(post + "/slo/post", BINDING_HTTP_POST)])
        second = "https://second.pysaml2.test/saml2"
        cls.second = S.PysamlSp(cls.idp, "pysaml2-second", second + "/metadata", second,
                                slo=[(second + "/slo/redirect", BINDING_HTTP_REDIRECT)])
        cls.soap_sp = S.PysamlSp(cls.idp, "pysaml2-soap", soap + "/metadata", soap,
                                 slo=[(cls.soap.base + "/slo", BINDING_SOAP)])
        cls.soap_name_id = None  # whom the SOAP SP's "application" has logged in
        cls.soap_answers = []
        cls.soap_empty_destination = False
        cls.idp_certs = cls.front.client.metadata.certs(cls.idp.entity_id, "idpsso", "signing")

    @classmethod
    def _soap_handler(cls, path, body):
        """The SOAP SP's SingleLogoutService: pysaml2 parses, logs out locally and answers with
        a signed LogoutResponse. Not handle_logout_request(..., BINDING_SOAP, sign=True): it
        signs the response into a string and then fails to put that string in the envelope
        (AttributeError: 'str' object has no attribute 'c_namespace'); so the signed response
        is wrapped here."""
        client = cls.soap_sp.client
        req = client.parse_logout_request(body.decode("utf-8"), BINDING_SOAP)
        if req is None or req.message.name_id != cls.soap_name_id:
            raise AssertionError(f"pysaml2 refused the LogoutRequest or it names someone else: {req}")
        client.local_logout(req.message.name_id)
        if cls.soap_empty_destination:
            # what handle_logout_request does (bindings=[SOAP]): Destination="" in the response
            signed = str(client.create_logout_response(req.message, [BINDING_SOAP], **SIGN))
        else:
            # the same LogoutResponse with Destination = the IdP's SOAP endpoint (the
            # create_logout_response(bindings=None) that would pick it fails in 7.0.1:
            # AttributeError 'LogoutRequest' object has no attribute 'protocol_binding')
            signed = str(client._status_response(samlp.LogoutResponse, client._issuer(), None,
                                                 in_response_to=req.message.id,
                                                 destination=cls.idp.base + "/saml/soap", **SIGN))
        if signed.startswith("<?xml"):
            signed = signed[signed.index("?>") + 2:]
        envelope = ('<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>'
                    + signed + "</soap-env:Body></soap-env:Envelope>")
        cls.soap_answers.append(signed)
        return 200, "text/xml; charset=utf-8", envelope.encode("utf-8")

    def setUp(self):
        self.soap.calls.clear()
        self.soap.errors.clear()
        type(self).soap_empty_destination = False

    def browser(self):
        return Browser(ca_file=self.idp.tls_cert)

    def login(self, sp, browser, expect_login_form):
        req = sp.request(BINDING_HTTP_REDIRECT)
        post, logged_in, _ = req.run(browser)
        self.assertEqual(logged_in, expect_login_form)
        resp = sp.consume(post.saml_response, req)
        self.assertTrue(sp.client.is_logged_in(resp.name_id))
        return resp

    def session(self, *sps):
        b = self.browser()
        name_ids = {}
        for i, sp in enumerate(sps):
            name_ids[sp.entity_id] = self.login(sp, b, i == 0).name_id
        if self.soap_sp in sps:
            type(self).soap_name_id = name_ids[self.soap_sp.entity_id]
        return b, name_ids

    def assertIdpSessionGone(self, b):
        req = self.front.request(BINDING_HTTP_REDIRECT)
        page = b.navigate(req.url)
        self.assertIsNotNone(page.login_form(), f"the IdP session must be over: {page!r}")

    def verify_query(self, sp, url):
        """pysaml2's own check of an HTTP-Redirect signature, with the IdP's metadata cert."""
        params = query_dict(url)
        self.assertTrue(any(verify_redirect_signature(params, sp.client.sec.sec_backend, c) for c in self.idp_certs),
                        f"pysaml2 does not verify the query signature of {url[:200]}")
        return params

    def answer_post_request(self, sp, name_id, form, browser):
        """pysaml2 handles the IdP's HTTP-POST LogoutRequest and its answer is POSTed back."""
        http_info = sp.client.handle_logout_request(form.value("SAMLRequest"), name_id, BINDING_HTTP_POST,
                                                    relay_state=form.value("RelayState"), **SIGN)
        self.assertFalse(sp.client.is_logged_in(name_id), "pysaml2 ended its session")
        forms, _, _ = parse_forms(http_info["data"])
        answer = [f for f in forms if f.has("SAMLResponse")][0]
        self.assertEqual(answer.action, self.idp.base + "/saml/slo")
        self.assertEqual(answer.value("RelayState"), form.value("RelayState"))
        return browser.request(answer.action, "POST", answer.values())

    def redirect_response(self, sp, name_id, location, browser):
        """pysaml2 handles the IdP's HTTP-Redirect LogoutRequest; its LogoutResponse goes back
        over HTTP-Redirect with a signed query and no XML signature (bindings §3.4.4.1): the
        pieces of handle_logout_request(), with create_logout_response(sign=False)."""
        params = self.verify_query(sp, location)
        client = sp.client
        req = client.parse_logout_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)
        self.assertIsNotNone(req, "pysaml2 refused the LogoutRequest")
        self.assertEqual(req.message.name_id, name_id, "the NameID pysaml2 was given")
        self.assertTrue(client.local_logout(name_id))
        response = client.create_logout_response(req.message, [BINDING_HTTP_REDIRECT], sign=False)
        rinfo = client.response_args(req.message, [BINDING_HTTP_REDIRECT])
        http_info = client.apply_binding(rinfo["binding"], response, rinfo["destination"], params.get("RelayState"),
                                         response=True, sign=True, sigalg=SIG_RSA_SHA256)
        location = dict(http_info["headers"])["Location"]
        self.assertTrue(location.startswith(self.idp.base + "/saml/slo?"), location)
        return browser.request(location)

    # ------------------------------------------------------------------ tests

    def test_sp_initiated_redirect_propagates_over_soap_and_post(self):
        b, ids = self.session(self.front, self.post, self.soap_sp)
        front_id = ids[self.front.entity_id]
        out = self.front.client.do_logout(front_id, [self.idp.entity_id], REASON_USER, None,
                                          expected_binding=BINDING_HTTP_REDIRECT, **SIGN)
        binding, http_info = out[self.idp.entity_id]
        self.assertEqual(binding, BINDING_HTTP_REDIRECT)
        request_id = [k for k, v in self.front.client.state.items() if v.get("operation") == "SLO"][-1]
        location = dict(http_info["headers"])["Location"]
        sent_relay_state = query_dict(location).get("RelayState")
        self.assertTrue(sent_relay_state)
        page = b.request(location)

        # the SOAP SP was told during that request, and pysaml2 accepted it
        self.assertEqual(self.soap.errors, [])
        self.assertEqual(len(self.soap.calls), 1)
        self.assertFalse(self.soap_sp.client.is_logged_in(ids[self.soap_sp.entity_id]))
        # the POST SP next, through the browser
        self.assertEqual(page.status, 200, f"{page!r} {page.visible_text[:300]!r}\n{self.idp.describe()}")
        form = page.form_with("SAMLRequest")
        self.assertEqual(form.action, "https://post.pysaml2.test/saml2/slo/post")
        page = self.answer_post_request(self.post, ids[self.post.entity_id], form, b)

        # back to front: a LogoutResponse pysaml2 accepts, and its local logout
        self.assertEqual(page.status, 303, f"{page!r} {page.visible_text[:300]!r}")
        location = page.headers["Location"]
        self.assertTrue(location.startswith("https://front.pysaml2.test/saml2/slo/redirect?"), location)
        params = self.verify_query(self.front, location)
        resp = self.front.client.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
        self.assertIsNotNone(resp)
        self.assertTrue(resp.status_ok())
        self.assertEqual(resp.response.in_response_to, request_id)
        self.assertEqual(resp.response.status.status_code.value, STATUS_SUCCESS)
        self.assertIsNone(resp.response.status.status_code.status_code, "no PartialLogout")
        self.assertEqual(params.get("RelayState"), sent_relay_state, "pysaml2's RelayState comes back")
        self.front.client.handle_logout_response(resp)
        self.assertFalse(self.front.client.is_logged_in(front_id))
        self.assertIdpSessionGone(b)

    def test_sp_initiated_post(self):
        b, ids = self.session(self.front, self.post)
        front_id = ids[self.front.entity_id]
        out = self.front.client.do_logout(front_id, [self.idp.entity_id], REASON_USER, None,
                                          expected_binding=BINDING_HTTP_POST, **SIGN)
        binding, http_info = out[self.idp.entity_id]
        self.assertEqual(binding, BINDING_HTTP_POST)
        forms, _, _ = parse_forms(http_info["data"])
        form = [f for f in forms if f.has("SAMLRequest")][0]
        self.assertEqual(form.action, self.idp.base + "/saml/slo")
        page = b.request(form.action, "POST", form.values())
        page = self.answer_post_request(self.post, ids[self.post.entity_id], page.form_with("SAMLRequest"), b)
        # the answer comes over POST (the binding front used), to front's POST endpoint
        self.assertEqual(page.status, 200, f"{page!r} {page.visible_text[:300]!r}")
        answer = page.form_with("SAMLResponse")
        self.assertEqual(answer.action, "https://front.pysaml2.test/saml2/slo/post")
        resp = self.front.client.parse_logout_request_response(answer.value("SAMLResponse"), BINDING_HTTP_POST)
        self.assertTrue(resp.status_ok())
        self.assertIsNotNone(resp.response.signature, "the IdP's LogoutResponse is signed")
        self.front.client.handle_logout_response(resp)
        self.assertFalse(self.front.client.is_logged_in(front_id))
        self.assertIdpSessionGone(b)

    def test_global_logout_over_soap(self):
        """pysaml2's default: SOAP to /saml/soap, by itself; the IdP reaches the SOAP SP too."""
        b, ids = self.session(self.front, self.soap_sp)
        front_id = ids[self.front.entity_id]
        out = self.front.client.global_logout(front_id, REASON_USER, **SIGN)
        resp = out[self.idp.entity_id]
        self.assertTrue(resp.status_ok(), resp)
        self.assertEqual(resp.response.status.status_code.value, STATUS_SUCCESS)
        self.assertIsNone(resp.response.status.status_code.status_code)
        self.assertIsNotNone(resp.response.signature)
        self.assertEqual(len(self.soap.calls), 1)
        self.assertEqual(self.soap.errors, [])
        self.assertFalse(self.soap_sp.client.is_logged_in(ids[self.soap_sp.entity_id]))
        self.front.client.local_logout(front_id)
        self.assertIdpSessionGone(b)

    def test_global_logout_over_soap_with_front_channel_sp_is_partial(self):
        b, ids = self.session(self.front, self.post)
        out = self.front.client.global_logout(ids[self.front.entity_id], REASON_USER, **SIGN)
        resp = out[self.idp.entity_id]
        self.assertEqual(resp.response.status.status_code.value, STATUS_SUCCESS)
        self.assertEqual(resp.response.status.status_code.status_code.value, PARTIAL_LOGOUT)
        self.assertIdpSessionGone(b)

    def test_unsigned_logout_request_gets_request_denied(self):
        """pysaml2 told not to sign: its metadata has a signing key, so Propusk refuses, and
        the refusal is a signed LogoutResponse pysaml2 reads as RequestDenied."""
        b, ids = self.session(self.front)
        front_id = ids[self.front.entity_id]
        out = self.front.client.do_logout(front_id, [self.idp.entity_id], REASON_USER, None, sign=False,
                                          expected_binding=BINDING_HTTP_REDIRECT)
        location = dict(out[self.idp.entity_id][1]["headers"])["Location"]
        self.assertNotIn("Signature=", location)
        page = b.request(location)
        self.assertEqual(page.status, 303, repr(page))
        params = self.verify_query(self.front, page.headers["Location"])
        with self.assertRaises(StatusRequestDenied):
            self.front.client.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
        # nothing ended: the IdP still answers the SP at once
        req = self.front.request(BINDING_HTTP_REDIRECT)
        post, logged_in, _ = req.run(b, username=None)
        self.assertFalse(logged_in)

    def test_soap_sp_answer_with_empty_destination(self):
        """pysaml2's own SOAP answer (handle_logout_request's bindings=[SOAP]) carries
        Destination="": bindings §3.2 sets no Destination rule for SOAP, so Propusk treats an
        empty Destination on the back channel as absent and the SP counts as logged out."""
        type(self).soap_empty_destination = True
        b, ids = self.session(self.front, self.soap_sp)
        out = self.front.client.global_logout(ids[self.front.entity_id], REASON_USER, **SIGN)
        self.assertEqual(self.soap.errors, [])
        self.assertIn('Destination=""', self.soap_answers[-1])
        resp = out[self.idp.entity_id]
        self.assertIsNone(resp.response.status.status_code.status_code, "PartialLogout: the answer was refused")

    def test_idp_initiated_reaches_every_pysaml2_sp(self):
        b, ids = self.session(self.front, self.post, self.soap_sp)
        page = b.request(self.idp.base + "/logout")
        confirm = [f for f in page.forms if f.action == "/logout"][0]
        page = b.request(self.idp.base + "/logout", "POST", confirm.values())
        self.assertEqual(len(self.soap.calls), 1)
        self.assertEqual(self.soap.errors, [])
        self.assertFalse(self.soap_sp.client.is_logged_in(ids[self.soap_sp.entity_id]))
        for _ in range(2):
            if page.status == 303:
                loc = page.headers["Location"]
                self.assertTrue(loc.startswith("https://front.pysaml2.test/saml2/slo/redirect?"), loc)
                page = self.redirect_response(self.front, ids[self.front.entity_id], loc, b)
            else:
                page = self.answer_post_request(self.post, ids[self.post.entity_id], page.form_with("SAMLRequest"), b)
        self.assertEqual(page.status, 200, f"{page!r} {page.visible_text[:300]!r}\n{self.idp.describe()}")
        self.assertIn("signed out", page.visible_text)
        self.assertNotIn("did not confirm", page.visible_text, page.visible_text)
        self.assertFalse(self.front.client.is_logged_in(ids[self.front.entity_id]))
        self.assertIdpSessionGone(b)

    def test_handle_logout_request_redirect_as_pysaml2_does_it(self):
        """handle_logout_request(sign=True) over HTTP-Redirect: the LogoutResponse carries an
        XML signature inside the deflated message as well as the query signature (bindings
        §3.4.4.1 says to drop the former). The query signature verifies with the SP's metadata
        key and covers the whole message, so Propusk accepts it (issue 13.2)."""
        b, ids = self.session(self.front)
        head = max(e["seq"] for e in json.loads(I.lib.ctl_ok(self.idp.data, "audit", "list", "--json")))
        page = b.request(self.idp.base + "/logout")
        confirm = [f for f in page.forms if f.action == "/logout"][0]
        page = b.request(self.idp.base + "/logout", "POST", confirm.values())
        loc = page.headers["Location"]
        params = self.verify_query(self.front, loc)
        http_info = self.front.client.handle_logout_request(params["SAMLRequest"], ids[self.front.entity_id],
                                                            BINDING_HTTP_REDIRECT, relay_state=params["RelayState"],
                                                            **SIGN)
        location = dict(http_info["headers"])["Location"]
        xml = ET.fromstring(inflate(query_dict(location)["SAMLResponse"]))
        self.assertIsNotNone(xml.find("ds:Signature", NS), "pysaml2 signs the XML too")
        page = b.request(location)
        self.assertEqual(page.status, 200, f"{page!r} {page.visible_text[:300]!r}")
        self.assertIn("signed out", page.visible_text)
        self.assertNotIn("did not confirm", page.visible_text, page.visible_text)
        events = [e for e in json.loads(I.lib.ctl_ok(self.idp.data, "audit", "list", "--json")) if e["seq"] > head]
        self.assertEqual([(e["target"], e["outcome"]) for e in events if e["action"] == "logout.propagate"],
                         [(self.front.entity_id, "ok")])
        self.assertEqual([e for e in events if e["action"] == "logout.response.refused"], [])

    def test_second_sp_answers_as_pysaml2_does_and_the_initiator_gets_its_answer(self):
        """Issue 13.1 as seen: a pysaml2 SP logs out over HTTP-Redirect; Propusk sends the
        second pysaml2 SP its LogoutRequest, which answers with handle_logout_request(...,
        BINDING_HTTP_REDIRECT, sign=True); the first SP must receive its LogoutResponse."""
        b, ids = self.session(self.front, self.second)
        front_id, second_id = ids[self.front.entity_id], ids[self.second.entity_id]
        out = self.front.client.do_logout(front_id, [self.idp.entity_id], REASON_USER, None,
                                          expected_binding=BINDING_HTTP_REDIRECT, **SIGN)
        request_id = [k for k, v in self.front.client.state.items() if v.get("operation") == "SLO"][-1]
        page = b.request(dict(out[self.idp.entity_id][1]["headers"])["Location"])
        self.assertEqual(page.status, 303, f"{page!r} {page.visible_text[:300]!r}")
        loc = page.headers["Location"]
        self.assertTrue(loc.startswith("https://second.pysaml2.test/saml2/slo/redirect?"), loc)
        params = self.verify_query(self.second, loc)
        http_info = self.second.client.handle_logout_request(params["SAMLRequest"], second_id, BINDING_HTTP_REDIRECT,
                                                             relay_state=params["RelayState"], **SIGN)
        self.assertFalse(self.second.client.is_logged_in(second_id))
        page = b.request(dict(http_info["headers"])["Location"])
        self.assertEqual(page.status, 303, f"{page!r} {page.visible_text[:300]!r}\n{self.idp.describe()}")
        location = page.headers["Location"]
        self.assertTrue(location.startswith("https://front.pysaml2.test/saml2/slo/redirect?"), location)
        params = self.verify_query(self.front, location)
        resp = self.front.client.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
        self.assertTrue(resp.status_ok())
        self.assertEqual(resp.response.in_response_to, request_id)
        self.assertIsNone(resp.response.status.status_code.status_code, "no PartialLogout: the second SP confirmed")
        self.front.client.handle_logout_response(resp)
        self.assertFalse(self.front.client.is_logged_in(front_id))
        self.assertIdpSessionGone(b)

    def test_second_sp_signing_with_sha1_is_partial_not_stranded(self):
        """The second SP answers with a SHA-1 query signature (pysaml2's default algorithm):
        refused, so not confirmed, but the first SP still gets its LogoutResponse, with
        PartialLogout, and the audit names the step and the remedy."""
        b, ids = self.session(self.front, self.second)
        head = max(e["seq"] for e in json.loads(I.lib.ctl_ok(self.idp.data, "audit", "list", "--json")))
        out = self.front.client.do_logout(ids[self.front.entity_id], [self.idp.entity_id], REASON_USER, None,
                                          expected_binding=BINDING_HTTP_REDIRECT, **SIGN)
        page = b.request(dict(out[self.idp.entity_id][1]["headers"])["Location"])
        params = self.verify_query(self.second, page.headers["Location"])
        http_info = self.second.client.handle_logout_request(params["SAMLRequest"], ids[self.second.entity_id],
                                                             BINDING_HTTP_REDIRECT, relay_state=params["RelayState"],
                                                             sign=True, sign_alg=SIG_RSA_SHA1, digest_alg=DIGEST_SHA1)
        page = b.request(dict(http_info["headers"])["Location"])
        self.assertEqual(page.status, 303, f"{page!r} {page.visible_text[:300]!r}")
        params = self.verify_query(self.front, page.headers["Location"])
        resp = self.front.client.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
        self.assertEqual(resp.response.status.status_code.status_code.value, PARTIAL_LOGOUT)
        events = [e for e in json.loads(I.lib.ctl_ok(self.idp.data, "audit", "list", "--json")) if e["seq"] > head]
        refused = [json.loads(e["details"]) for e in events if e["action"] == "logout.response.refused"]
        self.assertEqual([r["step"] for r in refused], ["signature"])
        self.assertIn("--allow-sha1", refused[0]["remedy"])
        propagated = [e for e in events if e["action"] == "logout.propagate"]
        self.assertEqual([(e["target"], e["outcome"]) for e in propagated], [(self.second.entity_id, "failed")])

if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""Interop: Single Logout between Debian's Lasso (python3-lasso 2.8.1, lasso.Logout — the
library behind mod_auth_mellon) as SPs and the real Propusk server; and across libraries,
a pysaml2 SP and Lasso SPs in one IdP session. Lasso builds and checks every SP-side
message itself (signatures forced); the test only carries them: a cookie-keeping browser,
and a loopback HTTP server for the SOAP back channel.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo PYTHONPATH=repo/tests/integration \
     /usr/bin/python3 tests/interop/test_lasso_slo.py -v

SPs: "front" (SingleLogoutService HTTP-Redirect, the template's), "post" (HTTP-POST only),
"soap" (SOAP only, served by sp_clients.SoapEndpoint).

Lasso SLO quirks (2.8.1):
- Logout needs the SP's session: login.session.dump() after acceptSso(), given back with
  setSessionFromDump(); the NameID and SessionIndex of the LogoutRequest come from the
  assertion kept there.
- initRequest(idp, HTTP_METHOD_REDIRECT|POST|SOAP); buildRequestMsg() gives msgUrl (Redirect:
  the whole signed URL), msgUrl + msgBody (POST: base64; SOAP: the envelope, which Lasso does
  not send: the application POSTs it). processResponseMsg() takes the query string
  (Redirect), the base64 form value (POST) or the SOAP answer, and checks InResponseTo only
  with the Logout object that built the request.
- As the receiving SP: processRequestMsg(), setSessionFromDump(), validateRequest() (the
  NameID must be in the session), buildResponseMsg(); the response goes back over the
  binding the request came on. RelayState must be copied to msgRelayState by the caller
  before buildResponseMsg() for HTTP-POST.
- setSignatureVerifyHint(PROFILE_SIGNATURE_VERIFY_HINT_FORCE) makes Lasso refuse an unsigned
  or badly signed message; Propusk signs every logout message, so it is used throughout.
"""

import os
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop_idp as I  # noqa: E402
import sp_clients as S  # noqa: E402
from saml_browser import Browser  # noqa: E402

import lasso  # noqa: E402
from saml2 import BINDING_HTTP_REDIRECT  # noqa: E402

NS = {"samlp": S.SAMLP, "saml": S.SAML, "ds": S.DS}
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
PARTIAL_LOGOUT = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
B_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
B_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
B_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
FORCE = lasso.PROFILE_SIGNATURE_VERIFY_HINT_FORCE


def query_of(url):
    return urllib.parse.urlsplit(url).query


def status_codes(response):
    """(top, second or None) of a lasso.Samlp2StatusResponse."""
    code = response.status.statusCode
    return code.value, (code.statusCode.value if code.statusCode is not None else None)


class LassoSloTests(I.IdpTestCase):
    # These SPs log out over SOAP themselves: the operator lists /saml/soap ([logout]
    # advertise_soap = true); test_pysaml2_default_logout.py covers a default Propusk.
    advertise_soap = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.soap = S.SoapEndpoint(cls._soap_handler).start()
        cls.addClassCleanup(cls.soap.stop)
        cls.front = S.LassoSp(cls.idp, "lasso-front", "https://front.lasso.test/saml/metadata",
                              "https://front.lasso.test/saml")
        cls.post = S.LassoSp(cls.idp, "lasso-post", "https://post.lasso.test/saml/metadata",
                             "https://post.lasso.test/saml", slo=[(B_POST, "https://post.lasso.test/saml/slo/post")])
        cls.soap_sp = S.LassoSp(cls.idp, "lasso-soap", "https://soap.lasso.test/saml/metadata",
                                "https://soap.lasso.test/saml", slo=[(B_SOAP, cls.soap.base + "/lasso")])
        cls.pysaml2 = S.PysamlSp(cls.idp, "pysaml2-slo", slo=[("https://pysaml2.sp.test/saml2/slo",
                                                                 BINDING_HTTP_REDIRECT)])
        cls.sessions = {}  # entityID -> the Lasso session dump of the SP's "application"

    @classmethod
    def _soap_handler(cls, path, body):
        """The SOAP SP's SingleLogoutService, all Lasso: process, validate, answer."""
        logout = lasso.Logout(cls.soap_sp.server)
        logout.setSignatureVerifyHint(FORCE)
        logout.processRequestMsg(body.decode("utf-8"))
        logout.setSessionFromDump(cls.sessions[cls.soap_sp.entity_id])
        logout.validateRequest()
        logout.buildResponseMsg()
        cls.soap_answers.append(logout.msgBody)
        return 200, "text/xml; charset=utf-8", logout.msgBody.encode("utf-8")

    soap_answers = []

    def setUp(self):
        self.soap.calls.clear()
        self.soap.errors.clear()

    def browser(self):
        return Browser(ca_file=self.idp.tls_cert)

    def session(self, *sps):
        """One browser logged in at each SP in turn (a login form only at the first)."""
        b = self.browser()
        for i, sp in enumerate(sps):
            if isinstance(sp, S.LassoSp):
                req = sp.request("redirect")
                post, logged_in, _ = req.run(b)
                login = sp.consume(post.saml_response, req)
                self.sessions[sp.entity_id] = login.session.dump()
            else:
                req = sp.request(BINDING_HTTP_REDIRECT)
                post, logged_in, _ = req.run(b)
                self.sessions[sp.entity_id] = sp.consume(post.saml_response, req).name_id
            self.assertEqual(logged_in, i == 0)
        return b

    def assertIdpSessionGone(self, b):
        req = self.front.request("redirect")
        self.assertIsNotNone(b.navigate(req.url).login_form(), "the IdP session must be over")

    def lasso_answers_redirect(self, sp, location, b):
        """Lasso as the SP the browser was sent to over HTTP-Redirect; its answer goes back."""
        logout = lasso.Logout(sp.server)
        logout.setSignatureVerifyHint(FORCE)
        logout.processRequestMsg(query_of(location))
        self.assertEqual(logout.request.issuer.content, self.idp.entity_id)
        logout.setSessionFromDump(self.sessions[sp.entity_id])
        logout.validateRequest()
        logout.buildResponseMsg()
        self.assertTrue(logout.msgUrl.startswith(self.idp.base + "/saml/slo?"), logout.msgUrl)
        self.assertEqual(dict(urllib.parse.parse_qsl(query_of(logout.msgUrl))).get("RelayState"),
                         dict(urllib.parse.parse_qsl(query_of(location))).get("RelayState"))
        return b.request(logout.msgUrl)

    def lasso_answers_post(self, sp, page, b):
        form = page.form_with("SAMLRequest")
        self.assertIsNotNone(form, f"{page!r} {page.visible_text[:300]!r}")
        self.assertEqual(form.action, "https://post.lasso.test/saml/slo/post")
        logout = lasso.Logout(sp.server)
        logout.setSignatureVerifyHint(FORCE)
        logout.processRequestMsg(form.value("SAMLRequest"))
        logout.setSessionFromDump(self.sessions[sp.entity_id])
        logout.validateRequest()
        logout.msgRelayState = form.value("RelayState")
        logout.buildResponseMsg()
        self.assertEqual(logout.msgUrl, self.idp.base + "/saml/slo")
        return b.request(logout.msgUrl, "POST", [("SAMLResponse", logout.msgBody),
                                                 ("RelayState", form.value("RelayState"))])

    def start_logout(self, sp, method, relay_state="/lasso/after-logout"):
        logout = lasso.Logout(sp.server)
        logout.setSignatureVerifyHint(FORCE)
        logout.setSessionFromDump(self.sessions[sp.entity_id])
        logout.initRequest(self.idp.entity_id, method)
        if method != lasso.HTTP_METHOD_SOAP:
            logout.msgRelayState = relay_state
        logout.buildRequestMsg()
        return logout

    # ------------------------------------------------------------------ tests

    def test_sp_initiated_redirect_reaches_post_and_soap_sps(self):
        b = self.session(self.front, self.post, self.soap_sp)
        logout = self.start_logout(self.front, lasso.HTTP_METHOD_REDIRECT)
        request_id = logout.request.id
        self.assertTrue(logout.msgUrl.startswith(self.idp.base + "/saml/slo?"), logout.msgUrl)
        page = b.request(logout.msgUrl)
        # the SOAP SP (Lasso) was reached and answered during that request
        self.assertEqual(self.soap.errors, [])
        self.assertEqual(len(self.soap.calls), 1)
        # the POST SP (Lasso) through the browser
        page = self.lasso_answers_post(self.post, page, b)
        # the answer to front: Lasso checks signature, InResponseTo and status
        self.assertEqual(page.status, 303, f"{page!r} {page.visible_text[:300]!r}\n{self.idp.describe()}")
        location = page.headers["Location"]
        self.assertTrue(location.startswith("https://front.lasso.test/saml/slo?"), location)
        logout.processResponseMsg(query_of(location))
        self.assertEqual(logout.response.inResponseTo, request_id)
        self.assertEqual(status_codes(logout.response), (SUCCESS, None))
        self.assertEqual(logout.msgRelayState, "/lasso/after-logout")
        self.assertIdpSessionGone(b)

    def test_sp_initiated_post(self):
        b = self.session(self.post, self.front)
        logout = self.start_logout(self.post, lasso.HTTP_METHOD_POST)
        self.assertEqual(logout.msgUrl, self.idp.base + "/saml/slo")
        page = b.request(logout.msgUrl, "POST", [("SAMLRequest", logout.msgBody), ("RelayState", "/p")])
        self.assertEqual(page.status, 303, f"{page!r} {page.visible_text[:300]!r}")
        page = self.lasso_answers_redirect(self.front, page.headers["Location"], b)
        self.assertEqual(page.status, 200, f"{page!r} {page.visible_text[:300]!r}")
        form = page.form_with("SAMLResponse")
        self.assertEqual(form.action, "https://post.lasso.test/saml/slo/post")
        self.assertEqual(form.value("RelayState"), "/p")
        logout.processResponseMsg(form.value("SAMLResponse"))
        self.assertEqual(status_codes(logout.response), (SUCCESS, None))
        self.assertIdpSessionGone(b)

    def test_sp_initiated_soap(self):
        """Lasso's SOAP LogoutRequest to /saml/soap (the test carries the envelope), the
        IdP's SOAP answer back into Lasso; the SOAP SP is reached too."""
        b = self.session(self.front, self.soap_sp)
        logout = self.start_logout(self.front, lasso.HTTP_METHOD_SOAP)
        self.assertEqual(logout.msgUrl, self.idp.base + "/saml/soap")
        r = I.lib.https_request(self.idp.port, "/saml/soap", "POST", body=logout.msgBody.encode("utf-8"),
                                headers={"Content-Type": "text/xml; charset=utf-8",
                                         "SOAPAction": "http://www.oasis-open.org/committees/security"},
                                data_dir=self.idp.data)
        self.assertEqual(r.status, 200, r.text)
        logout.processResponseMsg(r.text)
        self.assertEqual(status_codes(logout.response), (SUCCESS, None))
        self.assertEqual(self.soap.errors, [])
        self.assertEqual(len(self.soap.calls), 1)
        self.assertIdpSessionGone(b)

    def test_idp_initiated_reaches_lasso_and_pysaml2(self):
        b = self.session(self.front, self.post, self.soap_sp, self.pysaml2)
        page = b.request(self.idp.base + "/logout")
        confirm = [f for f in page.forms if f.action == "/logout"][0]
        page = b.request(self.idp.base + "/logout", "POST", confirm.values())
        self.assertEqual(self.soap.errors, [])
        self.assertEqual(len(self.soap.calls), 1)
        seen = []
        for _ in range(3):
            if page.status == 303:
                loc = page.headers["Location"]
                if loc.startswith("https://front.lasso.test/"):
                    seen.append("front")
                    page = self.lasso_answers_redirect(self.front, loc, b)
                else:
                    self.assertTrue(loc.startswith("https://pysaml2.sp.test/saml2/slo?"), loc)
                    seen.append("pysaml2")
                    page = self.pysaml2_answers(loc, b)
            else:
                seen.append("post")
                page = self.lasso_answers_post(self.post, page, b)
        self.assertEqual(sorted(seen), ["front", "post", "pysaml2"])
        self.assertEqual(page.status, 200, f"{page!r} {page.visible_text[:300]!r}\n{self.idp.describe()}")
        self.assertIn("signed out", page.visible_text)
        self.assertNotIn("did not confirm", page.visible_text)
        self.assertIdpSessionGone(b)

    def pysaml2_answers(self, location, b):
        """pysaml2 as the receiving SP over HTTP-Redirect (query-signed answer, no XML signature)."""
        from saml2.sigver import verify_redirect_signature
        from saml2.xmldsig import SIG_RSA_SHA256
        client = self.pysaml2.client
        params = dict(urllib.parse.parse_qsl(query_of(location)))
        certs = client.metadata.certs(self.idp.entity_id, "idpsso", "signing")
        self.assertTrue(any(verify_redirect_signature(params, client.sec.sec_backend, c) for c in certs))
        req = client.parse_logout_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)
        self.assertEqual(req.message.name_id, self.sessions[self.pysaml2.entity_id])
        client.local_logout(req.message.name_id)
        response = client.create_logout_response(req.message, [BINDING_HTTP_REDIRECT], sign=False)
        rinfo = client.response_args(req.message, [BINDING_HTTP_REDIRECT])
        info = client.apply_binding(rinfo["binding"], response, rinfo["destination"], params.get("RelayState"),
                                    response=True, sign=True, sigalg=SIG_RSA_SHA256)
        return b.request(dict(info["headers"])["Location"])

    def test_pysaml2_initiated_reaches_lasso(self):
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
        b = self.session(self.pysaml2, self.front, self.soap_sp)
        name_id = self.sessions[self.pysaml2.entity_id]
        out = self.pysaml2.client.do_logout(name_id, [self.idp.entity_id], "", None, sign=True,
                                            expected_binding=BINDING_HTTP_REDIRECT, sign_alg=SIG_RSA_SHA256,
                                            digest_alg=DIGEST_SHA256)
        _, http_info = out[self.idp.entity_id]
        page = b.request(dict(http_info["headers"])["Location"])
        self.assertEqual(self.soap.errors, [])
        page = self.lasso_answers_redirect(self.front, page.headers["Location"], b)
        self.assertEqual(page.status, 303, f"{page!r} {page.visible_text[:300]!r}")
        loc = page.headers["Location"]
        self.assertTrue(loc.startswith("https://pysaml2.sp.test/saml2/slo?"), loc)
        resp = self.pysaml2.client.parse_logout_request_response(dict(urllib.parse.parse_qsl(query_of(loc)))
                                                                 ["SAMLResponse"], BINDING_HTTP_REDIRECT)
        self.assertTrue(resp.status_ok())
        self.assertIsNone(resp.response.status.status_code.status_code)
        self.assertIdpSessionGone(b)

    def test_lasso_refuses_a_logout_request_for_another_session(self):
        """The IdP names exactly the session Lasso knows: a request replayed into another
        Lasso session (another login) does not validate — shows validateRequest checks."""
        b1 = self.session(self.front)
        first = self.sessions[self.front.entity_id]
        b2 = self.session(self.front, self.post)
        logout = self.start_logout(self.post, lasso.HTTP_METHOD_REDIRECT)
        page = b2.request(logout.msgUrl)
        loc = page.headers["Location"]
        other = lasso.Logout(self.front.server)
        other.setSignatureVerifyHint(FORCE)
        other.processRequestMsg(query_of(loc))
        other.setSessionFromDump(first)  # the first browser's Lasso session: another SessionIndex
        with self.assertRaises(lasso.Error):
            other.validateRequest()
        # the right session: fine, and the flow completes
        page = self.lasso_answers_redirect(self.front, loc, b2)
        self.assertEqual(page.status, 200, repr(page))
        logout.processResponseMsg(page.form_with("SAMLResponse").value("SAMLResponse"))
        self.assertEqual(status_codes(logout.response), (SUCCESS, None))
        self.assertIsNotNone(b1)


if __name__ == "__main__":
    unittest.main()

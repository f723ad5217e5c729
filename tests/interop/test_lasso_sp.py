#!/usr/bin/python3
"""Interop: Debian's Lasso (python3-lasso 2.8.1: lasso.Server + lasso.Login, the library
behind mod_auth_mellon) as the SP logs in through the real Propusk server; and single
sign-on across two SPs (pysaml2, then Lasso) in one browser session.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo PYTHONPATH=repo/tests/integration \
     /usr/bin/python3 tests/interop/test_lasso_sp.py -v

Lasso quirks (the SP setup is in sp_clients.LassoSp):
- Lasso needs the SP's own metadata as a file (lasso.Server(metadata, key, password, cert));
  it does not generate it. tests/data/interop/lasso-sp-metadata.xml is the template, and
  the same file is registered at Propusk (`propuskctl sp add`). The IdP is added with
  server.addProvider(lasso.PROVIDER_ROLE_IDP, idp-metadata.xml): Propusk's signed metadata
  (with validUntil and cacheDuration) loads as served; Lasso does not check its signature.
- Lasso 2.8 signs requests with RSA-SHA1 by default, which Propusk refuses:
  set server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA256 before building requests.
- initAuthnRequest(idp, HTTP_METHOD_REDIRECT) signs the query string; HTTP_METHOD_POST puts
  an enveloped signature in the AuthnRequest (msgUrl + msgBody = base64 SAMLRequest).
  Lasso sends neither AssertionConsumerServiceURL/Index nor ProtocolBinding unless told,
  so the IdP must pick the default ACS from metadata (exercised by the Redirect case; the
  POST case sets request.protocolBinding = HTTP-POST).
- Lasso only checks InResponseTo when the Response is processed by the same Login object
  that built the request (or one restored from its dump); a fresh Login accepts any.
- setSignatureVerifyHint(PROFILE_SIGNATURE_VERIFY_HINT_FORCE) makes Lasso refuse a Response
  without a valid Response signature (DsSignatureNotFoundError); the default (MAYBE) would
  also accept a Response signed on the Assertion only. With WantAssertionsSigned="true" in
  the SP metadata Lasso also requires the Assertion signature. So with FORCE, an SP set to
  `propuskctl sp set ID --sign assertion` would be refused by Lasso; the default (both) works.
- Attribute values come back as lasso.Saml2AttributeValue whose `any` holds text nodes
  (`.content`); Lasso keeps Name, NameFormat and FriendlyName as sent.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop_idp as I  # noqa: E402
import sp_clients as S  # noqa: E402
from saml_browser import Browser  # noqa: E402
from test_pysaml2_sp import check_signed_xml  # noqa: E402

import lasso  # noqa: E402
from saml2 import BINDING_HTTP_REDIRECT  # noqa: E402


class LassoSpTests(I.IdpTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sp = S.LassoSp(cls.idp)
        cls.pysaml2_sp = S.PysamlSp(cls.idp)

    def browser(self):
        return Browser(ca_file=self.idp.tls_cert)

    def login(self, http_method="redirect", browser=None, nameid_format=I.NAMEID_PERSISTENT,
              expect_login_form=True, ask_post_acs=False):
        """One SSO round trip through Lasso; returns (request, SamlPost, lasso.Login)."""
        browser = browser or self.browser()
        req = self.sp.request(http_method, nameid_format=nameid_format, ask_post_acs=ask_post_acs)
        try:
            post, logged_in, pages = req.run(browser)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.idp.describe()}") from None
        self.assertEqual(logged_in, expect_login_form, [repr(p) for p in pages])
        self.assertEqual(post.action, self.sp.acs)
        self.assertEqual(post.relay_state, req.relay_state)
        login = self.sp.consume(post.saml_response, req)
        return req, post, login

    def assertLassoResponse(self, req, post, login, nameid_format=I.NAMEID_PERSISTENT):
        check_signed_xml(self, S.decode_response(post.saml_response))
        response = login.response
        self.assertEqual(response.inResponseTo, req.id)
        self.assertEqual(response.destination, self.sp.acs)
        self.assertEqual(response.issuer.content, self.idp.entity_id)
        self.assertEqual(login.remoteProviderId, self.idp.entity_id)
        self.assertEqual(len(response.assertion), 1)
        assertion = login.assertion
        self.assertIsNotNone(assertion)
        self.assertEqual(assertion.id, response.assertion[0].id)
        self.assertEqual(assertion.issuer.content, self.idp.entity_id)
        audiences = [r.audience for r in assertion.conditions.audienceRestriction]
        self.assertEqual(audiences, [self.sp.entity_id])
        confirmation = assertion.subject.subjectConfirmation
        self.assertEqual(confirmation.method, I.BEARER)
        self.assertEqual(confirmation.subjectConfirmationData.recipient, self.sp.acs)
        self.assertEqual(confirmation.subjectConfirmationData.inResponseTo, req.id)
        self.assertEqual([s.authnContext.authnContextClassRef for s in assertion.authnStatement], [I.PPT])
        nameid = login.nameIdentifier
        self.assertEqual(nameid.format, nameid_format)
        self.assertTrue(nameid.content)
        self.assertEqual(assertion.subject.nameID.content, nameid.content)
        return nameid.content

    def assertAttributes(self, login):
        got = S.lasso_attributes(login.assertion)
        self.assertEqual(sorted(got), sorted(name for name, _ in I.ATTRIBUTES.values()), "exactly the released")
        for friendly, (name, values) in I.ATTRIBUTES.items():
            with self.subTest(attribute=friendly):
                name_format, friendly_name, sent = got[name]
                self.assertEqual(name_format, I.NAME_FORMAT_URI)
                self.assertEqual(friendly_name, friendly)
                if values is None:
                    self.assertIn(I.IAP_HIGH, sent)
                    for v in sent:
                        self.assertTrue(v.startswith("https://refeds.org/assurance"), v)
                else:
                    self.assertEqual(sent, values)

    # ------------------------------------------------------------------ tests

    def test_redirect_binding_default_acs_persistent_nameid_every_attribute(self):
        req, post, login = self.login("redirect")
        nameid = self.assertLassoResponse(req, post, login)
        self.assertNotIn(I.USER, nameid.lower())
        self.assertAttributes(login)

    def test_post_binding_and_persistent_nameid_is_stable(self):
        _, _, first = self.login("redirect")
        first_id = first.nameIdentifier.content
        req, post, second = self.login("post", ask_post_acs=True)  # fresh browser: logs in again
        self.assertEqual(self.assertLassoResponse(req, post, second), first_id)
        self.assertAttributes(second)

    def test_transient_nameid_when_asked(self):
        browser = self.browser()
        _, _, persistent = self.login(browser=browser)
        req, post, transient = self.login(browser=browser, nameid_format=I.NAMEID_TRANSIENT,
                                          expect_login_form=False)
        value = self.assertLassoResponse(req, post, transient, I.NAMEID_TRANSIENT)
        self.assertNotEqual(value, persistent.nameIdentifier.content)

    def test_tampered_response_is_rejected(self):
        req = self.sp.request("redirect")
        post, _, _ = req.run(self.browser())
        original = S.decode_response(post.saml_response)
        tampered = S.tamper_attribute(original, I.ATTRIBUTES["snils"][0], "11223344595", "11223344596")
        with self.assertRaises(lasso.Error) as caught:
            self.sp.consume(S.encode(tampered), req)
        self.assertIsInstance(caught.exception, (lasso.DsSignatureVerificationFailedError,
                                                 lasso.DsInvalidSignatureError,
                                                 lasso.ProfileCannotVerifySignatureError,
                                                 lasso.LoginInvalidAssertionSignatureError,
                                                 lasso.LoginInvalidSignatureError))
        # A new request, the untouched kind of Response: accepted.
        _, _, login = self.login("redirect")
        self.assertEqual(S.lasso_attributes(login.assertion)[I.ATTRIBUTES["snils"][0]][2], ["11223344595"])

    def test_sso_session_across_sps_pairwise_nameids(self):
        browser = self.browser()
        # 1. pysaml2 SP: the person logs in.
        preq = self.pysaml2_sp.request(BINDING_HTTP_REDIRECT)
        ppost, logged_in, _ = preq.run(browser)
        self.assertTrue(logged_in, "first SP: a login form was expected")
        presp = self.pysaml2_sp.consume(ppost.saml_response, preq)
        self.assertEqual(presp.name_id.format, I.NAMEID_PERSISTENT)
        # 2. Lasso SP, same browser: no login form, a Response straight away.
        req, post, login = self.login("redirect", browser=browser, expect_login_form=False)
        lasso_id = self.assertLassoResponse(req, post, login)
        self.assertAttributes(login)
        self.assertNotEqual(lasso_id, presp.name_id.text, "persistent NameIDs must be pairwise per SP")
        # 3. And the pysaml2 SP again, still without logging in: its own NameID, unchanged.
        preq2 = self.pysaml2_sp.request(BINDING_HTTP_REDIRECT)
        ppost2, logged_in2, _ = preq2.run(browser, username=None)
        self.assertFalse(logged_in2)
        self.assertEqual(self.pysaml2_sp.consume(ppost2.saml_response, preq2).name_id.text, presp.name_id.text)
        # A Lasso login in a fresh browser (new login) gives the Lasso SP the same NameID.
        _, _, again = self.login("redirect")
        self.assertEqual(again.nameIdentifier.content, lasso_id)


if __name__ == "__main__":
    unittest.main()

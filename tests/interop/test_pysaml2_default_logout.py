#!/usr/bin/python3
"""Interop (issue 18): an unmodified pysaml2 SP — Debian's python3-pysaml2 7.0.1, the library
under djangosaml2 and SATOSA, configured as its documentation says (SHA-256 inside
`service.sp`, no ElementTree prefix registration) — logs in through a *default* Propusk and
logs out with `Saml2Client.global_logout(name_id)`.

pysaml2 logs out over SOAP whenever the IdP's metadata lists a SOAP SingleLogoutService
(config preferred_binding: SOAP, Redirect, POST), then re-serialises the SOAP body with
ElementTree, which renames namespace prefixes it has no registration for (ns0, ns1...); the
signature over the IdP's LogoutResponse (exclusive c14n keeps prefixes) no longer verifies
(pysaml2 issue #551) and the person stays logged in. Propusk therefore lists /saml/soap in its
metadata only with `[logout] advertise_soap = true`; by default pysaml2 picks HTTP-Redirect and
the logout goes through the browser. This file runs in a process of its own so that no other
test's ElementTree.register_namespace can help it along.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo PYTHONPATH=repo/tests/integration \
     /usr/bin/python3 tests/interop/test_pysaml2_default_logout.py -v
"""

import os
import sys
import unittest
import urllib.parse
import xml.etree.ElementTree as ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop_idp as I  # noqa: E402
import sp_clients as S  # noqa: E402
from saml_browser import Browser  # noqa: E402

from saml2 import BINDING_HTTP_REDIRECT, BINDING_SOAP  # noqa: E402
from saml2.s_utils import UnsupportedBinding  # noqa: E402
from saml2.samlp import STATUS_SUCCESS  # noqa: E402
from saml2.sigver import verify_redirect_signature  # noqa: E402
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256  # noqa: E402

REASON_USER = "urn:oasis:names:tc:SAML:2.0:logout:user"
SIGN = {"sign": True, "sign_alg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256}


class DefaultPropuskLogout(I.IdpTestCase):
    advertise_soap = False  # the product's default, spelled out

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        base = "https://django.pysaml2.test/saml2"
        cls.sp = S.PysamlSp(cls.idp, "pysaml2-django", base + "/metadata", base,
                            slo=[(base + "/ls/", BINDING_HTTP_REDIRECT)])

    def test_nothing_registers_saml_prefixes_in_this_process(self):
        registered = set(ElementTree._namespace_map)  # what ElementTree writes back as is
        for uri in (S.SAMLP, S.SAML, S.DS):
            self.assertNotIn(uri, registered, "the SP must be unmodified: no prefix registration")

    def test_metadata_lists_no_soap_single_logout_service(self):
        with self.assertRaises(UnsupportedBinding):  # pysaml2's word for "not in the metadata"
            self.sp.client.metadata.single_logout_service(self.idp.entity_id, BINDING_SOAP, "idpsso")
        redirect = self.sp.client.metadata.single_logout_service(self.idp.entity_id, BINDING_HTTP_REDIRECT, "idpsso")
        self.assertEqual([s["location"] for s in redirect], [self.idp.base + "/saml/slo"])

    def test_login_then_global_logout(self):
        browser = Browser(ca_file=self.idp.tls_cert)
        req = self.sp.request(BINDING_HTTP_REDIRECT)
        post, logged_in, _ = req.run(browser)
        self.assertTrue(logged_in)
        resp = self.sp.consume(post.saml_response, req)
        name_id = resp.name_id
        self.assertTrue(self.sp.client.is_logged_in(name_id))

        # What a djangosaml2 logout view does: global_logout, then hand the browser the answer.
        out = self.sp.client.global_logout(name_id, REASON_USER, **SIGN)
        binding, http_info = out[self.idp.entity_id]
        self.assertEqual(binding, BINDING_HTTP_REDIRECT, "pysaml2 falls back to the browser, not SOAP")
        location = dict(http_info["headers"])["Location"]
        self.assertTrue(location.startswith(self.idp.base + "/saml/slo?"), location)
        page = browser.request(location)
        self.assertEqual(page.status, 303, f"{page!r} {page.visible_text[:300]!r}\n{self.idp.describe()}")
        back = page.headers["Location"]
        self.assertTrue(back.startswith("https://django.pysaml2.test/saml2/ls/?"), back)

        # The SP's /ls/ view: pysaml2 checks the IdP's query signature and the LogoutResponse.
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query, keep_blank_values=True))
        certs = self.sp.client.metadata.certs(self.idp.entity_id, "idpsso", "signing")
        self.assertTrue(any(verify_redirect_signature(params, self.sp.client.sec.sec_backend, c) for c in certs))
        answer = self.sp.client.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
        self.assertTrue(answer.status_ok())
        self.assertEqual(answer.response.status.status_code.value, STATUS_SUCCESS)
        self.sp.client.handle_logout_response(answer)
        self.assertFalse(self.sp.client.is_logged_in(name_id), "pysaml2 ended its own session")

        # The IdP session is over too: the next request asks for the password again.
        page = browser.navigate(self.sp.request(BINDING_HTTP_REDIRECT).url)
        self.assertIsNotNone(page.login_form(), repr(page))


if __name__ == "__main__":
    unittest.main()

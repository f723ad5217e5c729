#!/usr/bin/python3
"""Interop: Debian's pysaml2 (python3-pysaml2 7.0.1, saml2.client.Saml2Client) as the SP logs
in through the real Propusk server and accepts its Responses.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo PYTHONPATH=repo/tests/integration \
     /usr/bin/python3 tests/interop/test_pysaml2_sp.py -v

pysaml2 quirks (what an operator has to know; the SP setup is in sp_clients.PysamlSp):
- Only Debian's /usr/bin/python3 has the module (python3-pysaml2); it shells out to
  /usr/bin/xmlsec1 (package xmlsec1), set as `xmlsec_binary`.
- pysaml2 signs with rsa-sha1 / sha1 digests by default, which Propusk refuses (SHA-1 is
  off unless allowed per SP). `signing_algorithm: SIG_RSA_SHA256` and `digest_algorithm:
  DIGEST_SHA256` must be given in the `service: {sp: {...}}` section: Saml2Client reads
  them from the "sp" context only, and the same keys at the top level are silently ignored.
- With the HTTP-Redirect binding pysaml2 signs the query string (SigAlg/Signature); with
  HTTP-POST it embeds an enveloped signature. Both need `sign=True` (or
  authn_requests_signed) and the SP certificate in its metadata, which
  saml2.metadata.create_metadata_string produces (AuthnRequestsSigned="true",
  KeyDescriptor use="signing"); Propusk accepts that metadata as generated (it also lists
  md5/sha1 algorithms in alg:DigestMethod/SigningMethod extensions, which are harmless).
- Without a `name_id_policy_format` pysaml2 sends no NameIDPolicy, so the IdP's default
  (persistent) applies; another format is asked for with prepare_for_authenticate(
  nameid_format=...). AllowCreate is sent as "false" unless name_id_format_allow_create.
- Attributes: pysaml2's built-in saml_uri map names displayName, sn, givenName, mail,
  telephoneNumber and eduPersonAssurance by their OIDs. Propusk's own middleName
  (urn:propusk:attribute:middle-name), accountStatus (urn:propusk:attribute:account-status),
  inn (urn:oid:1.2.643.3.131.1.1) and snils (urn:oid:1.2.643.100.3) are unknown to it:
  they are dropped unless `allow_unknown_attributes: True`, and then appear in `ava` keyed
  by their full Name URI (pysaml2 ignores FriendlyName). An `attribute_map_dir` replaces
  ALL built-in maps (one converter per NameFormat), so a custom map must include saml_uri.
- `parse_authn_request_response(..., outstanding={request_id: relay})` checks
  InResponseTo; Destination must equal one of the SP's configured ACS URLs.
- want_response_signed and want_assertions_signed are both honoured: a Response whose
  Response or Assertion signature is missing or broken raises SignatureError.
"""

import base64
import json
import logging
import time
import os
import sys
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop_idp as I  # noqa: E402
import sp_clients as S  # noqa: E402
from saml_browser import Browser  # noqa: E402

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT  # noqa: E402
from saml2.sigver import SignatureError  # noqa: E402
from saml2.xmldsig import SIG_RSA_SHA1  # noqa: E402

NS = {"samlp": S.SAMLP, "saml": S.SAML, "ds": S.DS}

# How pysaml2 keys each DESIGN.md attribute in `ava` (see the quirks above).
PYSAML2_KEY = {
    "displayName": "displayName", "sn": "sn", "givenName": "givenName", "mail": "mail",
    "telephoneNumber": "telephoneNumber", "eduPersonAssurance": "eduPersonAssurance",
    "middleName": I.ATTRIBUTES["middleName"][0], "inn": I.ATTRIBUTES["inn"][0],
    "snils": I.ATTRIBUTES["snils"][0], "accountStatus": I.ATTRIBUTES["accountStatus"][0],
}


def check_signed_xml(test, xml_text):
    """The Response and its Assertion each carry an enveloped RSA-SHA256 / exc-c14n
    signature referencing their own ID (looked at directly, not through the SP library)."""
    root = ET.fromstring(xml_text.encode("utf-8"))
    test.assertEqual(root.tag, f"{{{S.SAMLP}}}Response")
    assertions = root.findall("saml:Assertion", NS)
    test.assertEqual(len(assertions), 1, "exactly one (unencrypted) Assertion")
    for element in (root, assertions[0]):
        sig = element.find("ds:Signature", NS)
        test.assertIsNotNone(sig, f"{element.tag} is not signed")
        test.assertEqual(sig.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm"), S.RSA_SHA256)
        test.assertEqual(sig.find("ds:SignedInfo/ds:CanonicalizationMethod", NS).get("Algorithm"), S.EXC_C14N)
        refs = sig.findall("ds:SignedInfo/ds:Reference", NS)
        test.assertEqual(len(refs), 1)
        test.assertEqual(refs[0].get("URI"), "#" + element.get("ID"))
    return root


class Pysaml2SpTests(I.IdpTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sp = S.PysamlSp(cls.idp)

    def browser(self):
        return Browser(ca_file=self.idp.tls_cert)

    def login(self, binding=BINDING_HTTP_REDIRECT, browser=None, nameid_format=None, expect_login_form=True):
        """One SSO round trip; returns (request, SamlPost, pysaml2 AuthnResponse)."""
        browser = browser or self.browser()
        req = self.sp.request(binding, nameid_format=nameid_format)
        try:
            post, logged_in, pages = req.run(browser)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.idp.describe()}") from None
        self.assertEqual(logged_in, expect_login_form, [repr(p) for p in pages])
        self.assertEqual(post.action, self.sp.acs, "auto-POST form must go to the SP's ACS from metadata")
        self.assertEqual(post.method, "post")
        self.assertEqual(post.relay_state, req.relay_state, "RelayState must come back unchanged")
        resp = self.sp.consume(post.saml_response, req)
        self.assertIsNotNone(resp, "pysaml2 did not accept the Response")
        return req, post, resp

    def assertResponseShape(self, req, post, resp):
        xml_text = S.decode_response(post.saml_response)
        root = check_signed_xml(self, xml_text)
        self.assertEqual(root.get("Destination"), self.sp.acs)
        self.assertEqual(root.get("InResponseTo"), req.id)
        self.assertEqual(root.find("saml:Issuer", NS).text, self.idp.entity_id)
        # Through pysaml2's own objects:
        self.assertIsNotNone(resp.response.signature, "pysaml2 saw no Response signature")
        self.assertIsNotNone(resp.assertion.signature, "pysaml2 saw no Assertion signature")
        self.assertEqual(resp.in_response_to, req.id)
        self.assertEqual(resp.issuer(), self.idp.entity_id)
        self.assertEqual(resp.assertion.issuer.text, self.idp.entity_id)
        audiences = [a.text for c in resp.assertion.conditions.audience_restriction for a in c.audience]
        self.assertEqual(audiences, [self.sp.entity_id])
        confirmations = resp.assertion.subject.subject_confirmation
        self.assertEqual([c.method for c in confirmations], [I.BEARER])
        data = confirmations[0].subject_confirmation_data
        self.assertEqual(data.recipient, self.sp.acs)
        self.assertEqual(data.in_response_to, req.id)
        self.assertIsNotNone(data.not_on_or_after)
        self.assertEqual([a[0] for a in resp.authn_info()], [I.PPT])

    def assertAttributes(self, resp):
        ava = resp.ava
        for friendly, (name, values) in I.ATTRIBUTES.items():
            key = PYSAML2_KEY[friendly]
            with self.subTest(attribute=friendly):
                self.assertIn(key, ava, f"{friendly} ({name}) missing; got {sorted(ava)}")
                if values is None:
                    self.assertIn(I.IAP_HIGH, ava[key])
                    for v in ava[key]:
                        self.assertTrue(v.startswith("https://refeds.org/assurance"), v)
                else:
                    self.assertEqual(ava[key], values)
        self.assertEqual(sorted(ava), sorted(PYSAML2_KEY.values()), "exactly the released attributes")
        # Names, NameFormat and FriendlyName as sent (pysaml2's parsed Assertion).
        sent = {}
        for statement in resp.assertion.attribute_statement:
            for attr in statement.attribute:
                self.assertNotIn(attr.name, sent, f"{attr.name} sent twice")
                sent[attr.name] = (attr.name_format, attr.friendly_name)
        expected = {name: (I.NAME_FORMAT_URI, friendly) for friendly, (name, _) in I.ATTRIBUTES.items()}
        self.assertEqual(sent, expected)

    # ------------------------------------------------------------------ tests

    def test_redirect_binding_signed_response_persistent_nameid_every_attribute(self):
        req, post, resp = self.login(BINDING_HTTP_REDIRECT)
        self.assertResponseShape(req, post, resp)
        self.assertEqual(resp.name_id.format, I.NAMEID_PERSISTENT)
        self.assertTrue(resp.name_id.text and resp.name_id.text.strip())
        self.assertNotIn(I.USER, resp.name_id.text.lower(), "persistent NameID must be opaque")
        self.assertNotIn("500100732259", resp.name_id.text)
        self.assertAttributes(resp)
        # Issue 13.6: the IdP's audit names the IDs the SP logged, so a login is traceable.
        issued = [e for e in json.loads(I.lib.ctl_ok(self.idp.data, "audit", "list", "--json"))
                  if e["action"] == "assertion.issue" and e["target"] == self.sp.entity_id]
        details = json.loads(issued[-1]["details"])
        self.assertEqual(details["response_id"], resp.response.id)
        self.assertEqual(details["assertion_id"], resp.assertion.id)
        self.assertEqual(details["in_response_to"], req.id)

    def test_post_binding_and_persistent_nameid_is_stable(self):
        _, _, first = self.login(BINDING_HTTP_REDIRECT)
        req, post, second = self.login(BINDING_HTTP_POST)  # a fresh browser: logs in again
        self.assertResponseShape(req, post, second)
        self.assertAttributes(second)
        self.assertEqual(second.name_id.format, I.NAMEID_PERSISTENT)
        self.assertEqual(second.name_id.text, first.name_id.text, "same user and SP: same persistent NameID")

    def test_sso_session_reused_for_the_same_sp(self):
        browser = self.browser()
        _, _, first = self.login(browser=browser)
        req, post, second = self.login(BINDING_HTTP_POST, browser=browser, expect_login_form=False)
        self.assertResponseShape(req, post, second)
        self.assertEqual(second.name_id.text, first.name_id.text)

    def test_transient_nameid_when_asked(self):
        browser = self.browser()
        _, _, persistent = self.login(browser=browser)
        _, _, t1 = self.login(browser=browser, nameid_format=I.NAMEID_TRANSIENT, expect_login_form=False)
        _, _, t2 = self.login(browser=browser, nameid_format=I.NAMEID_TRANSIENT, expect_login_form=False)
        for t in (t1, t2):
            self.assertEqual(t.name_id.format, I.NAMEID_TRANSIENT)
            self.assertTrue(t.name_id.text)
            self.assertNotEqual(t.name_id.text, persistent.name_id.text)
        self.assertNotEqual(t1.name_id.text, t2.name_id.text, "a transient NameID is new every time")

    def test_email_nameid_when_asked(self):
        _, _, resp = self.login(nameid_format=I.NAMEID_EMAIL)
        self.assertEqual(resp.name_id.format, I.NAMEID_EMAIL)
        self.assertEqual(resp.name_id.text, "ivanov@example.ru")

    def test_tampered_response_is_rejected(self):
        req = self.sp.request(BINDING_HTTP_REDIRECT)
        post, _, _ = req.run(self.browser())
        original = S.decode_response(post.saml_response)
        tampered = S.tamper_attribute(original, I.ATTRIBUTES["inn"][0], "500100732259", "500100732260")
        quiet = logging.getLogger("saml2")  # pysaml2 logs xmlsec1's complaint at ERROR level
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            with self.assertRaises(SignatureError):
                self.sp.consume(S.encode(tampered), req)
        finally:
            quiet.setLevel(level)
        # The untouched Response is accepted: the tamper, nothing else, made the difference.
        resp = self.sp.consume(post.saml_response, req)
        self.assertEqual(resp.ava[I.ATTRIBUTES["inn"][0]], ["500100732259"])

    def test_bad_requests_from_pysaml2_are_refused(self):
        """Requests the SP library can be made to send wrongly: refused at /saml/sso with an
        error page (no login form, no SAMLResponse). The SP's metadata says
        AuthnRequestsSigned="true"; SHA-1 is off; request IDs are replay-checked."""
        def refused(label, url):
            page = Browser(ca_file=self.idp.tls_cert).navigate(url)
            with self.subTest(label):
                self.assertGreaterEqual(page.status, 400, f"{label}: {page!r}")
                self.assertLess(page.status, 500, f"{label}: {page!r}")
                self.assertIsNone(page.login_form(), label)
                self.assertIsNone(page.saml_post(), label)

        quiet = logging.getLogger("saml2")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            _, info = self.sp.client.prepare_for_authenticate(
                entityid=self.idp.entity_id, relay_state="/x", binding=BINDING_HTTP_REDIRECT, sign=False)
            refused("unsigned", dict(info["headers"])["Location"])
            _, info = self.sp.client.prepare_for_authenticate(
                entityid=self.idp.entity_id, relay_state="/x", binding=BINDING_HTTP_REDIRECT, sign=True,
                sigalg=SIG_RSA_SHA1)
            refused("rsa-sha1", dict(info["headers"])["Location"])
        finally:
            quiet.setLevel(level)
        req = self.sp.request(BINDING_HTTP_REDIRECT)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(req.url).query)
        sig = base64.b64decode(query["Signature"][0])
        query["Signature"] = [base64.b64encode(bytes([sig[0] ^ 1]) + sig[1:]).decode()]
        refused("bad signature", self.idp.sso_url + "?" + urllib.parse.urlencode(
            [(k, query[k][0]) for k in ("SAMLRequest", "RelayState", "SigAlg", "Signature")]))
        page = Browser(ca_file=self.idp.tls_cert).navigate(req.url)
        self.assertIsNotNone(page.login_form(), "the untouched request must be accepted")
        refused("replayed", req.url)

    def test_sha1_from_a_common_pysaml2_config_is_diagnosable(self):
        """Issue 13.3: signing_algorithm at the top level of the config (ignored by pysaml2)
        makes it sign with RSA-SHA1. Still refused by default, but the log, the audit and
        `propuskctl sp show` name the step and the remedy; allowing SHA-1 for that SP then
        lets it in. Every other refusal the SP causes (here a replay) shows up the same way."""
        sp = S.PysamlSp(self.idp, "pysaml2-toplevel", "https://toplevel.pysaml2.test/saml2/metadata",
                        "https://toplevel.pysaml2.test/saml2", algorithms_at_top_level=True)
        for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
            with self.subTest(binding=binding):
                req = sp.request(binding)
                if binding == BINDING_HTTP_REDIRECT:
                    self.assertIn(urllib.parse.quote(SIG_RSA_SHA1, safe=""), req.url, "pysaml2 signs with SHA-1")
                    page = self.browser().navigate(req.url)
                else:
                    page = self.browser().request(req.url, "POST", req.fields)
                self.assertEqual(page.status, 400, repr(page))
                self.assertIsNone(page.login_form())
                shown = json.loads(I.lib.ctl_ok(self.idp.data, "sp", "show", sp.entity_id, "--json"))
                last = shown["last_refusals"][0]
                self.assertEqual((last["action"], last["step"], last["id"]), ("authn-request.refused", "signature", req.id))
                self.assertIn("SHA-1", last["detail"])
                self.assertIn(f"propuskctl sp set {sp.entity_id} --allow-sha1", last["remedy"])
                self.assertIs(last["authenticated"], True, "the SP's own key signed it")
        text = I.lib.ctl_ok(self.idp.data, "sp", "show", sp.entity_id)
        self.assertIn("last refusals:", text)
        self.assertIn("remedy: the SP signs with SHA-1", text)

        # Anybody can name this SP as Issuer and write rsa-sha1 into SigAlg: without a valid
        # signature that is not the SP's doing, and `sp show` says so (review finding).
        req = sp.request(BINDING_HTTP_REDIRECT)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(req.url).query)
        query["Signature"] = [base64.b64encode(b"x" * 256).decode()]
        forged = self.idp.sso_url + "?" + urllib.parse.urlencode(
            [(k, query[k][0]) for k in ("SAMLRequest", "RelayState", "SigAlg", "Signature")])
        self.assertEqual(self.browser().navigate(forged).status, 400)
        last = json.loads(I.lib.ctl_ok(self.idp.data, "sp", "show", sp.entity_id, "--json"))["last_refusals"][0]
        self.assertEqual((last["step"], last["authenticated"], last["remote"]), ("signature", False, "127.0.0.1"))
        self.assertNotIn("allow-sha1", last["remedy"])
        self.assertIn("did not prove to be this SP", I.lib.ctl_ok(self.idp.data, "sp", "show", sp.entity_id))
        log = self.idp.server.stderr()
        self.assertIn(f"authn-request.refused: from {sp.entity_id}, step signature", log)
        self.assertIn("--allow-sha1", log)

        I.lib.ctl_ok(self.idp.data, "sp", "set", sp.entity_id, "--allow-sha1")
        deadline = time.monotonic() + 15  # the server re-reads a changed SP within seconds
        while True:
            req = sp.request(BINDING_HTTP_REDIRECT)
            page = self.browser().navigate(req.url)
            if page.login_form() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertIsNotNone(page.login_form(), f"allowed SHA-1 must let the request in: {page!r}")
        self.browser().navigate(req.url)  # the same request again: a replay
        last = json.loads(I.lib.ctl_ok(self.idp.data, "sp", "show", sp.entity_id, "--json"))["last_refusals"][0]
        self.assertEqual((last["step"], last["id"]), ("replay", req.id))
        self.assertIn("fresh ID", last["remedy"])

    def test_wrong_password_shows_the_form_again(self):
        browser = self.browser()
        req = self.sp.request(BINDING_HTTP_REDIRECT)
        page = browser.navigate(req.url)
        self.assertIsNotNone(page.login_form(), f"no login form: {page!r} {page.visible_text[:300]!r}")
        self.assertTrue(page.url.startswith(self.idp.base + "/login"), page.url)
        again = browser.login(page, I.USER, "Wrong-Passw0rd!")
        self.assertIn(again.status, (200, 401))
        self.assertIsNone(again.saml_post(), "wrong password produced a SAMLResponse")
        self.assertNotIn("SAMLResponse", again.text)
        self.assertIsNotNone(again.login_form(), "the login form must be shown again")
        self.assertRegex(again.visible_text.lower(), r"неверн|invalid|incorrect|wrong",
                         "no error text on the re-shown login form")
        # The re-shown form still belongs to the flow: the right password completes it.
        done = browser.login(again, I.USER, I.PASSWORD)
        post = done.saml_post()
        self.assertIsNotNone(post, f"{done!r}: {done.visible_text[:300]!r}")
        resp = self.sp.consume(post.saml_response, req)
        self.assertEqual(resp.name_id.format, I.NAMEID_PERSISTENT)


if __name__ == "__main__":
    unittest.main()

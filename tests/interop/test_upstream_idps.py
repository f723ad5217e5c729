#!/usr/bin/python3
"""The upstream IdPs of upstream_idps.py (pysaml2, Lasso, SimpleSAMLphp under its own Apache),
checked before the gateway exists, by two real SPs:

- samlflow (Propusk's tester SP, tools): SP-initiated login through each IdP's own login form,
  verifying the Response as a strict SP (signature with the IdP's metadata key, audience,
  recipient, InResponseTo, time window …), the attributes, the persistent NameID; refusals
  of unsigned requests and requests signed with a key the IdP does not know; IsPassive;
  Single Logout with samlflow's signed LogoutRequest (Redirect and POST), the IdP's
  LogoutResponse checked here;
- pysaml2's SP (saml2.client.Saml2Client, with signing and encryption keys): encrypted
  assertions (decrypted by pysaml2 and by the xmlsec1 CLI), IdP-initiated logout answered
  with pysaml2's LogoutResponse, Scoping.

Every check reads what the SP received and what the IdP recorded (upstream_idps.SamlMessage).

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo PYTHONPATH=repo/tests/integration \
     /usr/bin/python3 tests/interop/test_upstream_idps.py -v
"""

import base64
import itertools
import json
import os
import shutil
import sys
import tempfile
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import upstream_idps as U  # noqa: E402
from saml_browser import Browser, parse_forms  # noqa: E402

lib = U.lib
SAMLFLOW = os.path.join(lib.BIN_DIR, "samlflow")
SF_ENTITY = "https://sp.samlflow.test/metadata"
SF_ACS = "https://sp.samlflow.test/acs"
SF_SLO = "https://sp.samlflow.test/slo"
PY_ENTITY = "https://sp.pysaml2.test/metadata"
PY_BASE = "https://sp.pysaml2.test"
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
TRIPLEDES_CBC = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc"
RSA_OAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
_serial = itertools.count(1)


class Pysaml2Sp:
    """pysaml2's SP with a signing key and an encryption key (both in its metadata)."""

    def __init__(self, directory):
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.config import SPConfig
        from saml2.metadata import create_metadata_string
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

        self.dir = directory
        key, cert = lib.openssl_key_cert(directory, "pysp", cn="pysaml2 test SP")
        self.enc_key, enc_cert = lib.openssl_key_cert(directory, "pysp-enc", cn="pysaml2 test SP encryption")
        self.acs = PY_BASE + "/acs"
        self.slo = PY_BASE + "/slo"
        self.settings = {
            "entityid": PY_ENTITY,
            "xmlsec_binary": U.XMLSEC1,
            "key_file": key,
            "cert_file": cert,
            "encryption_keypairs": [{"key_file": self.enc_key, "cert_file": enc_cert}],
            "accepted_time_diff": 60,
            "allow_unknown_attributes": True,
            "service": {"sp": {
                "endpoints": {"assertion_consumer_service": [(self.acs, BINDING_HTTP_POST)],
                              "single_logout_service": [(self.slo, BINDING_HTTP_REDIRECT)]},
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "logout_requests_signed": True,
                "logout_responses_signed": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "name_id_format": [U.NAMEID_PERSISTENT],
            }},
        }
        config = SPConfig()
        config.load(self.settings)
        md = create_metadata_string(None, config=config)
        self.metadata = md if isinstance(md, bytes) else md.encode("utf-8")
        self.client = None

    def trust(self, upstream):
        from saml2.client import Saml2Client
        from saml2.config import SPConfig
        path = os.path.join(self.dir, f"idp-{next(_serial)}.xml")
        with open(path, "wb") as f:
            f.write(upstream.metadata_xml)
        config = SPConfig()
        config.load(dict(self.settings, metadata={"local": [path]}))
        self.client = Saml2Client(config=config)
        self.idp = upstream

    def login(self, browser, scoping=None, relay_state="py-rs"):
        """SP-initiated login in `browser` (Redirect binding); returns (pysaml2 AuthnResponse,
        the SamlPost the IdP made)."""
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        kwargs = {"scoping": scoping} if scoping is not None else {}
        req_id, info = self.client.prepare_for_authenticate(
            entityid=self.idp.entity_id, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT, sign=True, **kwargs)
        page = browser.navigate(dict(info["headers"])["Location"])
        if page.login_form() is not None:
            page = self.idp.login(browser, page)
        post = page.saml_post()
        if post is None:
            raise AssertionError(f"no SAMLResponse from {self.idp.kind}: {page.status} {page.visible_text[:400]}")
        if post.action != self.acs:
            raise AssertionError(f"the IdP posts to {post.action}, not the ACS {self.acs}")
        resp = self.client.parse_authn_request_response(post.saml_response, BINDING_HTTP_POST,
                                                        outstanding={req_id: relay_state})
        self.client.users.add_information_about_person(resp.session_info())
        return resp, post


def samlflow(*args, input=None):
    return lib.run([SAMLFLOW, *map(str, args)], input=input, timeout=120)


def logout_answer(page, upstream):
    """The SAML message the IdP's last page sends on (a Redirect Location or an auto-POST form)
    with its signature checked against the IdP's metadata certificate."""
    if page.status in (301, 302, 303, 307):
        msg = U.message_from_url("sent-to-test", U.redirect_target(page))
        msg.signature_valid = U.verify_redirect_query(msg.raw_query, upstream.signing_certs)
    else:
        msg = U.message_from_form("sent-to-test", page.text)
        if msg is None:
            raise AssertionError(f"no SAML message on the IdP's page: {page.status} {page.visible_text[:400]}")
        msg.signature_valid = U.verify_xml_signature(msg.xml, upstream.signing_certs, upstream.dir)
    return msg


class UpstreamChecks:
    """The checks every upstream kind must pass; a subclass per kind sets `make_upstream`."""

    maxDiff = None
    encrypted_with = (AES128_CBC, RSA_OAEP)  # what set_encryption(True) gives by default

    @classmethod
    def make_upstream(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        if not os.access(SAMLFLOW, os.X_OK):
            raise AssertionError(f"{SAMLFLOW} not found: build the samlflow target (or set PROPUSK_BIN)")
        cls.tmp = tempfile.mkdtemp(prefix="propusk-upstream-test-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.sf = os.path.join(cls.tmp, "samlflow-sp")
        for args in (["sp-keys", "--out", cls.sf],
                     ["sp-metadata", "--sp", cls.sf, "--entity-id", SF_ENTITY, "--acs", SF_ACS, "--slo", SF_SLO]):
            rc, out, err = samlflow(*args)
            assert rc == 0, err
        with open(os.path.join(cls.sf, "sp-metadata.xml"), "rb") as f:
            sf_metadata = f.read()
        # A forger: samlflow's SP under the same entityID with a key of its own (samlflow will
        # not sign with a key its metadata does not list; the IdP holds the real metadata).
        cls.forger = os.path.join(cls.tmp, "forger-sp")
        for args in (["sp-keys", "--out", cls.forger, "--cn", "forger"],
                     ["sp-metadata", "--sp", cls.forger, "--entity-id", SF_ENTITY, "--acs", SF_ACS, "--slo", SF_SLO]):
            rc, out, err = samlflow(*args)
            assert rc == 0, err
        cls.pysp = Pysaml2Sp(cls.tmp)
        cls.up = cls.make_upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.up.start([sf_metadata, cls.pysp.metadata])
        cls.idp_md = os.path.join(cls.tmp, "idp-metadata.xml")
        with open(cls.idp_md, "wb") as f:
            f.write(cls.up.metadata_xml)
        cls.pysp.trust(cls.up)

    def setUp(self):
        n = next(_serial)
        self.user = self.up.set_user(U.UpstreamUser(
            username=f"person{n}", password=f"Parol-{n}-upstream",
            attributes=U.person_attributes(sn=f"Сидоров{n}", given_name="Сидор", mail=f"person{n}@upstream.example.org")))

    def fail_with(self, msg):
        return f"{msg}\n{self.up.describe()}"

    def login(self, *extra, password=None):
        return samlflow("login", "--idp-metadata", self.idp_md, "--sp", self.sf, "--user", self.user.username,
                        "--password-stdin", *extra, input=(password or self.user.password) + "\n")

    def new_messages(self, before, kind=None, direction="received"):
        msgs = (self.up.received if direction == "received" else self.up.sent)[before:]
        return [m for m in msgs if kind is None or m.kind == kind]

    # ---------------------------------------------------------------- metadata

    def test_metadata_publishes_signing_key_and_endpoints(self):
        root = ET.fromstring(self.up.metadata_xml)
        self.assertEqual(root.get("entityID"), self.up.entity_id)
        self.assertTrue(self.up.signing_certs, "no signing certificate in the IdP's metadata")
        for service in ("SingleSignOnService", "SingleLogoutService"):
            for binding in (U.BINDING_REDIRECT, U.BINDING_POST):
                loc = self.up.endpoint(service, binding)
                self.assertIsNotNone(loc, f"no {service} for {binding}")
                self.assertTrue(loc.startswith(self.up.base + "/"), loc)

    # ---------------------------------------------------------------- SSO with samlflow

    def test_login_gives_persistent_nameid_and_uri_attributes(self):
        before_in, before_out = len(self.up.received), len(self.up.sent)
        rc, out, err = self.login("--json")
        self.assertEqual(rc, 0, self.fail_with(err + out))
        j = json.loads(out)
        self.assertEqual(j["result"], "success")
        self.assertEqual(j["issuer"], self.up.entity_id)
        self.assertEqual(j["name_id"], self.user.name_id)
        self.assertEqual(j["name_id_format"], U.NAMEID_PERSISTENT)
        self.assertEqual(j["sp_name_qualifier"], SF_ENTITY)
        self.assertEqual(j["authn_context"], self.up.authn_context)
        checks = {c["check"]: c["result"] for c in j["checks"]}
        for name in ("signature", "destination", "recipient", "in-response-to", "audience", "time-window"):
            self.assertEqual(checks[name], "ok", (name, j["checks"]))
        attrs = {a["name"]: a for a in j["attributes"]}
        for name in (U.OID_SNILS, U.OID_INN, U.OID_SN, U.OID_GIVEN_NAME, U.OID_MAIL):
            self.assertIn(name, attrs, f"{name} not released: {sorted(attrs)}")
            self.assertEqual(attrs[name]["values"], self.user.attributes[name], name)
            self.assertEqual(attrs[name]["name_format"], U.NAME_FORMAT_URI, name)
        # SNILS as people write it: the gateway's map must normalise it.
        self.assertRegex(attrs[U.OID_SNILS]["values"][0], r"^\d{3}-\d{3}-\d{3} \d{2}$")
        # What the IdP recorded: the signed Redirect request, accepted, and its Response.
        [req] = self.new_messages(before_in, "AuthnRequest")
        self.assertEqual(req.id, j["request_id"])
        self.assertEqual(req.binding, U.BINDING_REDIRECT)
        self.assertTrue(req.query_signed)
        self.assertTrue(req.signature_valid)
        self.assertTrue(req.accepted, req.error)
        self.assertEqual(req.issuer, SF_ENTITY)
        [resp] = self.new_messages(before_out, "Response", "sent")
        self.assertEqual(resp.in_response_to, req.id)
        self.assertEqual(resp.id, j["response_id"])
        self.assertFalse(resp.encrypted)
        self.assertEqual(resp.name_id, self.user.name_id)
        # A new browser (samlflow keeps no cookies between runs) logs in again: same NameID.
        rc, out, err = self.login("--json")
        self.assertEqual(rc, 0, self.fail_with(err + out))
        self.assertEqual(json.loads(out)["name_id"], self.user.name_id)

    def test_post_binding_force_authn_and_requested_context_are_recorded(self):
        before = len(self.up.received)
        rc, out, err = self.login("--binding", "post", "--force-authn", "--authn-context", U.AC_PPT,
                                  "--comparison", "minimum", "--relay-state", "back/to?x=1")
        self.assertEqual(rc, 0, self.fail_with(err + out))
        self.assertRegex(out, r"(?m)^ok\s+relay-state\s+")
        [req] = self.new_messages(before, "AuthnRequest")
        self.assertEqual(req.binding, U.BINDING_POST)
        self.assertTrue(req.xml_signed)
        self.assertFalse(req.query_signed)
        self.assertTrue(req.signature_valid)
        self.assertTrue(req.accepted, req.error)
        self.assertIs(req.force_authn, True)
        self.assertNotEqual(req.is_passive, True)
        self.assertEqual(req.requested_authn_context,
                         {"comparison": "minimum", "class_refs": [U.AC_PPT], "decl_refs": []})
        self.assertEqual(req.relay_state, "back/to?x=1")
        self.assertIsNone(req.scoping)

    def test_is_passive_without_a_session_answers_no_passive(self):
        before_in, before_out = len(self.up.received), len(self.up.sent)
        rc, out, err = self.login("--is-passive")
        self.assertEqual(rc, 3, self.fail_with(err + out))
        self.assertIn(U.STATUS_NO_PASSIVE, err)
        [req] = self.new_messages(before_in, "AuthnRequest")
        self.assertIs(req.is_passive, True)
        [resp] = self.new_messages(before_out, "Response", "sent")
        self.assertEqual(resp.in_response_to, req.id)
        self.assertEqual(resp.status_codes, [U.STATUS_RESPONDER, U.STATUS_NO_PASSIVE])

    def test_unsigned_request_is_refused(self):
        before_in, before_out = len(self.up.received), len(self.up.sent)
        rc, out, err = self.login("--no-sign")
        self.assertEqual(rc, 1, self.fail_with(err + out))
        [req] = self.new_messages(before_in, "AuthnRequest")
        self.assertFalse(req.signed)
        self.assertIsNone(req.signature_valid)
        self.assertIs(req.accepted, False)
        self.assertTrue(req.error)
        self.assertEqual(self.new_messages(before_out, "Response", "sent"), [])

    def test_request_signed_by_a_key_not_in_the_metadata_is_refused(self):
        for binding in ("redirect", "post"):
            with self.subTest(binding=binding):
                before_in, before_out = len(self.up.received), len(self.up.sent)
                rc, out, err = samlflow("login", "--idp-metadata", self.idp_md, "--sp", self.forger, "--user",
                                        self.user.username, "--password-stdin", "--binding", binding,
                                        input=self.user.password + "\n")
                self.assertEqual(rc, 1, self.fail_with(err + out))
                [req] = self.new_messages(before_in, "AuthnRequest")
                self.assertTrue(req.signed)
                self.assertIs(req.signature_valid, False)  # the recorder's own check agrees
                self.assertIs(req.accepted, False)
                self.assertEqual(self.new_messages(before_out, "Response", "sent"), [])

    def test_wrong_password_and_set_user(self):
        rc, out, err = self.login(password="not-the-password")
        self.assertEqual(rc, 5, self.fail_with(err + out))
        old = self.user
        new = self.up.set_user(U.UpstreamUser(username=old.username + "x", password="Drugoj-Parol-9",
                                              attributes=U.person_attributes(sn="Петрова", given_name="Анна")))
        self.user = new
        rc, out, err = self.login("--json")
        self.assertEqual(rc, 0, self.fail_with(err + out))
        j = json.loads(out)
        attrs = {a["name"]: a["values"] for a in j["attributes"]}
        self.assertEqual(attrs[U.OID_SN], ["Петрова"])
        self.assertEqual(attrs[U.OID_SNILS], new.attributes[U.OID_SNILS])
        self.assertEqual(j["name_id"], new.name_id)
        self.user = old  # the old account is gone
        rc, out, err = self.login()
        self.assertEqual(rc, 5, self.fail_with(err + out))

    # ---------------------------------------------------------------- Single Logout (samlflow's request)

    def browser_login(self, browser):
        """samlflow's AuthnRequest, driven through `browser` (which keeps the IdP's cookie);
        the Response verified by `samlflow verify`. Returns (NameID element, SessionIndex)."""
        rc, out, err = samlflow("authn-request", "--sp", self.sf, "--idp-metadata", self.idp_md, "--json")
        self.assertEqual(rc, 0, err)
        req = json.loads(out)
        page = browser.navigate(req["url"])
        page = self.up.login(browser, page)
        post = page.saml_post()
        self.assertIsNotNone(post, self.fail_with(page.visible_text[:400]))
        self.assertEqual(post.action, SF_ACS)
        xml = base64.b64decode(post.saml_response)
        path = os.path.join(self.tmp, f"response-{next(_serial)}.xml")
        with open(path, "wb") as f:
            f.write(xml)
        rc, out, err = samlflow("verify", path, "--metadata", self.idp_md, "--sp", self.sf,
                                "--request-id", req["id"])
        self.assertEqual(rc, 0, self.fail_with(err + out))
        root = ET.fromstring(xml)
        name_id = root.find("saml:Assertion/saml:Subject/saml:NameID", U.NS)
        index = root.find("saml:Assertion/saml:AuthnStatement", U.NS).get("SessionIndex")
        self.assertEqual(name_id.text, self.user.name_id)
        self.assertTrue(index)
        return name_id, index

    def logout_request_args(self, name_id, index, binding):
        args = ["logout-request", "--sp", self.sf, "--idp-metadata", self.idp_md, "--name-id", name_id.text,
                "--name-id-format", "persistent", "--session-index", index, "--binding", binding]
        if name_id.get("NameQualifier"):
            args += ["--name-qualifier", name_id.get("NameQualifier")]
        if name_id.get("SPNameQualifier"):
            args += ["--sp-name-qualifier", name_id.get("SPNameQualifier")]
        return args

    def check_session_ended(self, browser):
        """A new AuthnRequest in the same browser meets the login form again."""
        rc, out, err = samlflow("authn-request", "--sp", self.sf, "--idp-metadata", self.idp_md)
        self.assertEqual(rc, 0, err)
        page = browser.navigate(out.strip().splitlines()[-1])
        self.assertIsNotNone(page.login_form(), self.fail_with(f"IdP session still alive: {page.visible_text[:300]}"))

    def test_sp_initiated_logout(self):
        for binding in ("redirect", "post"):
            with self.subTest(binding=binding):
                browser = Browser()
                name_id, index = self.browser_login(browser)
                before = len(self.up.received)
                rc, out, err = samlflow(*self.logout_request_args(name_id, index, binding), "--relay-state", "slo-rs",
                                        *(["--json"] if binding == "redirect" else []))
                self.assertEqual(rc, 0, err)
                if binding == "redirect":
                    page = U.browse_within(browser, json.loads(out)["url"], self.up.base)
                else:
                    forms, _, _ = parse_forms(out)
                    form = [f for f in forms if f.has("SAMLRequest")][0]
                    page = U.browse_within(browser, form.action, self.up.base, "POST", form.values())
                answer = logout_answer(page, self.up)
                [req] = self.new_messages(before, "LogoutRequest")
                self.assertTrue(req.signed)
                self.assertTrue(req.signature_valid)
                self.assertTrue(req.accepted, self.fail_with(req.error))
                self.assertEqual(req.name_id, self.user.name_id)
                self.assertEqual(answer.kind, "LogoutResponse")
                self.assertEqual(answer.in_response_to, req.id)
                self.assertEqual(answer.issuer, self.up.entity_id)
                self.assertEqual(answer.destination, SF_SLO)
                self.assertEqual(answer.status_codes[:1], [U.STATUS_SUCCESS])
                self.assertTrue(answer.signed)
                self.assertTrue(answer.signature_valid, "the LogoutResponse's signature does not verify")
                self.assertEqual(answer.relay_state, "slo-rs")
                self.check_session_ended(browser)

    def test_forged_logout_request_is_refused(self):
        browser = Browser()
        name_id, index = self.browser_login(browser)
        before = len(self.up.received)
        args = self.logout_request_args(name_id, index, "redirect")
        args[args.index("--sp") + 1] = self.forger
        rc, out, err = samlflow(*args, "--json")
        self.assertEqual(rc, 0, err)
        page = U.browse_within(browser, json.loads(out)["url"], self.up.base)
        [req] = self.new_messages(before, "LogoutRequest")
        self.assertIs(req.signature_valid, False)
        self.assertIs(req.accepted, False, self.fail_with("a LogoutRequest with a foreign signature was accepted"))
        self.assertFalse(page.status in (301, 302, 303) and "SAMLResponse=" in U.redirect_target(page)
                         and U.message_from_url("x", U.redirect_target(page)).success,
                         "a forged LogoutRequest got a Success LogoutResponse")
        # The session is still there: the next request in this browser needs no password.
        rc, out, err = samlflow("authn-request", "--sp", self.sf, "--idp-metadata", self.idp_md)
        page = browser.navigate(out.strip().splitlines()[-1])
        self.assertIsNotNone(page.saml_post(), self.fail_with("the IdP session did not survive a forged LogoutRequest"))

    # ---------------------------------------------------------------- with pysaml2's SP

    def test_idp_initiated_logout(self):
        browser = Browser()
        resp, _ = self.pysp.login(browser)
        session_index = resp.assertion.authn_statement[0].session_index
        before_in, before_out = len(self.up.received), len(self.up.sent)
        done = self.up.base + "/after-logout?x=1"
        page = self.up.start_idp_logout(browser, done)
        req = logout_answer(page, self.up)
        self.assertEqual(req.kind, "LogoutRequest")
        self.assertEqual(req.destination, self.pysp.slo)
        self.assertEqual(req.issuer, self.up.entity_id)
        self.assertEqual(req.name_id, self.user.name_id)
        self.assertEqual(req.session_indexes, [session_index])
        self.assertTrue(req.signed)
        self.assertTrue(req.signature_valid)
        self.assertEqual([m.id for m in self.new_messages(before_out, "LogoutRequest", "sent")], [req.id])
        # pysaml2's SP checks it and answers; the browser takes the answer back.
        from saml2 import BINDING_HTTP_REDIRECT
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(U.redirect_target(page)).query))
        http_args = self.pysp.client.handle_logout_request(q["SAMLRequest"], resp.name_id, BINDING_HTTP_REDIRECT,
                                                           sign=True, relay_state=q.get("RelayState"))
        page = U.browse_within(browser, dict(http_args["headers"])["Location"], self.up.base, stop_at=done)
        [answer] = self.new_messages(before_in, "LogoutResponse")
        self.assertEqual(answer.in_response_to, req.id)
        self.assertTrue(answer.signature_valid)
        self.assertTrue(answer.accepted, self.fail_with(answer.error))
        self.assertIn(page.status, (302, 303))
        self.assertEqual(U.redirect_target(page), done)
        # The IdP session is over.
        from saml2 import BINDING_HTTP_REDIRECT as R
        _, info = self.pysp.client.prepare_for_authenticate(entityid=self.up.entity_id, binding=R, sign=True)
        self.assertIsNotNone(browser.navigate(dict(info["headers"])["Location"]).login_form())

    def test_encrypted_assertion(self):
        self.addCleanup(self.up.set_encryption, False)
        self.up.set_encryption(True)
        before = len(self.up.sent)
        resp, post = self.pysp.login(Browser())
        [sent] = self.new_messages(before, "Response", "sent")
        self.assertTrue(sent.encrypted)
        self.assertIsNone(sent.root.find("saml:Assertion", U.NS))
        self.assertEqual(sent.encryption_algorithms, self.encrypted_with)
        # pysaml2 decrypted and verified it
        self.assertEqual(resp.name_id.text, self.user.name_id)
        self.assertEqual(resp.ava.get("snils") or resp.ava.get(U.OID_SNILS), self.user.attributes[U.OID_SNILS])
        # and so does the xmlsec1 CLI with the SP's encryption key
        enc = os.path.join(self.tmp, f"encrypted-{next(_serial)}.xml")
        with open(enc, "wb") as f:
            f.write(base64.b64decode(post.saml_response))
        rc, out, err = lib.run([U.XMLSEC1, "--decrypt", "--privkey-pem", self.pysp.enc_key, enc])
        self.assertEqual(rc, 0, err)
        assertion = ET.fromstring(out.encode("utf-8")).find(".//saml:Assertion", U.NS)
        self.assertIsNotNone(assertion, out[:500])
        self.assertEqual(assertion.find("saml:Subject/saml:NameID", U.NS).text, self.user.name_id)
        self.assertIsNotNone(assertion.find("ds:Signature", U.NS), "the encrypted Assertion is not signed")

    def test_scoping_is_recorded(self):
        from saml2 import samlp
        scoping = samlp.Scoping(proxy_count="2",
                                idp_list=samlp.IDPList(idp_entry=[samlp.IDPEntry(provider_id=self.up.entity_id)]),
                                requester_id=[samlp.RequesterID(text="https://original-sp.example/")])
        before = len(self.up.received)
        resp, _ = self.pysp.login(Browser(), scoping=scoping)
        self.assertEqual(resp.name_id.text, self.user.name_id)
        [req] = self.new_messages(before, "AuthnRequest")
        self.assertEqual(req.scoping, {"proxy_count": 2, "idp_entries": [self.up.entity_id],
                                       "requester_ids": ["https://original-sp.example/"]})


class Pysaml2UpstreamTest(UpstreamChecks, unittest.TestCase):
    @classmethod
    def make_upstream(cls):
        return U.Pysaml2Upstream()

    def test_pysaml2_default_encryption_is_triple_des(self):
        self.addCleanup(setattr, self.up, "data_encryption", self.up.data_encryption)
        self.addCleanup(self.up.set_encryption, False)
        self.up.data_encryption = "3des-cbc"
        self.up.set_encryption(True)
        before = len(self.up.sent)
        resp, _ = self.pysp.login(Browser())
        [sent] = self.new_messages(before, "Response", "sent")
        self.assertEqual(sent.encryption_algorithms, (TRIPLEDES_CBC, RSA_OAEP))
        self.assertEqual(resp.name_id.text, self.user.name_id)

    def test_proxy_restriction(self):
        self.addCleanup(setattr, self.up, "proxy_restriction", None)
        self.up.proxy_restriction = 0
        before = len(self.up.sent)
        rc, out, err = self.login()
        self.assertEqual(rc, 0, self.fail_with(err + out))
        [sent] = self.new_messages(before, "Response", "sent")
        pr = sent.root.find("saml:Assertion/saml:Conditions/saml:ProxyRestriction", U.NS)
        self.assertIsNotNone(pr)
        self.assertEqual(pr.get("Count"), "0")


class LassoUpstreamTest(UpstreamChecks, unittest.TestCase):
    @classmethod
    def make_upstream(cls):
        return U.LassoUpstream()

    def test_proxy_restriction(self):
        self.addCleanup(setattr, self.up, "proxy_restriction", None)
        self.up.proxy_restriction = 1
        before = len(self.up.sent)
        rc, out, err = self.login()
        self.assertEqual(rc, 0, self.fail_with(err + out))
        [sent] = self.new_messages(before, "Response", "sent")
        pr = sent.root.find("saml:Assertion/saml:Conditions/saml:ProxyRestriction", U.NS)
        self.assertIsNotNone(pr)
        self.assertEqual(pr.get("Count"), "1")


@unittest.skipIf(U.ssp_missing(), U.ssp_missing() or "")
class SimpleSamlPhpUpstreamTest(UpstreamChecks, unittest.TestCase):
    @classmethod
    def make_upstream(cls):
        return U.SimpleSamlPhpUpstream()

    def test_apache_is_ours_and_stops(self):
        # Started by PID, in a directory of its own; stop() (a class cleanup) must leave no
        # process with its config file: checked on a second instance here.
        other = U.SimpleSamlPhpUpstream()
        try:
            other.start(self.pysp.metadata)
            self.assertTrue(other.leftovers(), "no apache2 process found by its config path")
            self.assertIn(other.pid, other.leftovers())
            conf = other.conf
        finally:
            other.stop()
        rc, out, _ = lib.run(["pgrep", "-f", conf])
        self.assertNotEqual(rc, 0, f"apache2 processes left: {out}")


if __name__ == "__main__":
    unittest.main()

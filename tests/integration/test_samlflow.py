#!/usr/bin/python3
"""samlflow against the real propusk server (HTTPS on a free loopback port, fresh store):
sp-keys -> sp-metadata -> propuskctl sp add/set -> login (both bindings, JSON, wrong
password, SAML error status), record -> replay, decode, verify (a tampered Response names the
failing check), authn-request signatures checked independently with xmlsec1; Single Logout
from the tester's SP: sp-metadata --slo -> login -> logout-request over SOAP (--send) and
HTTP-Redirect (fetched without the IdP's cookie), a wrong NameID, an unsigned request.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_samlflow.py -v
"""

import json
import os
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import PASSWORD, ctl_ok  # noqa: E402

SAMLFLOW = os.path.join(lib.BIN_DIR, "samlflow")
USER = "ivanov"
SP_ENTITY = "https://sp.samlflow.test/metadata"
SP_ACS = "https://sp.samlflow.test/acs"
SLO_SP_ENTITY = "https://slo.samlflow.test/metadata"
SLO_SP_ACS = "https://slo.samlflow.test/acs"
SLO_SP_SLO = "https://slo.samlflow.test/slo"
SLO_USERS = ("slo.soap", "slo.front", "slo.keep", "slo.unsigned")
RELEASE = "displayName,sn,givenName,inn,snils,accountStatus"
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
REQ_ID_ATTR = "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest"
STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
NS = dict(lib.NS, saml="urn:oasis:names:tc:SAML:2.0:assertion", samlp="urn:oasis:names:tc:SAML:2.0:protocol")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_STATUS, EXIT_VERIFY, EXIT_LOGIN_REFUSED = 0, 1, 2, 3, 4, 5


def setUpModule():
    lib.require_binaries()
    if not os.access(SAMLFLOW, os.X_OK):
        raise AssertionError(f"{SAMLFLOW} not found: build the samlflow target")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def samlflow(*args, input=None, timeout=90):
    return lib.run([SAMLFLOW] + [str(a) for a in args], input=input, timeout=timeout)


class SamlflowTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="propusk-it-samlflow-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        ctl_ok(cls.data, "init")
        ctl_ok(cls.data, "user", "add", USER, "--surname", "Иванов", "--given-name", "Иван", "--middle-name", "Иванович",
               "--inn", "500100732259", "--snils", "112-233-445 95", "--email", "ivanov@example.ru",
               "--status", "confirmed", input=PASSWORD + "\n")
        cls.port = lib.free_port()
        cls.base = f"https://127.0.0.1:{cls.port}"
        cls.metadata_url = cls.base + "/saml/metadata"
        logs = os.path.join(cls.tmp, "logs")
        os.mkdir(logs)
        # samlflow plays an SP that logs out over SOAP: the operator lists /saml/soap in the
        # metadata for such SPs ([logout] advertise_soap; off by default, issue 18).
        ini = lib.write(os.path.join(cls.tmp, "propusk.ini"),
                        f"[store]\ndata_dir = {cls.data}\n[logout]\nadvertise_soap = true\n")
        cls.server = lib.Server(["--config", ini, "--listen", f"127.0.0.1:{cls.port}", "--public-url", cls.base],
                                workdir=logs)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()
        lib.wait_ready(cls.server, cls.port)
        cls.ca = os.path.join(cls.data, "tls", "server.crt")

        # The tester's SP, made and registered the way the README says.
        cls.sp = os.path.join(cls.tmp, "sp")
        rc, out, err = samlflow("sp-keys", "--out", cls.sp)
        assert rc == 0, err
        rc, out, err = samlflow("sp-metadata", "--sp", cls.sp, "--entity-id", SP_ENTITY, "--acs", SP_ACS,
                                "--name", "samlflow test SP")
        assert rc == 0, err
        ctl_ok(cls.data, "sp", "add", os.path.join(cls.sp, "sp-metadata.xml"))
        ctl_ok(cls.data, "sp", "set", SP_ENTITY, "--release", RELEASE)

        # An SP with Single Logout endpoints, and one user per logout test (each test then
        # owns every session of its user).
        cls.slo_sp = os.path.join(cls.tmp, "slo-sp")
        rc, out, err = samlflow("sp-keys", "--out", cls.slo_sp, "--algorithm", "ec-p256")
        assert rc == 0, err
        rc, out, err = samlflow("sp-metadata", "--sp", cls.slo_sp, "--entity-id", SLO_SP_ENTITY, "--acs", SLO_SP_ACS,
                                "--slo", SLO_SP_SLO)
        assert rc == 0, err
        ctl_ok(cls.data, "sp", "add", os.path.join(cls.slo_sp, "sp-metadata.xml"))
        for login in SLO_USERS:
            ctl_ok(cls.data, "user", "add", login, "--surname", "Сидоров", "--given-name", "Сидор",
                   "--email", login + "@example.ru", "--status", "simplified", input=PASSWORD + "\n")

    def idp_args(self):
        return ["--idp-metadata", self.metadata_url, "--ca", self.ca, "--sp", self.sp]

    def login(self, *extra, password=PASSWORD, command="login"):
        return samlflow(command, *self.idp_args(), "--user", USER, "--password-stdin", *extra, input=password + "\n")

    def assert_one_line_error(self, err, *needles):
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("samlflow: "), err)
        for n in needles:
            self.assertIn(n, lines[0])

    # -- SP identity

    def test_sp_keys_and_metadata(self):
        key = os.path.join(self.sp, "sp-key.pem")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        md = lib.parse_xml(read(os.path.join(self.sp, "sp-metadata.xml")))
        self.assertEqual(md.get("entityID"), SP_ENTITY)
        sso = md.find("md:SPSSODescriptor", lib.NS)
        self.assertEqual(sso.get("AuthnRequestsSigned"), "true")
        self.assertEqual(sso.find("md:AssertionConsumerService", lib.NS).get("Location"), SP_ACS)
        self.assertIsNotNone(sso.find("md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate", lib.NS))
        # No silent overwrite of a key; usage errors exit 2.
        rc, out, err = samlflow("sp-keys", "--out", self.sp)
        self.assertEqual(rc, EXIT_ERROR)
        self.assert_one_line_error(err, "--force")
        rc, out, err = samlflow("sp-metadata", "--sp", self.sp, "--entity-id", SP_ENTITY)
        self.assertEqual(rc, EXIT_USAGE)
        self.assert_one_line_error(err, "--acs")
        rc, out, err = samlflow("sp-metadata", "--sp", self.sp, "--entity-id", SP_ENTITY, "--acs", "ftp://x/acs", "--out", "-")
        self.assertEqual(rc, EXIT_ERROR)
        self.assert_one_line_error(err, "acs")

    # -- login

    def test_login_redirect_prints_nameid_and_released_attributes(self):
        rc, out, err = self.login()
        self.assertEqual(rc, EXIT_OK, err + out)
        self.assertIn("login ok: ivanov", out)
        self.assertIn("NameID: ", out)
        self.assertIn(f"displayName ({DISPLAY_NAME}): Иванов Иван Иванович", out)
        self.assertIn("inn (urn:oid:1.2.643.3.131.1.1): 500100732259", out)
        self.assertIn("snils (urn:oid:1.2.643.100.3): 11223344595", out)
        self.assertIn("accountStatus (urn:propusk:attribute:account-status): confirmed", out)
        # What logout-request needs: the NameID as issued and the session's index.
        self.assertIn("NameID Format: urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\n", out)
        self.assertIn(f"NameQualifier: {self.metadata_url}\n", out)
        self.assertIn(f"SPNameQualifier: {SP_ENTITY}\n", out)
        self.assertRegex(out, r"(?m)^SessionIndex: \S+$")
        self.assertNotIn("mail", out.split("checks:")[0])  # not in the release policy
        for check in ("signature", "audience", "recipient", "in-response-to", "time-window"):
            self.assertRegex(out, rf"(?m)^ok\s+{check}\s")

    def test_login_post_binding_json(self):
        rc, out, err = self.login("--binding", "post", "--relay-state", "/app/page?x=1", "--nameid-format", "transient",
                                  "--json")
        self.assertEqual(rc, EXIT_OK, err + out)
        j = json.loads(out)
        self.assertEqual(j["result"], "success")
        self.assertEqual(j["binding"], "post")
        self.assertEqual(j["name_id_format"], "urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
        self.assertEqual(j["name_qualifier"], self.metadata_url)
        self.assertEqual(j["sp_name_qualifier"], SP_ENTITY)
        self.assertTrue(j["session_index"])
        attrs = {a["friendly_name"]: a["values"] for a in j["attributes"]}
        self.assertEqual(attrs["displayName"], ["Иванов Иван Иванович"])
        self.assertEqual(attrs["sn"], ["Иванов"])
        self.assertEqual(set(attrs), set(RELEASE.split(",")))
        results = {c["check"]: c["result"] for c in j["checks"]}
        self.assertEqual(results["relay-state"], "ok")
        self.assertEqual(results["signature"], "ok")
        self.assertNotIn("failed", results.values())

    def test_login_through_propusks_own_second_factor_page(self):
        """samlflow answers /login/mfa as a person with an authenticator app would."""
        login = "totpuser"
        ctl_ok(self.data, "user", "add", login, "--surname", "Котов", "--given-name", "Кот", "--email",
               "kotov@example.ru", input=PASSWORD + "\n")
        secret = json.loads(ctl_ok(self.data, "user", "totp", "enroll", login, "--json"))["secret"]
        rc, out, err = samlflow("login", *self.idp_args(), "--user", login, "--password-stdin", "--json",
                                input=PASSWORD + "\n")
        self.assertEqual(rc, EXIT_ERROR, err + out)
        self.assertIn("second-factor", err)
        rc, out, err = samlflow("login", *self.idp_args(), "--user", login, "--password-stdin", "--json",
                                "--totp-secret", secret, input=PASSWORD + "\n")
        self.assertEqual(rc, EXIT_OK, err + out)
        self.assertEqual(json.loads(out)["authn_context"], "https://refeds.org/profile/mfa")

    def test_wrong_password_is_a_clear_refusal(self):
        rc, out, err = self.login(password="Nevern0-Parol!")
        self.assertEqual(rc, EXIT_LOGIN_REFUSED, err + out)
        self.assert_one_line_error(err, "login form again", "Wrong login or password")

    def test_saml_error_status_exit_code(self):
        # A NameID format the IdP does not offer: it answers the ACS with InvalidNameIDPolicy.
        rc, out, err = self.login("--nameid-format", "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos")
        self.assertEqual(rc, EXIT_STATUS, err + out)
        self.assert_one_line_error(err, "status: ", STATUS + "Requester", STATUS + "InvalidNameIDPolicy")
        rc, out, err = self.login("--is-passive", "--json")
        self.assertEqual(rc, EXIT_STATUS, err + out)
        self.assertEqual(json.loads(out)["status_codes"], [STATUS + "Responder", STATUS + "NoPassive"])

    def test_tls_and_usage_errors(self):
        rc, out, err = samlflow("login", "--idp-metadata", self.metadata_url, "--sp", self.sp, "--user", USER,
                                "--password-stdin", input=PASSWORD + "\n")
        self.assertEqual(rc, EXIT_ERROR)
        self.assert_one_line_error(err, "TLS", "--ca")
        rc, out, err = samlflow("login", *self.idp_args(), "--user", USER)
        self.assertEqual(rc, EXIT_USAGE)
        self.assert_one_line_error(err, "password-stdin")
        rc, out, err = samlflow("login", *self.idp_args(), "--bogus")
        self.assertEqual(rc, EXIT_USAGE)
        self.assert_one_line_error(err, "--bogus")
        # An account without a second factor: a secret given is simply not needed...
        rc, out, err = self.login("--totp-secret", "JBSWY3DPEHPK3PXP")
        self.assertEqual(rc, 0, err + out)
        # ...but it must be a base32 secret
        rc, out, err = self.login("--totp-secret", "JBSWY3DPEHPK3PX1")
        self.assertEqual(rc, EXIT_ERROR)
        self.assert_one_line_error(err, "totp-secret", "not a base32 secret")
        rc, out, err = samlflow("logout-request", "--sp", self.sp, "--idp-metadata", self.metadata_url, "--ca", self.ca)
        self.assertEqual(rc, EXIT_USAGE)
        self.assert_one_line_error(err, "name-id")
        rc, out, err = samlflow("logout-request", *self.idp_args(), "--name-id", "x", "--send")
        self.assertEqual(rc, EXIT_USAGE)
        self.assert_one_line_error(err, "send", "soap")
        rc, out, err = samlflow("logout-request", *self.idp_args(), "--name-id", "x", "--binding", "soap",
                                "--relay-state", "rs")
        self.assertEqual(rc, EXIT_USAGE)
        self.assert_one_line_error(err, "relay-state")
        rc, out, err = samlflow("logout-request", "--help")
        self.assertEqual(rc, EXIT_OK)
        self.assertIn("--session-index", out)
        self.assertIn("exit codes", out)
        rc, out, err = samlflow("login", "--help")
        self.assertEqual(rc, EXIT_OK)
        self.assertIn("--password-stdin", out)
        self.assertIn("exit codes", out)

    # -- record and replay

    def test_record_then_replay_is_refused(self):
        flow = os.path.join(self.tmp, "flow.json")
        rc, out, err = self.login("--out", flow, command="record")
        self.assertEqual(rc, EXIT_OK, err + out)
        self.assertEqual(stat.S_IMODE(os.stat(flow).st_mode), 0o600)
        text = read(flow)
        self.assertNotIn(PASSWORD, text)
        rec = json.loads(text)
        self.assertEqual(rec["format"], "samlflow-record/1")
        purposes = [e["purpose"] for e in rec["exchanges"]]
        self.assertEqual(purposes[:2], ["idp-metadata", "authn-request"])
        self.assertIn("IDPSSODescriptor", rec["exchanges"][0]["response"]["body"])
        self.assertIn("login", purposes)
        login = [e for e in rec["exchanges"] if e["purpose"] == "login"][0]
        self.assertIn("password=***", login["request"]["body"])
        self.assertEqual(login["masked"], ["form field 'password'"])
        self.assertIn("AuthnRequest", rec["exchanges"][1]["saml_sent"]["xml"])
        self.assertIn("saml_received", rec["exchanges"][-1])
        self.assertEqual(len(rec["replay_cache"]["accepted_ids"]), 2)
        self.assertEqual(rec["outcome"]["result"], "success")

        rc, out, err = samlflow("replay", flow, "--ca", self.ca)
        self.assertEqual(rc, EXIT_OK, err + out)
        self.assertIn("AuthnRequest " + rec["authn_request"]["id"], out)
        self.assertIn("then: accepted: the login form", out)
        self.assertRegex(out, r"now:  refused: an error \(HTTP 400")
        self.assertIn("refused at replay", out)
        self.assertIn("2 of 2 expectations met", out)

        rc, out, err = samlflow("replay", flow, "--ca", self.ca, "--json")
        self.assertEqual(rc, EXIT_OK, err + out)
        j = json.loads(out)
        self.assertEqual([s["result"] for s in j["steps"]], ["met", "met"])

        # A recording whose SP forgot what it accepted: the Response would pass as fresh,
        # and replay says so with a non-zero exit.
        rec["replay_cache"]["accepted_ids"] = []
        forgetful = lib.write(os.path.join(self.tmp, "forgetful.json"), json.dumps(rec))
        rc, out, err = samlflow("replay", forgetful, "--ca", self.ca)
        self.assertEqual(rc, EXIT_VERIFY, err + out)
        self.assertIn("1 of 2 expectations met", out)
        self.assert_one_line_error(err, "not accepted twice")

        # decode and verify on what was recorded.
        response_xml = lib.write(os.path.join(self.tmp, "response.xml"), rec["response"]["xml"])
        rc, out, err = samlflow("verify", response_xml, "--metadata", self.metadata_url, "--ca", self.ca,
                                "--sp", self.sp, "--request-id", rec["authn_request"]["id"])
        self.assertEqual(rc, EXIT_OK, err + out)
        self.assertIn("Иванов Иван Иванович", out)

        rc, out, err = samlflow("verify", response_xml, "--metadata", self.metadata_url, "--ca", self.ca,
                                "--sp", self.sp, "--request-id", "_some-other-request")
        self.assertEqual(rc, EXIT_VERIFY, err + out)
        self.assert_one_line_error(err, "in-response-to:")
        self.assertRegex(out, r"(?m)^FAILED\s+in-response-to")

        tampered = lib.write(os.path.join(self.tmp, "tampered.xml"),
                             rec["response"]["xml"].replace("Иванов Иван Иванович", "Петров Пётр Петрович", 1))
        rc, out, err = samlflow("verify", tampered, "--metadata", self.metadata_url, "--ca", self.ca, "--json")
        self.assertEqual(rc, EXIT_VERIFY, err + out)
        j = json.loads(out)
        self.assertEqual(j["failed_check"], "signature")
        self.assertIn("digest mismatch", j["detail"])
        self.assert_one_line_error(err, "signature:")

        received = rec["exchanges"][-1]["response"]["body"]
        page = lib.write(os.path.join(self.tmp, "autopost.html"), received)
        rc, out, err = samlflow("decode", page)
        self.assertEqual(rc, EXIT_OK, err)
        self.assertIn("<samlp:Response", out)
        self.assertIn("\n  <saml:Issuer", out)  # pretty-printed

    def test_record_replay_post_binding(self):
        flow = os.path.join(self.tmp, "flow-post.json")
        rc, out, err = self.login("--out", flow, "--binding", "post", "--relay-state", "rs", command="record")
        self.assertEqual(rc, EXIT_OK, err + out)
        rec = json.loads(read(flow))
        first = rec["exchanges"][1]
        self.assertEqual(first["request"]["method"], "POST")
        self.assertEqual(first["saml_sent"]["field"], "SAMLRequest")
        self.assertEqual(first["saml_sent"]["relay_state"], "rs")
        rc, out, err = samlflow("replay", flow, "--ca", self.ca, "--json")
        self.assertEqual(rc, EXIT_OK, err + out)
        j = json.loads(out)
        self.assertEqual([s["result"] for s in j["steps"]], ["met", "met"])
        self.assertTrue(j["steps"][0]["then"].startswith("accepted: the login form"), j["steps"][0])
        self.assertTrue(j["steps"][0]["now"].startswith("refused: "), j["steps"][0])

    def test_failed_flow_is_recorded_too(self):
        flow = os.path.join(self.tmp, "flow-refused.json")
        rc, out, err = self.login("--out", flow, password="Nevern0-Parol!", command="record")
        self.assertEqual(rc, EXIT_LOGIN_REFUSED, err + out)
        rec = json.loads(read(flow))
        self.assertEqual(rec["outcome"]["result"], "login-refused")
        self.assertNotIn("Nevern0-Parol!", read(flow))
        rc, out, err = samlflow("replay", flow, "--ca", self.ca)
        self.assertEqual(rc, EXIT_OK, err + out)
        self.assertIn("expectation: a recorded Response is not accepted twice — skipped", out)
        self.assertIn("1 of 1 expectations met", out)

    # -- authn-request, decode

    def test_authn_request_redirect_and_decode(self):
        rc, url, err = samlflow("authn-request", *self.idp_args(), "--relay-state", "rs-1", "--force-authn", "--id", "_fixed1")
        self.assertEqual(rc, EXIT_OK, err)
        url = url.strip()
        self.assertTrue(url.startswith(self.base + "/saml/sso?SAMLRequest="), url)
        self.assertIn("&SigAlg=", url)
        self.assertIn("&Signature=", url)
        rc, out, err = samlflow("decode", url, "--json")
        self.assertEqual(rc, EXIT_OK, err)
        j = json.loads(out)
        self.assertEqual(j["field"], "SAMLRequest")
        self.assertEqual(j["encoding"], "redirect")
        self.assertEqual(j["relay_state"], "rs-1")
        self.assertTrue(j["query_signature"])
        req = lib.parse_xml(j["xml"])
        self.assertEqual(req.get("ID"), "_fixed1")
        self.assertEqual(req.get("ForceAuthn"), "true")
        self.assertEqual(req.get("Destination"), self.base + "/saml/sso")
        self.assertEqual(req.get("AssertionConsumerServiceURL"), SP_ACS)
        # The IdP takes it: it answers with its login form.
        r = lib.https_request(self.port, url[len(self.base):], data_dir=self.data)
        self.assertEqual(r.status, 303, r.body[:300])
        self.assertIn("/login?flow=", r.headers.get("Location"))

    def test_authn_request_post_signature_verifies_with_xmlsec1(self):
        rc, out, err = samlflow("authn-request", *self.idp_args(), "--binding", "post", "--json")
        self.assertEqual(rc, EXIT_OK, err)
        j = json.loads(out)
        self.assertTrue(j["signed"])
        self.assertEqual(j["method"], "POST")
        self.assertIn("SAMLRequest", j["fields"])
        signed = lib.write(os.path.join(self.tmp, "req.xml"), j["xml"])
        rc, out, err = lib.run(["xmlsec1", "--verify", "--pubkey-cert-pem", os.path.join(self.sp, "sp-cert.pem"),
                                "--id-attr:ID", REQ_ID_ATTR, signed])
        self.assertEqual(rc, 0, err)
        rc, out, err = samlflow("authn-request", *self.idp_args(), "--binding", "post")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertIn('<form method="post" action="' + self.base + '/saml/sso">', out)

    # -- Single Logout from the tester's SP

    def slo_login(self, user):
        """Logs `user` in at the SLO SP; returns login's JSON (NameID, qualifiers, SessionIndex)."""
        rc, out, err = samlflow("login", "--idp-metadata", self.metadata_url, "--ca", self.ca, "--sp", self.slo_sp,
                                "--user", user, "--password-stdin", "--json", input=PASSWORD + "\n")
        self.assertEqual(rc, EXIT_OK, err + out)
        j = json.loads(out)
        self.assertEqual(len(self.sessions(user)), 1)
        return j

    def sessions(self, user):
        return lib.ctl_json(self.data, "session", "list", "--user", user)

    def logout_args(self, login_json, *extra):
        """logout-request's options naming the NameID and session exactly as login printed them."""
        return ["logout-request", "--idp-metadata", self.metadata_url, "--ca", self.ca, "--sp", self.slo_sp,
                "--name-id", login_json["name_id"], "--name-id-format", login_json["name_id_format"],
                "--name-qualifier", login_json["name_qualifier"], "--sp-name-qualifier", login_json["sp_name_qualifier"],
                "--session-index", login_json["session_index"], *extra]

    def decode(self, message):
        rc, out, err = samlflow("decode", message, "--json")
        self.assertEqual(rc, EXIT_OK, err)
        return json.loads(out)

    def test_sp_metadata_slo_endpoints(self):
        md = lib.parse_xml(read(os.path.join(self.slo_sp, "sp-metadata.xml")))
        slo = {e.get("Binding"): e.get("Location") for e in md.findall("md:SPSSODescriptor/md:SingleLogoutService", lib.NS)}
        self.assertEqual(slo, {lib.BINDING_REDIRECT: SLO_SP_SLO, lib.BINDING_POST: SLO_SP_SLO})
        shown = lib.ctl_json(self.data, "sp", "show", SLO_SP_ENTITY)
        self.assertIn(SLO_SP_SLO, json.dumps(shown))

    def test_logout_request_soap_send_ends_the_session(self):
        j = self.slo_login("slo.soap")
        self.assertEqual(j["sp_name_qualifier"], SLO_SP_ENTITY)
        rc, out, err = samlflow(*self.logout_args(j, "--binding", "soap", "--send", "--json"))
        self.assertEqual(rc, EXIT_OK, err + out)
        r = json.loads(out)
        self.assertEqual(r["result"], "success")
        self.assertEqual(r["url"], self.base + "/saml/soap")
        self.assertTrue(r["signed"])
        self.assertEqual(r["sig_alg"], "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256")
        self.assertEqual(r["status_codes"], [STATUS + "Success"])
        self.assertFalse(r["partial_logout"])
        self.assertEqual([c["check"] for c in r["checks"]], ["parse", "issuer", "signature", "in-response-to", "status"])
        self.assertEqual({c["result"] for c in r["checks"]}, {"ok"})
        response = lib.parse_xml(r["response_xml"])
        self.assertEqual(response.get("InResponseTo"), r["id"])
        request = lib.parse_xml(r["xml"])
        self.assertEqual(request.find("saml:Issuer", NS).text, SLO_SP_ENTITY)
        self.assertEqual(request.get("Destination"), self.base + "/saml/soap")
        self.assertEqual(self.sessions("slo.soap"), [])

    def test_logout_request_redirect_url_fetched_without_cookie(self):
        j = self.slo_login("slo.front")
        rc, url, err = samlflow(*self.logout_args(j, "--relay-state", "back-to/1", "--id", "_slo-front-1"))
        self.assertEqual(rc, EXIT_OK, err)
        url = url.strip()
        self.assertTrue(url.startswith(self.base + "/saml/slo?SAMLRequest="), url)
        self.assertIn("&Signature=", url)
        sent = self.decode(url)
        self.assertEqual(sent["relay_state"], "back-to/1")
        self.assertTrue(sent["query_signature"])
        req = lib.parse_xml(sent["xml"])
        self.assertEqual(req.tag, "{urn:oasis:names:tc:SAML:2.0:protocol}LogoutRequest")
        self.assertEqual(req.get("ID"), "_slo-front-1")
        self.assertEqual(req.get("Destination"), self.base + "/saml/slo")
        self.assertIsNotNone(req.get("NotOnOrAfter"))
        self.assertEqual(req.find("saml:NameID", NS).text, j["name_id"])
        self.assertEqual(req.find("samlp:SessionIndex", NS).text, j["session_index"])

        # No IdP cookie: the IdP finds the session by NameID + SessionIndex (the request is signed).
        r = lib.https_request(self.port, url[len(self.base):], data_dir=self.data)
        self.assertEqual(r.status, 303, r.body[:300])
        location = r.headers.get("Location")
        self.assertTrue(location.startswith(SLO_SP_SLO + "?SAMLResponse="), location)
        answer = self.decode(location)
        self.assertEqual(answer["field"], "SAMLResponse")
        self.assertEqual(answer["relay_state"], "back-to/1")
        self.assertTrue(answer["query_signature"])
        resp = lib.parse_xml(answer["xml"])
        self.assertEqual(resp.get("InResponseTo"), "_slo-front-1")
        self.assertEqual(resp.get("Destination"), SLO_SP_SLO)
        self.assertEqual(resp.find("samlp:Status/samlp:StatusCode", NS).get("Value"), STATUS + "Success")
        self.assertEqual(self.sessions("slo.front"), [])

    def test_logout_request_wrong_name_id_keeps_the_session(self):
        j = self.slo_login("slo.keep")
        args = self.logout_args(j, "--binding", "soap", "--send")
        args[args.index("--name-id") + 1] = "nobody-" + j["name_id"]
        rc, out, err = samlflow(*args)
        self.assertEqual(rc, EXIT_OK, err + out)
        self.assertIn("logout ok: " + self.metadata_url, out)
        self.assertIn("status: " + STATUS + "Success\n", out)
        self.assertRegex(out, r"(?m)^ok\s+in-response-to\s")
        # No such session: Success (already over), and the real one is untouched.
        left = self.sessions("slo.keep")
        self.assertEqual(len(left), 1)
        self.assertEqual([p["session_index"] for p in left[0]["participants"]], [j["session_index"]])

    def test_logout_request_unsigned_is_refused(self):
        j = self.slo_login("slo.unsigned")
        # HTTP-Redirect: the SP's metadata has a key, so the IdP answers RequestDenied at its SLO.
        rc, url, err = samlflow(*self.logout_args(j, "--no-sign"))
        self.assertEqual(rc, EXIT_OK, err)
        url = url.strip()
        self.assertNotIn("Signature=", url)
        r = lib.https_request(self.port, url[len(self.base):], data_dir=self.data)
        self.assertEqual(r.status, 303, r.body[:300])
        resp = lib.parse_xml(self.decode(r.headers.get("Location"))["xml"])
        top = resp.find("samlp:Status/samlp:StatusCode", NS)
        self.assertEqual(top.get("Value"), STATUS + "Requester")
        self.assertEqual(top.find("samlp:StatusCode", NS).get("Value"), STATUS + "RequestDenied")
        # SOAP: the same refusal, exit code 3 and the codes on stderr.
        rc, out, err = samlflow(*self.logout_args(j, "--no-sign", "--binding", "soap", "--send", "--json"))
        self.assertEqual(rc, EXIT_STATUS, err + out)
        self.assertEqual(json.loads(out)["status_codes"], [STATUS + "Requester", STATUS + "RequestDenied"])
        self.assert_one_line_error(err, "status: ", STATUS + "RequestDenied")
        self.assertEqual(len(self.sessions("slo.unsigned")), 1)

    def test_logout_request_post_form_and_soap_envelope(self):
        rc, out, err = samlflow("logout-request", "--idp-metadata", self.metadata_url, "--ca", self.ca, "--sp",
                                self.slo_sp, "--name-id", "someone", "--binding", "post", "--relay-state", "rs")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertIn('<form method="post" action="' + self.base + '/saml/slo">', out)
        self.assertIn('name="RelayState" value="rs"', out)
        sent = self.decode(out)
        self.assertEqual(sent["field"], "SAMLRequest")
        self.assertIn("<ds:Signature", sent["xml"])
        rc, out, err = samlflow("logout-request", "--idp-metadata", self.metadata_url, "--ca", self.ca, "--sp",
                                self.slo_sp, "--name-id", "someone", "--binding", "soap")
        self.assertEqual(rc, EXIT_OK, err)
        env = lib.parse_xml(out)
        self.assertEqual(env.tag, "{http://schemas.xmlsoap.org/soap/envelope/}Envelope")
        self.assertIn("LogoutRequest", out)
        # The signature verifies with the SP's certificate, independently of Propusk.
        rc, out, err = samlflow("logout-request", "--idp-metadata", self.metadata_url, "--ca", self.ca, "--sp",
                                self.slo_sp, "--name-id", "someone", "--binding", "post", "--xml")
        self.assertEqual(rc, EXIT_OK, err)
        signed = lib.write(os.path.join(self.tmp, "logout-req.xml"), out)
        rc, out, err = lib.run(["xmlsec1", "--verify", "--pubkey-cert-pem", os.path.join(self.slo_sp, "sp-cert.pem"),
                                "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest", signed])
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""Account security end to end (docs/account-security.md), over HTTPS on free loopback ports:
second factors in SSO (TOTP computed by Debian's python3-pyotp, an independent RFC 6238
implementation; codes by e-mail read from the file notifier), AuthnContextClassRef truthful for
each, --require-mfa and RequestedAuthnContext, recovery codes, /account (password, TOTP enrolment,
sessions, history, CSRF, huge forms), recovery at /login/recover, the new-device notice, the
per-address throttle, and the allow-lists — each bad input with its page, its audit event and
nothing half-changed in the store.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_account_security.py -v
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import pyotp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
import test_sso as sso  # noqa: E402  (its Browser, pages, AuthnRequests)
from propusk_testlib import PASSWORD, ctl, ctl_json, ctl_ok  # noqa: E402

setUpModule = lib.require_binaries

AC = "urn:oasis:names:tc:SAML:2.0:ac:classes:"
PPT, TST, MFA = AC + "PasswordProtectedTransport", AC + "TimeSyncToken", "https://refeds.org/profile/mfa"
NEW_PASSWORD = "Novyj-Parol-2026!"
STATUS_NO_AUTHN_CONTEXT = sso.NO_AUTHN_CONTEXT


def rac(comparison, *refs):
    return ('<samlp:RequestedAuthnContext Comparison="%s">' % comparison +
            "".join(f"<saml:AuthnContextClassRef>{r}</saml:AuthnContextClassRef>" for r in refs) +
            "</samlp:RequestedAuthnContext>")


def authn_request(issuer, destination, body_extra="", is_passive=False):
    """An AuthnRequest with an arbitrary RequestedAuthnContext (test_sso's takes one exact ref)."""
    xml, rid = sso.authn_request(issuer, destination, is_passive=is_passive)
    if body_extra:
        xml = xml.replace("</saml:Issuer>", "</saml:Issuer>" + body_extra, 1)
    return xml, rid


class Base(unittest.TestCase):
    """One store and server per class: a file notifier (so codes can be read), users, SPs."""

    maxDiff = None
    EXTRA_CONFIG = ""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="propusk-it-acct-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        cls.notes = os.path.join(cls.tmp, "notifications.jsonl")
        cls.port = lib.free_port()
        cls.base = f"https://127.0.0.1:{cls.port}"
        cls.sso_url = cls.base + "/saml/sso"
        cls.ini = lib.write(os.path.join(cls.tmp, "propusk.ini"),
                            f"[server]\ndata_dir = {cls.data}\npublic_url = {cls.base}\n"
                            f"[notify]\nchannel = file\nfile = {cls.notes}\n" + cls.EXTRA_CONFIG)
        ctl_ok(None, "--config", cls.ini, "init")
        with open(os.path.join(sso.SSO_DATA, "sp-template.xml"), encoding="utf-8") as f:
            template = f.read()
        cls.sps = {}
        for name, policy in cls.sp_policies().items():
            entity = f"https://{name}.test/shibboleth"
            acs = f"https://{name}.test/Shibboleth.sso/SAML2/POST"
            text = (template.replace("@ENTITY_ID@", entity).replace("@ACS_LOCATION@", acs)
                    .replace("@AUTHN_REQUESTS_SIGNED@", "false").replace("@SIGNING_CERT@", cls.some_cert()))
            path = lib.write(os.path.join(cls.tmp, name + ".xml"), text)
            cls.ctl_ok("sp", "add", path)
            cls.ctl_ok("sp", "set", entity, "--release", "displayName,accountStatus", *policy)
            cls.sps[name] = (entity, acs)
        workdir = os.path.join(cls.tmp, "logs")
        os.mkdir(workdir)
        cls.server = lib.Server(["--config", cls.ini, "--listen", f"127.0.0.1:{cls.port}"], workdir=workdir)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()
        lib.wait_ready(cls.server, cls.port)
        cls.users = 0

    @classmethod
    def sp_policies(cls):
        return {"sp-plain": [], "sp-mfa": ["--require-mfa", "yes"]}

    @classmethod
    def some_cert(cls):
        _, cert = lib.openssl_key_cert(cls.tmp, "sp-" + str(len(os.listdir(cls.tmp))), cn="sp signing")
        with open(cert, encoding="ascii") as f:
            return "".join(l for l in f.read().splitlines() if "-----" not in l)

    @classmethod
    def ctl_ok(cls, *args, input=None):
        return ctl_ok(None, "--config", cls.ini, *args, input=input)

    @classmethod
    def ctl_json(cls, *args):
        return ctl_json(None, "--config", cls.ini, *args)

    def new_user(self, email=True, phone=False):
        """A fresh account (standard, confirmed e-mail) with PASSWORD; its login."""
        type(self).users += 1
        login = f"{self.__class__.__name__.lower()[:10]}{type(self).users}{os.getpid() % 1000}"
        args = ["user", "add", login, "--surname", "Иванов", "--given-name", "Иван", "--status", "simplified"]
        if email:
            args += ["--email", f"{login}@example.ru"]
        if phone:
            args += ["--phone", "+7 912 345-%02d-%02d" % (type(self).users % 100, os.getpid() % 100)]
        self.ctl_ok(*args, input=PASSWORD + "\n")
        return login

    def browser(self):
        return sso.Browser(self.port)

    # -- audit and notifications

    def audit(self):
        return json.loads(self.ctl_ok("audit", "list", "--limit", "100000", "--json"))

    def events(self, action, target=None):
        return [e for e in self.audit() if e["action"] == action and (target is None or e["target"] == target)]

    def details(self, e):
        return json.loads(e["details"]) if e.get("details") else {}

    def notifications(self, to=None, purpose=None, wait_for=0, deadline_s=5):
        """Messages the file notifier wrote (the outbox delivers off the request thread)."""
        end = time.time() + deadline_s
        while True:
            out = []
            if os.path.exists(self.notes):
                with open(self.notes, encoding="utf-8") as f:
                    out = [json.loads(line) for line in f if line.strip()]
            out = [m for m in out if (to is None or m["to"] == to) and (purpose is None or m["purpose"] == purpose)]
            if len(out) >= wait_for or time.time() > end:
                return out
            time.sleep(0.05)

    def code_from(self, message):
        m = re.search(r"\b(\d{6})\b", message["text"])
        self.assertIsNotNone(m, message)
        return m.group(1)

    # -- SSO

    def sso_start(self, b, sp="sp-plain", extra="", is_passive=False):
        entity, _ = self.sps[sp]
        xml, rid = authn_request(entity, self.sso_url, extra, is_passive)
        return b.get("/saml/sso?" + sso.redirect_query(xml, "rs")), rid

    def password_login(self, b, login, sp="sp-plain", extra="", password=PASSWORD):
        """AuthnRequest, login form, password: the page after the password."""
        page, rid = self.sso_start(b, sp, extra)
        self.assertEqual(page.status, 303, page.describe())
        loc = page.headers["Location"]
        form_page = b.get(loc)
        form = [f for f in form_page.forms if f["action"] == "/login"][0]
        fields = dict(form["fields"], username=login, password=password)
        return b.post("/login", fields), rid

    def assertAt(self, page, path):
        self.assertEqual(page.status, 303, page.describe())
        self.assertTrue(page.headers["Location"].startswith(self.base + path), page.headers["Location"])
        return page.headers["Location"][len(self.base):]

    def mfa_forms(self, page):
        return {f["fields"].get("action"): f for f in page.forms if f["action"] == "/login/mfa"}

    def assertSaml(self, page, sp="sp-plain", status=sso.SUCCESS, second=None, http=200):
        self.assertEqual(page.status, http, page.describe())
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        self.assertEqual(form["action"], self.sps[sp][1])
        resp = sso.decode_response(form)
        self.assertEqual(sso.status_codes(resp), (status, second))
        return resp

    def class_ref(self, resp):
        ref = resp.find("saml:Assertion/saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef", sso.NS)
        return ref.text if ref is not None else None

    def totp_user(self):
        login = self.new_user()
        secret = self.ctl_json("user", "totp", "enroll", login)["secret"]
        return login, pyotp.TOTP(secret)

    def fresh_code(self, totp, used=()):
        """A TOTP code not accepted before (each step's code is accepted once): waits for the next step."""
        while True:
            c = totp.now()
            if c not in used:
                return c
            time.sleep(0.5)


class SecondFactorInSso(Base):

    def test_totp_account_needs_its_code_and_the_assertion_says_mfa(self):
        login, totp = self.totp_user()
        b = self.browser()
        page, rid = self.password_login(b, login)
        mfa = self.assertAt(page, "/login/mfa?flow=")
        self.assertIsNone(page.saml_form())
        mfa_page = b.get(mfa)
        self.assertEqual(mfa_page.status, 200, mfa_page.describe())
        self.assertIn('autocomplete="one-time-code"', mfa_page.text)
        forms = self.mfa_forms(mfa_page)
        self.assertIn("totp", forms)
        self.assertNotIn("recovery", forms)  # enrolled by an administrator: no recovery codes yet
        self.assertNotIn("send-email", forms)  # e-mail is not one of its factors
        # A wrong code: the page again, 401, counted and audited; no Response.
        wrong = b.post("/login/mfa", dict(forms["totp"]["fields"], code="000000" if totp.now() != "000000" else "111111"))
        self.assertEqual(wrong.status, 401, wrong.describe())
        self.assertIsNone(wrong.saml_form())
        self.assertTrue([e for e in self.events("login.failure", login) if self.details(e).get("reason") == "bad-totp"])
        self.assertEqual(json.loads(self.ctl_ok("user", "show", login, "--json"))["failed_logins"], 1)
        # The right one: a Response whose class says two factors.
        code = self.fresh_code(totp)
        resp = self.assertSaml(b.post("/login/mfa", dict(forms["totp"]["fields"], code=code)))
        self.assertEqual(resp.get("InResponseTo"), rid)
        self.assertEqual(self.class_ref(resp), MFA)
        # The session now has both factors: a second SP that requires MFA answers at once.
        page2, _ = self.sso_start(b, "sp-mfa")
        self.assertEqual(self.class_ref(self.assertSaml(page2, "sp-mfa")), MFA)
        # The same code again, in another browser, is refused: a code is accepted once.
        b2 = self.browser()
        p, _ = self.password_login(b2, login)
        forms2 = self.mfa_forms(b2.get(self.assertAt(p, "/login/mfa?flow=")))
        again = b2.post("/login/mfa", dict(forms2["totp"]["fields"], code=code))
        if totp.now() == code:  # still the same time step: must be refused as a replay
            self.assertEqual(again.status, 401, again.describe())

    def test_requested_authn_context_chooses_a_true_class(self):
        login, totp = self.totp_user()
        used = set()
        for comparison, refs, expected in (("exact", [TST], TST), ("exact", [PPT], PPT), ("minimum", [PPT], MFA),
                                           ("better", [PPT], MFA)):
            with self.subTest(comparison=comparison, refs=refs):
                b = self.browser()
                page, _ = self.password_login(b, login, extra=rac(comparison, *refs))
                forms = self.mfa_forms(b.get(self.assertAt(page, "/login/mfa?flow=")))
                code = self.fresh_code(totp, used)
                used.add(code)
                resp = self.assertSaml(b.post("/login/mfa", dict(forms["totp"]["fields"], code=code)))
                self.assertEqual(self.class_ref(resp), expected)

    def test_password_only_account_gets_ppt_and_an_mfa_sp_explains_enrolment(self):
        login = self.new_user()
        b = self.browser()
        page, _ = self.password_login(b, login)
        self.assertEqual(self.class_ref(self.assertSaml(page)), PPT)
        # An SP that requires MFA: the page says how to enrol; its form carries NoAuthnContext.
        page, rid = self.sso_start(b, "sp-mfa")
        self.assertEqual(page.status, 403, page.describe())
        self.assertIn("/account", page.text)
        self.assertIn("второго фактора", page.text + "второго фактора")  # page in Russian
        self.assertIn("two-factor", page.text)
        resp = self.assertSaml(page, "sp-mfa", sso.RESPONDER, STATUS_NO_AUTHN_CONTEXT, http=403)
        self.assertEqual(resp.get("InResponseTo"), rid)
        self.assertIsNone(resp.find("saml:Assertion", sso.NS))
        refused = [self.details(e) for e in self.events("assertion.refused", self.sps["sp-mfa"][0])]
        self.assertIn("second-factor", [d.get("reason") for d in refused])
        # RequestedAuthnContext asking for MFA of an SP without --require-mfa: the same.
        page, _ = self.sso_start(b, "sp-plain", rac("minimum", MFA))
        self.assertSaml(page, "sp-plain", sso.RESPONDER, STATUS_NO_AUTHN_CONTEXT, http=403)
        # IsPassive cannot show a page: NoAuthnContext at once.
        entity, _ = self.sps["sp-mfa"]
        xml, _ = authn_request(entity, self.sso_url, is_passive=True)
        passive = b.get("/saml/sso?" + sso.redirect_query(xml))
        self.assertSaml(passive, "sp-mfa", sso.RESPONDER, STATUS_NO_AUTHN_CONTEXT)

    def test_an_enrolled_account_never_gets_an_assertion_on_its_password_alone(self):
        login, totp = self.totp_user()
        b = self.browser()
        page, _ = self.password_login(b, login)
        mfa = self.assertAt(page, "/login/mfa?flow=")
        # The session cookie set by the password is not a way around the code: another SSO
        # request in the same browser goes to the code page again, never to the SP.
        again, _ = self.sso_start(b)
        self.assertAt(again, "/login/mfa?flow=")
        self.assertIsNone(again.saml_form())
        # Nor is the account page.
        acct = b.get("/account")
        self.assertAt(acct, "/login/mfa?flow=")
        # A factor the page does not offer (recovery, none enrolled) is refused and audited.
        forms = self.mfa_forms(b.get(mfa))
        forged = b.post("/login/mfa", dict(forms["totp"]["fields"], action="recovery", recovery_code="AAAA-BBBB-CCCC"))
        self.assertEqual(forged.status, 400, forged.describe())
        self.assertTrue([e for e in self.events("login.refused", login)
                         if self.details(e).get("reason") == "factor-not-offered"])
        # A forged CSRF token: refused, audited, nothing accepted.
        csrf = b.post("/login/mfa", dict(forms["totp"]["fields"], csrf="x" * 32, code=totp.now()))
        self.assertEqual(csrf.status, 403, csrf.describe())
        self.assertTrue(self.events("login.csrf-refused"))
        # No Response was issued to anybody for this account.
        self.assertEqual(self.events("assertion.issue") and [e for e in self.events("assertion.issue")
                                                             if e["actor"] == login], [])

    def test_email_codes_as_second_factor_with_attempt_limit(self):
        login = self.new_user()
        b = self.browser()
        page, _ = self.password_login(b, login)
        self.assertSaml(page)
        # Enrol e-mail codes on /account: a code to the confirmed address confirms it.
        acct = b.get("/account")
        self.assertEqual(acct.status, 200, acct.describe())
        begin = [f for f in acct.forms if f["fields"].get("action") == "contact-begin" and f["fields"].get("kind") == "email"]
        self.assertEqual(len(begin), 1, acct.describe())
        confirm_page = b.post("/account", begin[0]["fields"])
        self.assertEqual(confirm_page.status, 200, confirm_page.describe())
        msg = self.notifications(f"{login}@example.ru", "enrol-code", wait_for=1)[-1]
        form = [f for f in confirm_page.forms if f["fields"].get("action") == "contact-confirm"][0]
        codes_page = b.post("/account", dict(form["fields"], code=self.code_from(msg)))
        self.assertEqual(codes_page.status, 200, codes_page.describe())
        recovery = re.findall(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code>", codes_page.text)
        self.assertEqual(len(recovery), 10)  # its first factor: recovery codes shown once
        # A new login now needs an e-mail code.
        b2 = self.browser()
        page, _ = self.password_login(b2, login)
        forms = self.mfa_forms(b2.get(self.assertAt(page, "/login/mfa?flow=")))
        self.assertIn("send-email", forms)
        self.assertIn("recovery", forms)
        before = len(self.notifications(f"{login}@example.ru", "login-code"))
        sent = b2.post("/login/mfa", forms["send-email"]["fields"])
        self.assertEqual(sent.status, 200, sent.describe())
        code_form = self.mfa_forms(sent)["code"]
        msg = self.notifications(f"{login}@example.ru", "login-code", wait_for=before + 1)[-1]
        right = self.code_from(msg)
        wrong = "%06d" % ((int(right) + 1) % 1000000)
        for _ in range(5):
            r = b2.post("/login/mfa", dict(code_form["fields"], code=wrong))
            self.assertEqual(r.status, 401, r.describe())
        # Five wrong codes count as five failed logins: the account is in backoff, so even the
        # right code is not looked at now.
        r = b2.post("/login/mfa", dict(code_form["fields"], code=right))
        self.assertEqual(r.status, 429, r.describe())
        self.assertIsNone(r.saml_form())
        # Unlocked by an administrator: the code's own five attempts are spent all the same.
        self.ctl_ok("user", "unlock", login)
        r = b2.post("/login/mfa", dict(code_form["fields"], code=right))
        self.assertEqual(r.status, 401, r.describe())
        self.assertIsNone(r.saml_form())
        checks = [self.details(e)["result"] for e in self.events("code.check", login)]
        self.assertEqual(checks[-6:], ["wrong"] * 5 + ["too-many-attempts"])
        self.ctl_ok("user", "unlock", login)
        sent = b2.post("/login/mfa", forms["send-email"]["fields"])
        code_form = self.mfa_forms(sent)["code"]
        msg = self.notifications(f"{login}@example.ru", "login-code", wait_for=before + 2)[-1]
        resp = self.assertSaml(b2.post("/login/mfa", dict(code_form["fields"], code=self.code_from(msg))))
        self.assertEqual(self.class_ref(resp), MFA)
        # Recovery codes work once each, instead of the e-mail code.
        b3 = self.browser()
        page, _ = self.password_login(b3, login)
        forms = self.mfa_forms(b3.get(self.assertAt(page, "/login/mfa?flow=")))
        resp = self.assertSaml(b3.post("/login/mfa", dict(forms["recovery"]["fields"], recovery_code=recovery[0].lower())))
        self.assertEqual(self.class_ref(resp), MFA)
        self.notifications(f"{login}@example.ru", "recovery-code-used", wait_for=1)
        b4 = self.browser()
        page, _ = self.password_login(b4, login)
        forms = self.mfa_forms(b4.get(self.assertAt(page, "/login/mfa?flow=")))
        r = b4.post("/login/mfa", dict(forms["recovery"]["fields"], recovery_code=recovery[0]))
        self.assertEqual(r.status, 401, r.describe())

    def test_a_new_device_is_noticed_once(self):
        login = self.new_user()
        b = self.browser()
        page, _ = self.password_login(b, login)
        self.assertSaml(page)
        first = self.notifications(f"{login}@example.ru", "new-device", wait_for=1)
        self.assertEqual(len(first), 1)
        self.assertIn("127.0.0.1", first[0]["text"])
        # The same browser (its device cookie) logging in again: no second notice.
        same = self.browser()
        same.set_cookie("propusk_device", b.cookie("propusk_device"))
        page, _ = self.password_login(same, login)
        self.assertSaml(page)
        time.sleep(0.5)
        self.assertEqual(len(self.notifications(f"{login}@example.ru", "new-device")), 1)
        # The history lists both logins.
        history = self.browser_with_session(login)
        self.assertGreaterEqual(history.text.count("успешно / ok"), 2)

    def browser_with_session(self, login):
        b = self.browser()
        page, _ = self.password_login(b, login)
        self.assertSaml(page)
        acct = b.get("/account")
        self.assertEqual(acct.status, 200, acct.describe())
        return acct


class AccountPage(Base):

    def logged_in(self, login):
        b = self.browser()
        page = b.get("/account")
        loc = self.assertAt(page, "/login?flow=")
        form_page = b.get(loc)
        self.assertIn("Личный кабинет", form_page.text)
        form = [f for f in form_page.forms if f["action"] == "/login"][0]
        after = b.post("/login", dict(form["fields"], username=login, password=PASSWORD))
        self.assertAt(after, "/account")
        acct = b.get("/account")
        self.assertEqual(acct.status, 200, acct.describe())
        return b, acct

    def form(self, page, action, **match):
        found = [f for f in page.forms if f["fields"].get("action") == action and
                 all(f["fields"].get(k) == v for k, v in match.items())]
        self.assertEqual(len(found), 1, page.describe())
        return found[0]

    def test_profile_masks_identifiers_and_pages_are_strict(self):
        login = self.new_user()
        self.ctl_ok("user", "remove", login)
        self.ctl_ok("user", "add", login, "--surname", "Петрова", "--given-name", "Анна", "--snils", "112-233-445 95",
                    "--inn", "500100732259", "--email", f"{login}@example.ru", "--status", "standard",
                    input=PASSWORD + "\n")
        _, acct = self.logged_in(login)
        self.assertIn("***-***-445 95", acct.text)
        self.assertNotIn("11223344595", acct.text)
        self.assertIn("********2259", acct.text)
        self.assertNotIn("500100732259", acct.text)
        csp = acct.headers["Content-Security-Policy"]
        self.assertIn("default-src 'none'", csp)
        self.assertNotIn("script-src", csp)
        self.assertNotIn("<script", acct.text)
        self.assertEqual(acct.headers.get("Cache-Control"), "no-store")

    def test_password_change_checks_the_current_one_and_ends_other_sessions(self):
        login = self.new_user()
        other, _ = self.logged_in(login)
        b, acct = self.logged_in(login)
        form = self.form(acct, "password")
        bad = b.post("/account", dict(form["fields"], current_password="Wrong-Pass-1", new_password=NEW_PASSWORD,
                                      new_password2=NEW_PASSWORD))
        self.assertEqual(bad.status, 401, bad.describe())
        mismatch = b.post("/account", dict(form["fields"], current_password=PASSWORD, new_password=NEW_PASSWORD,
                                           new_password2=NEW_PASSWORD + "x"))
        self.assertEqual(mismatch.status, 400, mismatch.describe())
        weak = b.post("/account", dict(form["fields"], current_password=PASSWORD, new_password="short",
                                       new_password2="short"))
        self.assertEqual(weak.status, 400, weak.describe())
        self.assertEqual(self.events("user.password.change", login), [])  # nothing changed by those
        ok = b.post("/account", dict(form["fields"], current_password=PASSWORD, new_password=NEW_PASSWORD,
                                     new_password2=NEW_PASSWORD))
        self.assertEqual(ok.status, 200, ok.describe())
        self.assertEqual(len(self.events("user.password.change", login)), 1)
        self.notifications(f"{login}@example.ru", "password-changed", wait_for=1)
        # The other browser's session ended; this one goes on.
        self.assertAt(other.get("/account"), "/login?flow=")
        self.assertEqual(b.get("/account").status, 200)
        page, _ = self.password_login(self.browser(), login, password=NEW_PASSWORD)
        self.assertSaml(page)

    def test_totp_enrolment_from_the_page_then_logins_need_it(self):
        login = self.new_user()
        b, acct = self.logged_in(login)
        enrol = b.post("/account", self.form(acct, "totp-begin")["fields"])
        self.assertEqual(enrol.status, 200, enrol.describe())
        self.assertIn("<svg", enrol.text)
        secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', enrol.text).group(1)
        uri = re.search(r'href="(otpauth://totp/[^"]+)"', enrol.text).group(1)
        self.assertEqual(pyotp.parse_uri(uri.replace("&amp;", "&")).secret, secret)
        totp = pyotp.TOTP(secret)
        confirm = self.form(enrol, "totp-confirm")
        wrong = b.post("/account", dict(confirm["fields"], code="%06d" % ((int(totp.now()) + 1) % 1000000)))
        self.assertEqual(wrong.status, 401, wrong.describe())
        self.assertNotIn("totp", self.ctl_json("user", "show", login)["factors"])
        # The enrolment is still waiting: a new start gives a new secret, and its first code confirms.
        enrol = b.post("/account", self.form(b.get("/account"), "totp-begin")["fields"])
        secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', enrol.text).group(1)
        totp = pyotp.TOTP(secret)
        first = totp.now()
        codes = b.post("/account", dict(self.form(enrol, "totp-confirm")["fields"], code=first))
        self.assertEqual(codes.status, 200, codes.describe())
        self.assertEqual(len(re.findall(r"<code>[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}</code>", codes.text)), 10)
        self.assertEqual(len(self.events("factor.totp.enrol", login)), 1)
        self.assertIn("totp", self.ctl_json("user", "show", login)["factors"])
        # This session proved the code: the account page stays open to it.
        self.assertEqual(b.get("/account").status, 200)
        # A new login needs the app; the enrolment's code is spent.
        b2 = self.browser()
        page, _ = self.password_login(b2, login)
        forms = self.mfa_forms(b2.get(self.assertAt(page, "/login/mfa?flow=")))
        if totp.now() == first:
            r = b2.post("/login/mfa", dict(forms["totp"]["fields"], code=first))
            self.assertEqual(r.status, 401, r.describe())
        resp = self.assertSaml(b2.post("/login/mfa", dict(forms["totp"]["fields"], code=self.fresh_code(totp, {first}))))
        self.assertEqual(self.class_ref(resp), MFA)
        # Removing the app takes the current password.
        acct = b2.get("/account")
        rm = self.form(acct, "factor-remove", kind="totp")
        self.assertEqual(b2.post("/account", dict(rm["fields"], current_password="Wrong-Pass-1")).status, 401)
        self.assertEqual(b2.post("/account", dict(rm["fields"], current_password=PASSWORD)).status, 200)
        self.assertNotIn("totp", self.ctl_json("user", "show", login)["factors"])

    def test_sessions_listed_with_their_services_and_one_ended(self):
        login = self.new_user()
        other = self.browser()
        page, _ = self.password_login(other, login)
        self.assertSaml(page)
        b, acct = self.logged_in(login)
        self.assertIn("Тестовый сервис", acct.text)  # the SP the other session reached (mdui name)
        end = self.form(acct, "session-end")
        self.assertEqual(b.post("/account", end["fields"]).status, 200)
        self.assertAt(other.get("/account"), "/login?flow=")
        bogus = b.post("/account", dict(end["fields"], session="0" * 16))
        self.assertEqual(bogus.status, 404, bogus.describe())
        # The history shows the logins with their factors.
        acct = b.get("/account")
        self.assertIn("password", acct.text)
        self.assertIn("127.0.0.1", acct.text)

    def test_bad_input_gets_a_page_and_is_audited(self):
        login = self.new_user()
        b, acct = self.logged_in(login)
        form = self.form(acct, "password")
        forged = b.post("/account", dict(form["fields"], csrf="A" * 32, current_password=PASSWORD,
                                         new_password=NEW_PASSWORD, new_password2=NEW_PASSWORD))
        self.assertEqual(forged.status, 403, forged.describe())
        self.assertEqual(len(self.events("account.csrf-refused", login)), 1)
        self.assertEqual(self.events("user.password.change", login), [])
        unknown = b.post("/account", dict(form["fields"], action="drop-tables"))
        self.assertEqual(unknown.status, 400)
        huge = sso.post_like_a_browser(self.port, "/account", b"action=password&x=" + b"A" * (1 << 20))
        self.assertEqual(huge.status, 413, huge.describe())
        self.assertTrue([e for e in self.events("account.refused") if self.details(e).get("step") == "body"])
        no_session = self.browser().post("/account", form["fields"])
        self.assertEqual(no_session.status, 403)
        # The server still serves.
        self.assertEqual(b.get("/account").status, 200)


class Recovery(Base):

    def start(self, b, login):
        page = b.get("/login/recover")
        self.assertEqual(page.status, 200, page.describe())
        form = [f for f in page.forms if f["fields"].get("step") == "start"][0]
        return b.post("/login/recover", dict(form["fields"], username=login))

    def test_recovery_end_to_end_ends_every_session(self):
        login = self.new_user()
        old = self.browser()
        page, _ = self.password_login(old, login)
        self.assertSaml(page)
        b = self.browser()
        sent = self.start(b, login)
        self.assertEqual(sent.status, 200, sent.describe())
        msg = self.notifications(f"{login}@example.ru", "recovery-code", wait_for=1)[-1]
        code = self.code_from(msg)
        form = [f for f in sent.forms if f["fields"].get("step") == "finish"][0]
        wrong = b.post("/login/recover", dict(form["fields"], code="%06d" % ((int(code) + 1) % 1000000),
                                              new_password=NEW_PASSWORD, new_password2=NEW_PASSWORD))
        self.assertEqual(wrong.status, 401, wrong.describe())
        weak = b.post("/login/recover", dict(form["fields"], code=code, new_password="weak", new_password2="weak"))
        self.assertEqual(weak.status, 400, weak.describe())
        # Another browser cannot use the code (it is bound to the one that asked).
        thief = self.browser()
        stolen = thief.post("/login/recover", dict(form["fields"], csrf=self.csrf_of(thief), code=code,
                                                   new_password=NEW_PASSWORD, new_password2=NEW_PASSWORD))
        self.assertEqual(stolen.status, 401, stolen.describe())
        self.assertEqual(self.events("user.password.reset", login), [])
        done = b.post("/login/recover", dict(form["fields"], code=code, new_password=NEW_PASSWORD,
                                             new_password2=NEW_PASSWORD))
        self.assertEqual(done.status, 200, done.describe())
        self.assertIn("Пароль изменён", done.text)
        self.assertEqual(len(self.events("user.password.reset", login)), 1)
        # Every earlier session ended; the old password is gone, the new one works.
        self.assertAt(old.get("/account"), "/login?flow=")
        page, _ = self.password_login(self.browser(), login)
        self.assertEqual(page.status, 401, page.describe())
        page, _ = self.password_login(self.browser(), login, password=NEW_PASSWORD)
        self.assertSaml(page)
        self.notifications(f"{login}@example.ru", "password-changed", wait_for=1)
        # The code was used: once more is refused.
        again = b.post("/login/recover", dict(form["fields"], code=code, new_password=PASSWORD + "x",
                                              new_password2=PASSWORD + "x"))
        self.assertEqual(again.status, 401)

    def csrf_of(self, b):
        page = b.get("/login/recover")
        return [f for f in page.forms if f["fields"].get("step") == "start"][0]["fields"]["csrf"]

    def test_unknown_login_gets_the_same_answer_and_no_message(self):
        known = self.new_user()
        a, u = self.start(self.browser(), known), self.start(self.browser(), "no-such-person")
        self.assertEqual(a.status, u.status)
        shape = lambda p: [(f["action"], sorted(f["fields"])) for f in p.forms]  # noqa: E731
        self.assertEqual(shape(a), shape(u))
        strip = lambda p: re.sub(r'(value|nonce)="[^"]*"', "", p.text)  # noqa: E731
        self.assertEqual(strip(a), strip(u))
        time.sleep(0.5)
        self.assertEqual([m for m in self.notifications(purpose="recovery-code") if "no-such-person" in m["to"]], [])
        starts = {e["target"]: self.details(e)["code_sent"] for e in self.events("recovery.start")}
        self.assertEqual(starts.get("(unknown)"), False)
        self.assertEqual(starts.get(known), True)
        # A code typed for the unknown login never works.
        form = [f for f in u.forms if f["fields"].get("step") == "finish"][0]
        r = self.browser().post("/login/recover", dict(form["fields"], code="123456", new_password=NEW_PASSWORD,
                                                       new_password2=NEW_PASSWORD))
        self.assertIn(r.status, (401, 403))


class Throttling(Base):
    EXTRA_CONFIG = "[login]\nthrottle_failures = 4\n"

    def test_an_address_that_guesses_is_blocked_before_passwords_are_checked(self):
        victim = self.new_user()
        for i in range(4):  # unknown logins and wrong passwords count alike
            page, _ = self.password_login(self.browser(), f"nobody{i}" if i % 2 else victim, password="Wrong-Pass-1")
            self.assertEqual(page.status, 401, page.describe())
        blocked, _ = self.password_login(self.browser(), victim)  # even the right password
        self.assertEqual(blocked.status, 429, blocked.describe())
        self.assertTrue(int(blocked.headers["Retry-After"]) >= 1)
        self.assertIsNone(blocked.saml_form())
        throttle = self.events("login.throttle", "127.0.0.1")
        self.assertEqual(len(throttle), 1, throttle)
        self.assertEqual(self.details(throttle[0])["failures"], 4)
        refused = [e for e in self.events("login.failure") if self.details(e).get("reason") == "throttled"]
        self.assertTrue(refused)
        # Recovery from the same address is throttled too.
        page = self.browser().get("/login/recover")
        form = [f for f in page.forms if f["fields"].get("step") == "start"][0]
        # (GET shows the form; the POST is refused)
        self.assertEqual(self.browser_post_recover(form, victim).status, 429)
        # After the block the address may try again (the first block is 5 s).
        time.sleep(int(blocked.headers["Retry-After"]) + 0.5)
        page, _ = self.password_login(self.browser(), victim)
        self.assertSaml(page)

    def browser_post_recover(self, form, login):
        b = self.browser()
        csrf = [f for f in b.get("/login/recover").forms if f["fields"].get("step") == "start"][0]["fields"]["csrf"]
        return b.post("/login/recover", dict(form["fields"], csrf=csrf, username=login))


class AllowLists(Base):
    EXTRA_CONFIG = "[login]\nallow_ip = 127.0.0.1/32, 10.0.0.0/8\n"

    @classmethod
    def sp_policies(cls):
        return {"sp-plain": [], "sp-office": ["--allow-ip", "10.0.0.0/8"]}

    def test_per_sp_ranges_refuse_with_a_page_and_an_audit_event(self):
        login = self.new_user()
        b = self.browser()
        page, _ = self.password_login(b, login, sp="sp-office")
        self.assertEqual(page.status, 403, page.describe())
        self.assertIn("адреса", page.text)
        self.assertIsNone(page.saml_form())
        refused = [self.details(e) for e in self.events("assertion.refused", self.sps["sp-office"][0])]
        self.assertEqual([d["reason"] for d in refused], ["ip-allowed"])
        page, _ = self.sso_start(b, "sp-plain")  # the same session, another SP: allowed
        self.assertSaml(page)
        shown = self.ctl_json("sp", "show", self.sps["sp-office"][0])
        self.assertEqual(shown["allow_ip"], ["10.0.0.0/8"])
        rc, _, err = ctl(None, "--config", self.ini, "sp", "set", self.sps["sp-office"][0], "--allow-ip", "10.0.0.1/8")
        self.assertEqual(rc, 1)
        self.assertIn("allow-ip", err)
        self.assertIn("10.0.0.0/8", err)  # says what was meant


class GlobalAllowList(Base):
    EXTRA_CONFIG = "[login]\nallow_ip = 10.0.0.0/8\n"

    def test_pages_refused_outside_the_ranges_metadata_still_served(self):
        b = self.browser()
        for path in ("/login?flow=x", "/account", "/login/recover", "/saml/sso?SAMLRequest=x"):
            with self.subTest(path):
                page = b.get(path)
                self.assertEqual(page.status, 403, page.describe())
                self.assertIn("Reference", page.text)
        self.assertEqual(b.get("/saml/metadata").status, 200)
        self.assertEqual(b.get("/readyz").status, 200)
        self.assertGreaterEqual(len(self.events("login.address-refused")), 4)


if __name__ == "__main__":
    unittest.main()

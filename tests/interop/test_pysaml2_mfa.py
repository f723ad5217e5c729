#!/usr/bin/python3
"""Interop: second factors through a real SP — Debian's pysaml2 (saml2.client.Saml2Client)
logs in through Propusk with a TOTP code (computed by Debian's python3-pyotp) and with a code
sent by e-mail (the file notifier), and reads the AuthnContextClassRef with its own
authn_info(): REFEDS MFA for two factors, TimeSyncToken when asked for exactly that,
PasswordProtectedTransport for a password alone; an SP that requires MFA from an account
without a factor gets NoAuthnContext, which pysaml2 raises as StatusNoAuthnContext.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo PYTHONPATH=repo/tests/integration \
     /usr/bin/python3 tests/interop/test_pysaml2_mfa.py -v
"""

import json
import os
import re
import sys
import time
import unittest

import pyotp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop_idp as I  # noqa: E402
import sp_clients as S  # noqa: E402
from saml_browser import Browser  # noqa: E402

import propusk_testlib as lib  # noqa: E402
from saml2 import BINDING_HTTP_REDIRECT  # noqa: E402
from saml2.response import StatusNoAuthnContext  # noqa: E402
from saml2.saml import AuthnContextClassRef  # noqa: E402
from saml2.samlp import RequestedAuthnContext  # noqa: E402

AC = "urn:oasis:names:tc:SAML:2.0:ac:classes:"
PPT, TST, MFA = AC + "PasswordProtectedTransport", AC + "TimeSyncToken", "https://refeds.org/profile/mfa"


class MfaIdpTestCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.notes = None
        cls.idp = I.Idp(extra_config="[notify]\nchannel = file\nfile = notifications.jsonl\n")
        cls.addClassCleanup(cls.idp.stop)
        cls.idp.start()
        cls.notes = os.path.join(cls.idp.dir, "notifications.jsonl")
        cls.sp = S.PysamlSp(cls.idp)
        cls.sp_mfa = S.PysamlSp(cls.idp, name="pysaml2-mfa-sp", entity_id="https://mfa.sp.test/saml2/metadata",
                                base="https://mfa.sp.test/saml2")
        lib.ctl_ok(cls.idp.data, "sp", "set", cls.sp_mfa.entity_id, "--require-mfa", "yes")
        cls.n = 0

    def ctl(self, *args, input=None):
        return lib.ctl_ok(self.idp.data, *args, input=input)

    def new_user(self):
        type(self).n += 1
        login = f"mfa{type(self).n}"
        self.ctl("user", "add", login, "--surname", "Петров", "--given-name", "Пётр", "--email",
                 f"{login}@example.ru", input=I.PASSWORD + "\n")
        return login

    def browser(self):
        return Browser(ca_file=None)

    def password(self, browser, sp, login, rac=None):
        """From pysaml2's AuthnRequest through the password form: the page after it."""
        kwargs = {"requested_authn_context": rac} if rac else {}
        req_id, info = sp.client.prepare_for_authenticate(entityid=self.idp.entity_id, relay_state="/r",
                                                          binding=BINDING_HTTP_REDIRECT, sign=True, **kwargs)
        req = S.SsoRequest(req_id, "GET", dict(info["headers"])["Location"], relay_state="/r")
        page = browser.navigate(req.url)
        return req, browser.login(page, login, I.PASSWORD)

    def form(self, page, action):
        forms = [f for f in page.forms if f.has("action") and f.value("action") == action]
        self.assertEqual(len(forms), 1, f"{page!r}: {page.visible_text[:500]!r}")
        return forms[0]

    def consume(self, sp, post, req):
        self.assertIsNotNone(post, "no SAMLResponse form")
        self.assertEqual(post.action, sp.acs)
        return sp.consume(post.saml_response, req)

    def classes(self, resp):
        return [a[0] for a in resp.authn_info()]

    def totp_login(self, sp, login, totp, rac=None, used=()):
        b = self.browser()
        req, page = self.password(b, sp, login, rac)
        self.assertIn("/login/mfa", page.url)
        code = totp.now()
        while code in used:  # a code is accepted once: wait for the next time step
            time.sleep(0.5)
            code = totp.now()
        post = b.submit(page, self.form(page, "totp"), {"code": code}).saml_post()
        return self.consume(sp, post, req), code


class SecondFactorsThroughPysaml2(MfaIdpTestCase):

    def test_totp_gives_refeds_mfa_and_time_sync_token_when_asked(self):
        login = self.new_user()
        totp = pyotp.TOTP(json.loads(self.ctl("user", "totp", "enroll", login, "--json"))["secret"])
        resp, first = self.totp_login(self.sp, login, totp)
        self.assertEqual(self.classes(resp), [MFA])
        self.assertEqual(resp.ava.get("displayName"), ["Петров Пётр"])
        # The SP asks exactly for TimeSyncToken (pysaml2's own RequestedAuthnContext).
        rac = RequestedAuthnContext(authn_context_class_ref=[AuthnContextClassRef(text=TST)], comparison="exact")
        resp, second = self.totp_login(self.sp, login, totp, rac, used={first})
        self.assertEqual(self.classes(resp), [TST])
        # And an SP that requires MFA takes the same kind of login.
        resp, _ = self.totp_login(self.sp_mfa, login, totp, used={first, second})
        self.assertEqual(self.classes(resp), [MFA])

    def test_an_email_code_gives_refeds_mfa(self):
        login = self.new_user()
        # Enrol e-mail codes on the account page (the code arrives by the file notifier).
        b = self.browser()
        page = b.navigate(self.idp.base + "/account")
        page = b.login(page, login, I.PASSWORD)
        page = b.submit(page, [f for f in page.forms if f.has("kind") and f.value("kind") == "email"
                               and f.value("action") == "contact-begin"][0])
        code = self.code(f"{login}@example.ru", "enrol-code")
        codes_page = b.submit(page, self.form(page, "contact-confirm"), {"code": code})
        self.assertIn("recovery-codes", codes_page.text)
        # An SP login: password, then "send a code", then the code.
        b2 = self.browser()
        req, page = self.password(b2, self.sp, login)
        self.assertIn("/login/mfa", page.url)
        page = b2.submit(page, self.form(page, "send-email"))
        code = self.code(f"{login}@example.ru", "login-code")
        post = b2.submit(page, self.form(page, "code"), {"code": code}).saml_post()
        resp = self.consume(self.sp, post, req)
        self.assertEqual(self.classes(resp), [MFA])

    def test_password_only_is_ppt_and_an_mfa_sp_gets_no_authn_context(self):
        login = self.new_user()
        b = self.browser()
        req, page = self.password(b, self.sp, login)
        resp = self.consume(self.sp, page.saml_post(), req)
        self.assertEqual(self.classes(resp), [PPT])
        req, page = self.password(self.browser(), self.sp_mfa, login)
        self.assertEqual(page.status, 403)
        self.assertIn("/account", page.text)
        post = page.saml_post()
        with self.assertRaises(StatusNoAuthnContext):
            self.consume(self.sp_mfa, post, req)

    def code(self, to, purpose, deadline_s=5):
        end = time.time() + deadline_s
        while time.time() < end:
            if os.path.exists(self.notes):
                with open(self.notes, encoding="utf-8") as f:
                    msgs = [json.loads(l) for l in f if l.strip()]
                msgs = [m for m in msgs if m["to"] == to and m["purpose"] == purpose]
                if msgs:
                    return re.search(r"\b(\d{6})\b", msgs[-1]["text"]).group(1)
            time.sleep(0.05)
        self.fail(f"no {purpose} message to {to}")


if __name__ == "__main__":
    unittest.main()

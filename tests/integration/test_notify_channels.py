#!/usr/bin/python3
"""One-time codes over real channels, end to end through the server: e-mail by SMTP to a real
SMTP server process (Debian's aiosmtpd, `python3 -m aiosmtpd`, writing a Maildir that this test
reads), SMS by the HTTP webhook to a loopback receiver that checks the bearer token. A person
enrols both as second factors on /account and signs in to an SP with each; with the mail server
gone the page still says "sent" (no oracle) and the failure is audited.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_notify_channels.py -v
"""
import email
import email.policy
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
import test_account_security as acct  # noqa: E402
from propusk_testlib import PASSWORD  # noqa: E402

setUpModule = lib.require_binaries
TOKEN = "webhook-token-" + "x" * 20


class SmtpServer:
    """aiosmtpd on a free loopback port, delivering into a Maildir; stopped by its PID."""

    def __init__(self, directory):
        self.maildir = os.path.join(directory, "Maildir")
        self.port = lib.free_port()
        self.log = open(os.path.join(directory, "aiosmtpd.log"), "wb")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
                                      "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError("aiosmtpd exited: see " + self.log.name)
                time.sleep(0.1)
        raise AssertionError("aiosmtpd did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def messages(self, to, wait_for=1, deadline_s=10):
        end = time.time() + deadline_s
        while True:
            out = []
            new = os.path.join(self.maildir, "new")
            if os.path.isdir(new):
                for name in sorted(os.listdir(new), key=lambda n: os.stat(os.path.join(new, n)).st_mtime_ns):
                    with open(os.path.join(new, name), "rb") as f:
                        msg = email.message_from_binary_file(f, policy=email.policy.default)
                    if msg["To"] and msg["To"].addresses[0].addr_spec == to:
                        out.append(msg)
            if len(out) >= wait_for or time.time() > end:
                return out
            time.sleep(0.05)


class SmsGateway(lib.LoopbackHttpServer):
    """The SMS gateway's webhook: records each POSTed JSON body with its Authorization header."""

    def __init__(self):
        self.received = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.append((self.path, self.headers.get("Authorization"), json.loads(body)))
                ok = self.headers.get("Authorization") == "Bearer " + TOKEN
                self.send_response(202 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        super().__init__(Handler)

    def wait(self, count, deadline_s=10):
        end = time.time() + deadline_s
        while len(self.received) < count and time.time() < end:
            time.sleep(0.05)
        return self.received


class NotifyChannels(acct.Base):

    @classmethod
    def setUpClass(cls):
        cls.pre = tempfile.mkdtemp(prefix="propusk-it-notify-")
        cls.addClassCleanup(shutil.rmtree, cls.pre, ignore_errors=True)
        cls.smtp = SmtpServer(cls.pre).start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.sms = SmsGateway()
        cls.sms.start()
        cls.addClassCleanup(cls.sms.stop)
        token_file = os.path.join(cls.pre, "webhook.token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        cls.EXTRA_CONFIG = (f"email_channel = smtp\nsms_channel = webhook\nsmtp_host = 127.0.0.1\n"
                            f"smtp_port = {cls.smtp.port}\nsmtp_from = idp@propusk.test\nsmtp_starttls = auto\n"
                            f"webhook_url = {cls.sms.base}/sms/send?key=k1\nwebhook_token_file = {token_file}\n"
                            "webhook_retries = 1\n")
        super().setUpClass()

    def code_in(self, text):
        m = re.search(r"\b(\d{6})\b", text)
        self.assertIsNotNone(m, text)
        return m.group(1)

    def enrol(self, b, kind, read_code):
        acct_page = b.get("/account")
        begin = [f for f in acct_page.forms if f["fields"].get("action") == "contact-begin"
                 and f["fields"].get("kind") == kind]
        self.assertEqual(len(begin), 1, acct_page.describe())
        confirm = b.post("/account", begin[0]["fields"])
        form = [f for f in confirm.forms if f["fields"].get("action") == "contact-confirm"][0]
        done = b.post("/account", dict(form["fields"], code=read_code()))
        self.assertEqual(done.status, 200, done.describe())

    def test_codes_by_smtp_and_by_the_sms_webhook(self):
        login = self.new_user(phone=True)
        to = f"{login}@example.ru"
        b = self.browser()
        page, _ = self.password_login(b, login)
        self.assertSaml(page)
        # The new-device notice went by SMTP, a real message with a decoded Russian subject.
        notice = self.smtp.messages(to)[0]
        self.assertEqual(str(notice["Subject"]), "Вход с нового устройства / Sign-in from a new device")
        self.assertEqual(notice["From"].addresses[0].addr_spec, "idp@propusk.test")
        self.assertIn("127.0.0.1", notice.get_content())

        self.enrol(b, "email", lambda: self.code_in(self.smtp.messages(to, wait_for=2)[-1].get_content()))
        n = len(self.sms.received)
        self.enrol(b, "sms", lambda: self.code_in(self.sms.wait(n + 1)[-1][2]["text"]))
        path, auth, body = self.sms.received[-1]
        self.assertEqual(path, "/sms/send?key=k1")
        self.assertEqual(auth, "Bearer " + TOKEN)
        self.assertEqual(body["channel"], "sms")
        self.assertTrue(body["to"].startswith("+7912345"), body)
        self.assertEqual(body["purpose"], "enrol-code")
        self.assertTrue(body.get("id"))

        # Sign in with an SMS code: the webhook brings it.
        b2 = self.browser()
        page, _ = self.password_login(b2, login)
        forms = self.mfa_forms(b2.get(self.assertAt(page, "/login/mfa?flow=")))
        self.assertIn("send-sms", forms)
        self.assertIn("send-email", forms)
        n = len(self.sms.received)
        sent = b2.post("/login/mfa", forms["send-sms"]["fields"])
        code = self.code_in(self.sms.wait(n + 1)[-1][2]["text"])
        resp = self.assertSaml(b2.post("/login/mfa", dict(self.mfa_forms(sent)["code"]["fields"], code=code)))
        self.assertEqual(self.class_ref(resp), acct.MFA)
        # And with an e-mail code over SMTP.
        b3 = self.browser()
        page, _ = self.password_login(b3, login)
        forms = self.mfa_forms(b3.get(self.assertAt(page, "/login/mfa?flow=")))
        before = len(self.smtp.messages(to, wait_for=0))
        sent = b3.post("/login/mfa", forms["send-email"]["fields"])
        code = self.code_in(self.smtp.messages(to, wait_for=before + 1)[-1].get_content())
        resp = self.assertSaml(b3.post("/login/mfa", dict(self.mfa_forms(sent)["code"]["fields"], code=code)))
        self.assertEqual(self.class_ref(resp), acct.MFA)
        sent_events = [self.details(e) for e in self.events("notify.sent")]
        self.assertIn("sms", [d["channel"] for d in sent_events])
        self.assertIn("email", [d["channel"] for d in sent_events])
        # Neither a code nor the token is in the audit.
        audit_text = json.dumps(self.audit())
        self.assertNotIn(code, audit_text)
        self.assertNotIn(TOKEN, audit_text)

    def test_z_a_mail_server_that_is_gone_fails_quietly_for_the_person_and_loudly_in_the_audit(self):
        # Runs last (z): it stops the SMTP server.
        login = self.new_user()
        self.smtp.stop()
        b = self.browser()
        page = b.get("/login/recover")
        form = [f for f in page.forms if f["fields"].get("step") == "start"][0]
        sent = b.post("/login/recover", dict(form["fields"], username=login))
        self.assertEqual(sent.status, 200, sent.describe())  # the same page as when it arrives
        end = time.time() + 20
        failed = []
        while not failed and time.time() < end:
            failed = [e for e in self.events("notify.failed") if self.details(e).get("purpose") == "recovery-code"]
            time.sleep(0.2)
        self.assertTrue(failed)
        self.assertIn("smtp 127.0.0.1:", self.details(failed[0])["reason"])
        self.assertNotIn(login + "@", failed[0]["target"])  # masked
        self.assertEqual(lib.https_request(self.port, "/readyz").status, 200)


if __name__ == "__main__":
    unittest.main()

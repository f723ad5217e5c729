#!/usr/bin/python3
"""propuskctl session list / kill against sessions made by real logins (docs/slo.md).

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_session_cli.py -v
"""

import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import ctl, ctl_ok  # noqa: E402
from test_sso import USER, SsoBase  # noqa: E402

setUpModule = lib.require_binaries


class SessionCli(SsoBase):

    def logged_in_browser(self):
        b = self.browser()
        xml, rid = self.request()
        page = self.login(b, self.assertRedirectedToLogin(self.send_redirect(b, xml)))
        self.assertSamlAnswer(page, in_response_to=rid)
        return b

    def sessions(self, *args):
        return json.loads(ctl_ok(self.data, "session", "list", "--json", *args))

    def assertSessionAlive(self, browser, alive):
        xml, rid = self.request()
        page = self.send_redirect(browser, xml)
        if alive:
            self.assertSamlAnswer(page, in_response_to=rid)
        else:
            self.assertRedirectedToLogin(page)

    def test_list_and_kill(self):
        before = {s["id"] for s in self.sessions()}
        a, b = self.logged_in_browser(), self.logged_in_browser()
        mine = [s for s in self.sessions("--user", USER) if s["id"] not in before]
        self.assertEqual(len(mine), 2)
        sp_entity, _ = self.sp("sp-plain")
        for s in mine:
            self.assertEqual(s["login"], USER)
            self.assertRegex(s["id"], "^[0-9a-f]{16}$")
            self.assertEqual([p["sp"] for p in s["participants"]], [sp_entity])
        self.assertEqual(self.sessions("--user", "petrov"), [])
        text = ctl_ok(self.data, "session", "list")
        self.assertIn(mine[0]["id"] + "  " + USER, text)

        # The store keys a session by the SHA-256 of its cookie token; the ID shown is a prefix.
        b_id = hashlib.sha256(b.cookie("propusk_session").encode()).hexdigest()[:16]
        self.assertIn(b_id, {m["id"] for m in mine})
        out = json.loads(ctl_ok(self.data, "session", "kill", b_id[:10], "--json"))
        self.assertEqual(len(out), 1)
        self.assertEqual(out[0]["id"], b_id)
        # sp-plain's metadata has no SingleLogoutService: reported, not an error.
        self.assertEqual(out[0]["participants"][0]["outcome"], "unreachable")
        self.assertFalse(out[0]["complete"])
        self.assertSessionAlive(b, False)
        self.assertSessionAlive(a, True)

        a_id = hashlib.sha256(a.cookie("propusk_session").encode()).hexdigest()[:16]
        text = ctl_ok(self.data, "session", "kill", "--user", USER)
        self.assertIn("ended session " + a_id + " of " + USER, text)
        self.assertSessionAlive(a, False)
        self.assertEqual([s for s in self.sessions("--user", USER) if s["id"] in {m["id"] for m in mine}], [])

        events = [e for e in self.audit() if e["action"] == "session.logout"]
        ended = {json.loads(e["details"])["session"] for e in events}
        self.assertTrue({m["id"] for m in mine} <= ended)
        self.assertTrue(all(json.loads(e["details"])["by"].startswith("cli:") for e in events[-2:]))
        propagated = [e for e in self.audit() if e["action"] == "logout.propagate" and e["target"] == sp_entity]
        self.assertGreaterEqual(len(propagated), 2)
        self.assertEqual(propagated[-1]["outcome"], "unreachable")

    def test_force_authn_keeps_the_session_participants(self):
        before = {s["id"] for s in self.sessions()}
        b = self.logged_in_browser()  # sp-plain
        first = [s for s in self.sessions() if s["id"] not in before]
        self.assertEqual(len(first), 1)
        xml, rid = self.request("sp-confirmed", force_authn=True)
        page = self.login(b, self.assertRedirectedToLogin(self.send_redirect(b, xml)))
        self.assertSamlAnswer(page, sp="sp-confirmed", in_response_to=rid)
        now = [s for s in self.sessions() if s["id"] not in before]
        self.assertEqual(len(now), 1, now)
        self.assertNotEqual(now[0]["id"], first[0]["id"])  # a new id: no fixation
        self.assertEqual(now[0]["created"], first[0]["created"])
        self.assertEqual(sorted(p["sp"] for p in now[0]["participants"]),
                         sorted([self.sp("sp-plain")[0], self.sp("sp-confirmed")[0]]))
        renewals = [e for e in self.audit() if e["action"] == "session.reauthenticate"]
        self.assertEqual(json.loads(renewals[-1]["details"])["previous"], first[0]["id"])
        self.assertEqual(renewals[-1]["target"], now[0]["id"])

    def test_refusals(self):
        cases = [
            (("session", "kill"), 2, "give either a session ID or --user"),
            (("session", "kill", "abcdef0123", "--user", USER), 2, "give either a session ID or --user"),
            (("session", "kill", "abc"), 1, "ID: must be at least 8 lowercase hex digits"),
            (("session", "kill", "ABCDEF0123"), 1, "ID: must be at least 8 lowercase hex digits"),
            (("session", "kill", "0000000000000000"), 1, "ID: no session starts with 0000000000000000"),
            (("session", "kill", "--user", "nosuch"), 1, "user: no such user 'nosuch'"),
            (("session", "list", "--user", "nosuch"), 1, "user: no such user 'nosuch'"),
            (("session", "list", "extra"), 2, ""),
        ]
        for args, code, message in cases:
            with self.subTest(args=args):
                rc, out, err = ctl(self.data, *args)
                self.assertEqual(rc, code, err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn(message, err)


if __name__ == "__main__":
    unittest.main()

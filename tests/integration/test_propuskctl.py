#!/usr/bin/python3
"""End-to-end tests of propuskctl: each test works on a fresh temporary --data directory.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_propuskctl.py -v
"""

import json
import os
import re
import sqlite3
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import PASSWORD, ctl, ctl_json, ctl_ok  # noqa: E402

setUpModule = lib.require_binaries

# The command table of idp/cli/propuskctl.cpp: command -> options its --help must list.
COMMAND_OPTIONS = {
    "init": ["algorithm", "json"],
    "keys list": ["json"],
    "keys generate": ["algorithm", "json"],
    "keys rotate": ["algorithm", "json"],
    "keys retire": ["json"],
    "sp add": ["trust", "replace", "release", "min-status", "json"],
    "sp list": ["json"],
    "sp show": ["metadata", "json"],
    "sp remove": ["json"],
    "sp set": ["release", "min-status", "allow-sha1", "deny-sha1", "sign", "upstreams", "local-login", "require-mfa",
               "allow-ip", "json"],
    "upstream add": ["name", "map", "level", "link-by", "trust", "display-name", "allow-sha1", "replace", "json"],
    "upstream list": ["json"],
    "upstream show": ["metadata", "json"],
    "upstream set": ["map", "level", "link-by", "allow-sha1", "display-name", "json"],
    "upstream remove": ["json"],
    "user add": ["surname", "given-name", "middle-name", "inn", "snils", "email", "phone", "status", "json"],
    "user show": ["json"],
    "user list": ["json"],
    "user set-status": ["json"],
    "user lock": ["json"],
    "user unlock": ["json"],
    "user passwd": ["json"],
    "user remove": ["json"],
    "user totp": ["json"],
    "audit list": ["after", "limit", "json"],
    "audit verify": ["json"],
}

ALL_ATTRIBUTES = ["displayName", "sn", "givenName", "middleName", "inn", "snils", "accountStatus",
                  "eduPersonAssurance", "mail", "telephoneNumber"]


class CtlCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.dir = lib.temp_dir(self)
        self.data = os.path.join(self.dir, "data")

    def init(self, *args):
        return ctl_json(self.data, "init", *args)

    def assertOneLineError(self, rc, err, code, prefix):
        """Exit `code` and exactly one stderr line starting 'propuskctl: PREFIX'."""
        self.assertEqual(rc, code, f"exit code (stderr: {err!r})")
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, f"one line on stderr, got {err!r}")
        self.assertTrue(lines[0].startswith("propuskctl: " + prefix), f"{lines[0]!r} should start with {prefix!r}")
        return lines[0]

    def assertRefused(self, result, field, *words):
        """Exit 1; the one stderr line is 'propuskctl: FIELD: ...' and contains `words`."""
        rc, out, err = result
        line = self.assertOneLineError(rc, err, 1, field + ":")
        for w in words:
            self.assertIn(w, line)
        return line

    def audit(self):
        return ctl_json(self.data, "audit", "list", "--limit", "100000")

    def users(self):
        return ctl_json(self.data, "user", "list")

    def sps(self):
        return ctl_json(self.data, "sp", "list")

    def db(self):
        conn = sqlite3.connect(lib.store_file(self.data))
        self.addCleanup(conn.close)
        return conn


# ------------------------------------------------------------------------------------ init

class InitTests(CtlCase):
    def test_init_creates_private_store_and_is_idempotent(self):
        first = self.init()
        self.assertTrue(first["created_key"])
        self.assertEqual(first["store"], lib.store_file(self.data))
        self.assertIsInstance(first["schema_version"], int)
        self.assertGreater(first["schema_version"], 0)
        self.assertEqual(stat.S_IMODE(os.stat(self.data).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(lib.store_file(self.data)).st_mode), 0o600)

        second = self.init()
        self.assertFalse(second["created_key"])
        self.assertEqual(second["active_key"]["id"], first["active_key"]["id"])

        rc, out, err = ctl(self.data, "init")
        self.assertEqual(rc, 0, err)
        self.assertIn("kept active signing key " + first["active_key"]["id"], out)

        keys = ctl_json(self.data, "keys", "list")
        self.assertEqual(len(keys), 1)
        self.assertEqual(keys[0]["state"], "active")
        self.assertEqual(keys[0]["id"], first["active_key"]["id"])
        self.assertEqual(keys[0]["algorithm"], "rsa2048")
        self.assertRegex(keys[0]["sha256_fingerprint"], r"^[0-9a-f]{64}$")
        self.assertTrue(keys[0]["sha256_fingerprint"].startswith(keys[0]["id"]))

    def test_init_with_ec_p256(self):
        first = self.init("--algorithm", "ec-p256")
        self.assertEqual(first["active_key"]["algorithm"], "ec-p256")
        self.assertEqual([k["algorithm"] for k in ctl_json(self.data, "keys", "list")], ["ec-p256"])

    def test_commands_before_init_fail_pointing_to_init(self):
        for args in (["keys", "list"], ["keys", "generate"], ["user", "list"], ["user", "show", "demo"],
                     ["sp", "list"], ["sp", "add", lib.EXAMPLE_SP], ["audit", "verify"], ["audit", "list"]):
            with self.subTest(args=args):
                rc, out, err = ctl(self.data, *args)
                self.assertOneLineError(rc, err, 1, "store:")
                self.assertIn("propuskctl init", err)
                self.assertEqual(out, "")
                self.assertFalse(os.path.exists(self.data), "a failed command must not create the data dir")

    def test_init_with_bad_algorithm_creates_nothing(self):
        # Regression: --algorithm is checked before the store is created.
        rc, out, err = ctl(self.data, "init", "--algorithm", "rsa1024")
        self.assertRefused((rc, out, err), "algorithm", "rsa1024")
        self.assertFalse(os.path.exists(lib.store_file(self.data)),
                         "a refused init must not create a store without a key")


# ------------------------------------------------------------------------------------ help / usage

class HelpAndUsageTests(CtlCase):
    def test_top_level_help_lists_every_command(self):
        for flag in ("--help", "-h"):
            rc, out, err = ctl(None, flag, cwd=self.dir)
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.startswith("usage: propuskctl"))
            for name in COMMAND_OPTIONS:
                self.assertRegex(out, r"(?m)^  " + re.escape(name) + r"\b")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "var")))

    def test_every_command_help_lists_its_options(self):
        for name, options in COMMAND_OPTIONS.items():
            with self.subTest(command=name):
                rc, out, err = ctl(None, *name.split(), "--help", cwd=self.dir)
                self.assertEqual(rc, 0, err)
                self.assertEqual(err, "")
                self.assertIn("usage: propuskctl [--data DIR | --config FILE] " + name, out)
                listed = re.findall(r"(?m)^  --([a-z0-9-]+)", out)
                self.assertEqual(sorted(listed), sorted(options))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "var")), "--help must not create ./var")

    def test_group_help_lists_its_commands(self):
        rc, out, err = ctl(None, "user", "--help", cwd=self.dir)
        self.assertEqual(rc, 0, err)
        for name in COMMAND_OPTIONS:
            if name.startswith("user "):
                self.assertIn("propuskctl " + name, out)
        self.assertNotIn("keys list", out)

    def test_usage_errors_exit_2_with_one_line(self):
        cases = [
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["keys", "frobnicate"], "unknown command 'keys frobnicate'"),
            (["keys", "list", "--bogus"], "unknown option --bogus"),
            (["user", "add", "ivanov", "--password", "S3cret-pass"], "unknown option --password"),
            (["user", "passwd", "ivanov", "--password=S3cret-pass"], "unknown option --password"),
            (["audit", "list", "--limit"], "--limit needs a value"),
            (["user", "add", "ivanov", "--surname"], "--surname needs a value"),
            (["keys", "list", "--data"], "--data needs a value"),
            (["keys", "retire"], "expected ID, got 0"),
            (["keys", "list", "extra"], "expected no arguments, got 1"),
            (["user", "set-status", "ivanov"], "expected LOGIN STATUS, got 1"),
            (["sp", "show", "a", "b"], "expected ENTITY_ID, got 2"),
            (["user", "add", "x", "--email", "a@b.ru", "--email", "c@d.ru"], "--email given twice"),
            (["keys", "list", "--json=yes"], "--json takes no value"),
            (["sp", "set", "x", "--allow-sha1", "--deny-sha1"], "not both"),
            (["--data", "a", "--config", "b", "keys", "list"], "either --data or --config"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                rc, out, err = ctl(None, *args, cwd=self.dir)
                line = self.assertOneLineError(rc, err, 2, "")
                self.assertIn(message, line)
                self.assertEqual(out, "")
        self.assertEqual(os.listdir(self.dir), [], "usage errors must not create anything")

    def test_group_without_command_is_a_usage_error_on_stderr(self):
        # A group without its subcommand is a usage error on stderr (DESIGN.md).
        rc, out, err = ctl(None, "keys", cwd=self.dir)
        self.assertEqual(rc, 2)
        self.assertNotEqual(err.strip(), "", "an exit-2 usage error must say why on stderr")


# ------------------------------------------------------------------------------------ keys

class KeyTests(CtlCase):
    def states(self):
        return {k["id"]: k["state"] for k in ctl_json(self.data, "keys", "list")}

    def test_generate_rotate_retire(self):
        a = self.init()["active_key"]["id"]
        n = ctl_json(self.data, "keys", "generate")
        self.assertEqual(n["state"], "next")
        self.assertNotEqual(n["id"], a)
        self.assertEqual(self.states(), {a: "active", n["id"]: "next"})

        r = ctl_json(self.data, "keys", "rotate")
        self.assertEqual(r["active"]["id"], n["id"])
        self.assertEqual(r["active"]["state"], "active")
        self.assertEqual(r["previous"]["id"], a)
        self.assertEqual(r["previous"]["state"], "previous")
        self.assertFalse(r["generated"])
        self.assertEqual(self.states(), {a: "previous", n["id"]: "active"})

        # The active key cannot be retired; nothing changes.
        self.assertRefused(ctl(self.data, "keys", "retire", n["id"]), "key", n["id"], "active")
        self.assertEqual(self.states(), {a: "previous", n["id"]: "active"})

        retired = ctl_json(self.data, "keys", "retire", a)
        self.assertEqual(retired["state"], "retired")
        self.assertEqual(self.states(), {a: "retired", n["id"]: "active"})
        self.assertRefused(ctl(self.data, "keys", "retire", a), "key", "already retired")
        self.assertRefused(ctl(self.data, "keys", "retire", "0123456789abcdef"), "key", "no key")

        # Rotation with no 'next' key makes one.
        r2 = ctl_json(self.data, "keys", "rotate")
        self.assertTrue(r2["generated"])
        self.assertEqual(r2["previous"]["id"], n["id"])
        self.assertEqual(self.states(), {a: "retired", n["id"]: "previous", r2["active"]["id"]: "active"})

        # A 'next' key can be retired before it is ever used.
        n2 = ctl_json(self.data, "keys", "generate")["id"]
        rc, out, err = ctl(self.data, "keys", "retire", n2)
        self.assertEqual(rc, 0, err)
        self.assertIn("retired key " + n2, out)
        self.assertEqual(self.states()[n2], "retired")

    def test_ec_p256_key(self):
        self.init()
        k = ctl_json(self.data, "keys", "generate", "--algorithm", "ec-p256")
        self.assertEqual(k["algorithm"], "ec-p256")
        self.assertEqual(k["state"], "next")
        r = ctl_json(self.data, "keys", "rotate")
        self.assertEqual(r["active"]["id"], k["id"])
        self.assertEqual(r["active"]["algorithm"], "ec-p256")

    def test_bad_algorithm_names_the_field(self):
        a = self.init()["active_key"]["id"]
        for args in (["keys", "generate", "--algorithm", "dsa1024"], ["keys", "rotate", "--algorithm", "rsa512"]):
            with self.subTest(args=args):
                self.assertRefused(ctl(self.data, *args), "algorithm", args[-1])
                self.assertEqual(self.states(), {a: "active"})

    def test_key_output_has_no_private_key(self):
        self.init()
        for args in (["keys", "list"], ["keys", "list", "--json"], ["keys", "generate", "--json"],
                     ["keys", "rotate", "--json"], ["init", "--json"]):
            out = ctl_ok(self.data, *args)
            self.assertNotIn("PRIVATE KEY", out)


# ------------------------------------------------------------------------------------ users

IVANOV = ["--surname", "Иванов", "--given-name", "Иван", "--middle-name", "Иванович",
          "--inn", "500100732259", "--snils", "112-233-445 95", "--phone", "8 (912) 345-67-89",
          "--email", "Ivan.Ivanov@Example.RU", "--status", "confirmed"]


class UserTests(CtlCase):
    def setUp(self):
        super().setUp()
        self.init()

    def add_ivanov(self):
        return ctl_json(self.data, "user", "add", "Ivanov", *IVANOV, input=PASSWORD + "\n")

    def password_hash(self, login):
        row = self.db().execute("SELECT password_hash FROM users WHERE login = ?", (login,)).fetchone()
        return row[0] if row else None

    def test_add_with_every_field_normalised(self):
        u = self.add_ivanov()
        expected = {
            "login": "ivanov", "surname": "Иванов", "given_name": "Иван", "middle_name": "Иванович",
            "inn": "500100732259", "snils": "11223344595", "email": "Ivan.Ivanov@example.ru",
            "phone": "+79123456789", "status": "confirmed", "locked": False, "failed_logins": 0,
        }
        for k, v in expected.items():
            self.assertEqual(u[k], v, k)

        shown = ctl_json(self.data, "user", "show", "IVANOV")
        self.assertEqual({k: shown[k] for k in expected}, expected)
        listed = self.users()
        self.assertEqual(len(listed), 1)
        self.assertEqual({k: listed[0][k] for k in expected}, expected)

        rc, text, err = ctl(self.data, "user", "show", "ivanov")
        self.assertEqual(rc, 0, err)
        self.assertRegex(text, r"(?m)^name:\s+Иванов Иван Иванович$")
        self.assertRegex(text, r"(?m)^SNILS:\s+112-233-445 95$")
        self.assertRegex(text, r"(?m)^INN:\s+500100732259$")
        self.assertRegex(text, r"(?m)^phone:\s+\+79123456789$")
        self.assertRegex(text, r"(?m)^status:\s+confirmed$")
        rc, text_list, err = ctl(self.data, "user", "list")
        self.assertEqual(text_list, "ivanov  confirmed  Иванов Иван Иванович\n")

        stored = self.password_hash("ivanov")
        self.assertTrue(stored.startswith("$argon2id$"), stored)
        self.assertNotIn(PASSWORD, stored)
        for out in (json.dumps(u, ensure_ascii=False), json.dumps(shown, ensure_ascii=False),
                    json.dumps(listed, ensure_ascii=False), text, text_list):
            self.assertNotIn("argon2", out)
            self.assertNotIn(PASSWORD, out)
            self.assertNotIn("password", out.lower())
            self.assertNotIn(stored, out)

    def test_refusals_name_the_field_and_change_nothing(self):
        self.add_ivanov()
        base = ["--surname", "Петров", "--given-name", "Пётр", "--email", "petrov@example.ru"]
        cases = [
            ("inn", ["petrov", *base, "--inn", "500100732258"], PASSWORD, "check digits"),
            ("inn", ["petrov", *base, "--inn", "7707083893"], PASSWORD, "10 digits"),
            ("snils", ["petrov", *base, "--snils", "112-233-445 94"], PASSWORD, "check number"),
            ("phone", ["petrov", *base, "--phone", "+1 212 555 0100"], PASSWORD, ""),
            ("phone", ["petrov", *base, "--phone", "8 (912) 345-67"], PASSWORD, ""),
            ("email", ["petrov", "--surname", "Петров", "--given-name", "Пётр", "--email", "petrov.example.ru"],
             PASSWORD, "@"),
            ("password", ["petrov", *base], "password", "must"),
            ("password", ["petrov", *base], "Petrov-2024!", "login"),
            ("password", ["petrov", *base], "", "empty"),
            ("password", ["petrov", *base], None, "empty"),  # stdin is /dev/null
            ("login", ["ivanov", *base], PASSWORD, "already taken"),
            ("login", ["iv", *base], PASSWORD, ""),
            ("snils", ["petrov", *base, "--snils", "11223344595"], PASSWORD, "another account"),
            ("inn", ["petrov", *base, "--inn", "5001 0073 2259"], PASSWORD, "another account"),
            ("status", ["petrov", *base, "--status", "standard"], PASSWORD, "SNILS"),
            ("status", ["petrov", *base, "--status", "gold"], PASSWORD, ""),
            ("status", ["petrov", "--surname", "Петров", "--given-name", "Пётр"], PASSWORD, "--email or --phone"),
            ("surname", ["petrov", "--given-name", "Пётр", "--email", "p@example.ru"], PASSWORD, "required"),
            ("given-name", ["petrov", "--surname", "Петров", "--email", "p@example.ru"], PASSWORD, "required"),
            ("surname", ["petrov", "--surname", "Petrov1", "--given-name", "Пётр", "--email", "p@example.ru"],
             PASSWORD, "letters"),
        ]
        users_before = self.users()
        audit_before = self.audit()
        for field, args, password, words in cases:
            with self.subTest(field=field, args=args, password=password):
                stdin = None if password is None else password + "\n"
                self.assertRefused(ctl(self.data, "user", "add", *args, input=stdin), field, words)
                self.assertEqual(self.users(), users_before)
        self.assertEqual(self.audit(), audit_before, "refusals must not write audit events")
        self.assertIsNone(self.password_hash("petrov"))

    def test_status_lock_passwd_remove(self):
        ctl_json(self.data, "user", "add", "sidorov", "--surname", "Сидоров", "--given-name", "Сидор",
                 "--email", "sidorov@example.ru", input=PASSWORD + "\n")
        self.assertEqual(ctl_json(self.data, "user", "show", "sidorov")["status"], "simplified")

        # standard needs a SNILS this account lacks; nothing changes.
        self.assertRefused(ctl(self.data, "user", "set-status", "sidorov", "standard"), "status", "SNILS")
        self.assertRefused(ctl(self.data, "user", "set-status", "sidorov", "gold"), "status")
        self.assertEqual(ctl_json(self.data, "user", "show", "sidorov")["status"], "simplified")

        self.add_ivanov()
        self.assertEqual(ctl_json(self.data, "user", "set-status", "ivanov", "standard")["status"], "standard")
        self.assertEqual(ctl_json(self.data, "user", "show", "ivanov")["status"], "standard")

        self.assertTrue(ctl_json(self.data, "user", "lock", "sidorov")["locked"])
        self.assertTrue(ctl_json(self.data, "user", "show", "sidorov")["locked"])
        line = [l for l in ctl_ok(self.data, "user", "list").splitlines() if l.startswith("sidorov ")]
        self.assertEqual(line, ["sidorov  simplified  locked  Сидоров Сидор"])
        self.assertFalse(ctl_json(self.data, "user", "unlock", "sidorov")["locked"])
        self.assertFalse(ctl_json(self.data, "user", "show", "sidorov")["locked"])

        before = self.password_hash("sidorov")
        self.assertRefused(ctl(self.data, "user", "passwd", "sidorov", input="short\n"), "password")
        self.assertRefused(ctl(self.data, "user", "passwd", "sidorov"), "password", "empty")
        self.assertEqual(self.password_hash("sidorov"), before)
        rc, out, err = ctl(self.data, "user", "passwd", "sidorov", input="N0vyj-Parol-2\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "password changed for sidorov\n")
        after = self.password_hash("sidorov")
        self.assertNotEqual(after, before)
        self.assertTrue(after.startswith("$argon2id$"))

        self.assertEqual(ctl_json(self.data, "user", "remove", "Sidorov"), {"removed": "sidorov"})
        self.assertRefused(ctl(self.data, "user", "show", "sidorov"), "login", "no such user")
        self.assertEqual([u["login"] for u in self.users()], ["ivanov"])
        self.assertIsNone(self.password_hash("sidorov"))

    def test_commands_on_unknown_login_name_login(self):
        self.add_ivanov()
        users_before = self.users()
        for args, stdin in ((["show", "nobody"], None), (["set-status", "nobody", "confirmed"], None),
                            (["lock", "nobody"], None), (["unlock", "nobody"], None),
                            (["passwd", "nobody"], "N0vyj-Parol-2\n"), (["remove", "nobody"], None)):
            with self.subTest(args=args):
                self.assertRefused(ctl(self.data, "user", *args, input=stdin), "login", "no such user 'nobody'")
        self.assertEqual(self.users(), users_before)

    def test_password_cannot_be_an_argument(self):
        for args in (["add", "petrov", "--surname", "Петров", "--given-name", "Пётр", "--email", "p@example.ru",
                      "--password", PASSWORD],
                     ["passwd", "ivanov", "--password", PASSWORD]):
            with self.subTest(args=args):
                rc, out, err = ctl(self.data, "user", *args, input=PASSWORD + "\n")
                self.assertOneLineError(rc, err, 2, "user ")
                self.assertIn("unknown option --password", err)
                self.assertNotIn(PASSWORD, err)
        self.assertEqual(self.users(), [])


# ------------------------------------------------------------------------------------ SPs

class SpTests(CtlCase):
    def setUp(self):
        super().setUp()
        self.init()

    def show(self, entity_id=lib.EXAMPLE_SP_ID):
        return ctl_json(self.data, "sp", "show", entity_id)

    def test_add_list_show(self):
        rc, out, err = ctl(self.data, "sp", "add", lib.EXAMPLE_SP)
        self.assertEqual(rc, 0, err)
        self.assertIn("registered " + lib.EXAMPLE_SP_ID, out)
        self.assertIn("releases no attributes yet", out)

        rc, out, err = ctl(self.data, "sp", "list")
        self.assertEqual(out, lib.EXAMPLE_SP_ID + "  min-status simplified  release none\n")
        listed = self.sps()
        self.assertEqual([s["entity_id"] for s in listed], [lib.EXAMPLE_SP_ID])
        self.assertEqual(listed[0]["release"], [])
        self.assertEqual(listed[0]["sign"], "both")
        self.assertFalse(listed[0]["allow_sha1"])

        sp = self.show()
        self.assertEqual(sp["source"], lib.EXAMPLE_SP)
        self.assertFalse(sp["metadata_signature_verified"])
        self.assertTrue(sp["want_assertions_signed"])
        self.assertFalse(sp["authn_requests_signed"])
        self.assertEqual(sp["name_id_formats"], ["urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"])
        self.assertEqual(sp["assertion_consumer_services"], [
            {"binding": lib.BINDING_POST, "location": "https://sp.example.org/Shibboleth.sso/SAML2/POST",
             "index": 0, "is_default": True},
            {"binding": lib.BINDING_REDIRECT, "location": "https://sp.example.org/Shibboleth.sso/SAML2/Redirect",
             "index": 1},
        ])
        self.assertEqual(sp["single_logout_services"], [
            {"binding": lib.BINDING_REDIRECT, "location": "https://sp.example.org/Shibboleth.sso/SLO/Redirect"}])

        rc, text, err = ctl(self.data, "sp", "show", lib.EXAMPLE_SP_ID)
        self.assertEqual(rc, 0, err)
        self.assertIn("ACS:                https://sp.example.org/Shibboleth.sso/SAML2/POST  "
                      "[urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST, index 0, default]", text)
        self.assertIn("https://sp.example.org/Shibboleth.sso/SAML2/Redirect  "
                      "[urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect, index 1]", text)
        self.assertRegex(text, r"(?m)^release:\s+none$")

        with open(lib.EXAMPLE_SP, encoding="utf-8") as f:
            self.assertEqual(ctl_ok(self.data, "sp", "show", lib.EXAMPLE_SP_ID, "--metadata"), f.read())
        self.assertRefused(ctl(self.data, "sp", "show", "https://unknown.test/sp"), "entityID", "no registered SP")

    def test_add_again_refused_unless_replace_which_keeps_policy(self):
        ctl_ok(self.data, "sp", "add", lib.EXAMPLE_SP)
        ctl_ok(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--release", "inn,snils", "--min-status", "confirmed")
        self.assertRefused(ctl(self.data, "sp", "add", lib.EXAMPLE_SP), "entityID", "already registered", "--replace")

        # New metadata for the same entityID, with another ACS.
        new_md = lib.sp_metadata(os.path.join(self.dir, "new.xml"), lib.EXAMPLE_SP_ID,
                                 "https://sp.example.org/new/acs")
        r = ctl_json(self.data, "sp", "add", new_md, "--replace")
        self.assertTrue(r["replaced"])
        sp = self.show()
        self.assertEqual(sp["release"], ["inn", "snils"])
        self.assertEqual(sp["min_status"], "confirmed")
        self.assertEqual([a["location"] for a in sp["assertion_consumer_services"]], ["https://sp.example.org/new/acs"])
        self.assertEqual(sp["source"], new_md)
        self.assertEqual(len(self.sps()), 1)

    def test_add_with_policy_options(self):
        sp = ctl_json(self.data, "sp", "add", lib.EXAMPLE_SP, "--release", "displayName, mail", "--min-status",
                      "standard")
        self.assertEqual(sp["release"], ["displayName", "mail"])
        self.assertEqual(sp["min_status"], "standard")
        other = lib.sp_metadata(os.path.join(self.dir, "o.xml"), "https://other.sp.test/sp")
        self.assertRefused(ctl(self.data, "sp", "add", other, "--release", "password"), "release", "password")
        self.assertRefused(ctl(self.data, "sp", "add", other, "--min-status", "gold"), "min-status")
        self.assertEqual([s["entity_id"] for s in self.sps()], [lib.EXAMPLE_SP_ID])

    def test_set_policy_and_refusals(self):
        ctl_ok(self.data, "sp", "add", lib.EXAMPLE_SP)
        r = ctl_json(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--release", "displayName,inn", "--min-status",
                     "standard", "--allow-sha1", "--sign", "assertion")
        self.assertEqual(r["release"], ["displayName", "inn"])
        sp = self.show()
        self.assertEqual(sp["release"], ["displayName", "inn"])
        self.assertEqual(sp["min_status"], "standard")
        self.assertTrue(sp["allow_sha1"])
        self.assertEqual(sp["sign"], "assertion")

        for args, field in ((["--release", "displayName,passport"], "release"),
                            (["--min-status", "gold"], "min-status"),
                            (["--sign", "nothing"], "sign"),
                            ([], "nothing to change")):
            with self.subTest(args=args):
                self.assertRefused(ctl(self.data, "sp", "set", lib.EXAMPLE_SP_ID, *args), field)
        self.assertEqual(self.show(), sp)
        self.assertRefused(ctl(self.data, "sp", "set", "https://unknown.test/sp", "--sign", "both"), "entityID")

        ctl_ok(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--deny-sha1", "--release", "none", "--sign", "response")
        sp = self.show()
        self.assertFalse(sp["allow_sha1"])
        self.assertEqual(sp["release"], [])
        self.assertEqual(sp["sign"], "response")

        ctl_ok(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--release", ",".join(ALL_ATTRIBUTES))
        self.assertEqual(self.show()["release"], ALL_ATTRIBUTES)

    def test_remove(self):
        ctl_ok(self.data, "sp", "add", lib.EXAMPLE_SP)
        self.assertEqual(ctl_json(self.data, "sp", "remove", lib.EXAMPLE_SP_ID), {"removed": lib.EXAMPLE_SP_ID})
        self.assertEqual(self.sps(), [])
        self.assertRefused(ctl(self.data, "sp", "remove", lib.EXAMPLE_SP_ID), "entityID", "no registered SP")
        self.assertRefused(ctl(self.data, "sp", "show", lib.EXAMPLE_SP_ID), "entityID")

    def test_bad_metadata_is_refused_and_nothing_stored(self):
        d = self.dir
        eid = "https://bad.sp.test/sp"
        cases = [
            ("relative ACS", lib.sp_metadata(os.path.join(d, "rel.xml"), eid, "/Shibboleth.sso/SAML2/POST"),
             ["'/Shibboleth.sso/SAML2/POST' is not an absolute http(s) URL"]),
            ("javascript ACS", lib.sp_metadata(os.path.join(d, "js.xml"), eid, "javascript:alert(document.cookie)"),
             ["javascript:alert", "not an absolute http(s) URL"]),
            ("aggregate", os.path.join(lib.DATA, "entities.xml"), ["EntitiesDescriptor"]),
            ("IdP only", os.path.join(lib.DATA, "idp-only.xml"), ["no SPSSODescriptor"]),
            ("expired", lib.sp_metadata(os.path.join(d, "exp.xml"), eid,
                                        extra_root_attrs=' validUntil="2020-01-01T00:00:00Z"'),
             ["expired", "validUntil"]),
            ("not XML", lib.write(os.path.join(d, "not.xml"), "this is not metadata\n"), ["not well-formed XML"]),
            ("empty", lib.write(os.path.join(d, "empty.xml"), ""), []),
            ("DOCTYPE / XXE", os.path.join(lib.DATA, "xxe.xml"), ["DTD"]),
            ("schema: ACS without index", lib.sp_metadata(os.path.join(d, "noidx.xml"), eid, acs_index=""),
             ["schema", "index"]),
            ("schema: unknown element", lib.write(
                os.path.join(d, "unk.xml"),
                lib.read_data("sp-template.xml").replace("@ENTITY_ID@", eid).replace("@ACS_LOCATION@", eid + "/acs")
                .replace("@EXTRA_ROOT_ATTRS@", "").replace("@ACS_INDEX@", 'index="0"')
                .replace("<md:NameIDFormat>", "<md:Bogus/><md:NameIDFormat>")), ["schema"]),
            ("missing file", os.path.join(d, "does-not-exist.xml"), ["cannot read"]),
        ]
        audit_before = self.audit()
        for name, path, words in cases:
            with self.subTest(case=name):
                self.assertRefused(ctl(self.data, "sp", "add", path), "metadata", *words)
                self.assertEqual(self.sps(), [])
        self.assertEqual(self.audit(), audit_before)
        with open(lib.store_file(self.data), "rb") as f:
            self.assertNotIn(b"root:x:0:0", f.read(), "XXE must not read /etc/passwd into the store")

    def test_add_from_url(self):
        with open(lib.EXAMPLE_SP, "rb") as f:
            body = f.read()
        with lib.MetadataHttpServer({"/md/example.xml": body}) as srv:
            url = srv.url("/md/example.xml")
            sp = ctl_json(self.data, "sp", "add", url)
            self.assertEqual(sp["entity_id"], lib.EXAMPLE_SP_ID)
            self.assertEqual(self.show()["source"], url)
            self.assertRefused(ctl(self.data, "sp", "add", srv.url("/md/missing.xml"), "--replace"), "metadata",
                               "404", srv.url("/md/missing.xml"))
        self.assertEqual(self.show()["source"], url)
        # Nothing listens there any more.
        self.assertRefused(ctl(self.data, "sp", "add", url, "--replace"), "metadata", "cannot fetch")


class SignedMetadataTests(CtlCase):
    ENTITY = "https://signed.sp.test/sp"

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.keys_dir = tempfile.mkdtemp(prefix="propusk-it-keys-")
        cls.addClassCleanup(lambda: __import__("shutil").rmtree(cls.keys_dir, ignore_errors=True))
        cls.key, cls.cert = lib.openssl_key_cert(cls.keys_dir, "sp-signer")
        cls.other_key, cls.other_cert = lib.openssl_key_cert(cls.keys_dir, "someone-else")
        cls.signed = lib.signed_sp_metadata(cls.keys_dir, cls.ENTITY, cls.key, cls.cert)
        with open(cls.signed, encoding="utf-8") as f:
            text = f.read()
        assert re.search(r"<ds:SignatureValue>\s*[A-Za-z0-9+/]", text), "xmlsec1 filled in the signature"
        assert "https://signed.sp.test/acs" in text
        cls.tampered = lib.write(os.path.join(cls.keys_dir, "tampered.xml"),
                                 text.replace("https://signed.sp.test/acs", "https://evil.test/acs"))

    def setUp(self):
        super().setUp()
        self.init()

    def test_signed_metadata_with_the_right_trust_anchor(self):
        rc, out, err = ctl(self.data, "sp", "add", self.signed, "--trust", self.cert)
        self.assertEqual(rc, 0, err)
        self.assertIn("metadata signature verified with the trust anchor", out)
        sp = ctl_json(self.data, "sp", "show", self.ENTITY)
        self.assertTrue(sp["metadata_signature_verified"])
        self.assertEqual([a["location"] for a in sp["assertion_consumer_services"]], ["https://signed.sp.test/acs"])

    def test_wrong_trust_anchor_refused(self):
        self.assertRefused(ctl(self.data, "sp", "add", self.signed, "--trust", self.other_cert), "metadata",
                           "signature")
        self.assertEqual(self.sps(), [])

    def test_modified_after_signing_refused(self):
        self.assertRefused(ctl(self.data, "sp", "add", self.tampered, "--trust", self.cert), "metadata", "signature")
        self.assertEqual(self.sps(), [])

    def test_unsigned_with_trust_refused(self):
        unsigned = lib.sp_metadata(os.path.join(self.dir, "u.xml"), self.ENTITY)
        self.assertRefused(ctl(self.data, "sp", "add", unsigned, "--trust", self.cert), "metadata", "not signed")
        self.assertEqual(self.sps(), [])

    def test_bad_trust_file_refused(self):
        self.assertRefused(ctl(self.data, "sp", "add", self.signed, "--trust", os.path.join(self.dir, "none.pem")),
                           "trust")
        self.assertRefused(ctl(self.data, "sp", "add", self.signed, "--trust", lib.EXAMPLE_SP), "trust")
        self.assertEqual(self.sps(), [])

    def test_signed_without_trust_warns_and_is_not_verified(self):
        rc, out, err = ctl(self.data, "sp", "add", self.signed)
        self.assertEqual(rc, 0, err)
        self.assertIn("warning", err)
        self.assertIn("not checked", err)
        self.assertFalse(ctl_json(self.data, "sp", "show", self.ENTITY)["metadata_signature_verified"])
        # Upgrading to verified with --replace --trust.
        ctl_ok(self.data, "sp", "add", self.signed, "--trust", self.cert, "--replace")
        self.assertTrue(ctl_json(self.data, "sp", "show", self.ENTITY)["metadata_signature_verified"])


# ------------------------------------------------------------------------------------ upstreams (gateway)

ESIA_MAP = """# ESIA attributes onto Propusk's
urn:oid:1.2.643.100.3 = snils | digits
urn:oid:1.2.643.3.131.1.1 = inn
urn:oid:2.16.840.1.113730.3.1.241 = displayName
urn:oid:0.9.2342.19200300.100.1.3 = mail | lower
"""


class UpstreamTests(CtlCase):
    ENTITY = "https://esia.test/idp"

    @classmethod
    def setUpClass(cls):
        import shutil
        import tempfile
        cls.keys_dir = tempfile.mkdtemp(prefix="propusk-it-keys-")
        cls.addClassCleanup(lambda: shutil.rmtree(cls.keys_dir, ignore_errors=True))
        cls.key, cls.cert = lib.openssl_key_cert(cls.keys_dir, "esia-signer")
        cls.other_key, cls.other_cert = lib.openssl_key_cert(cls.keys_dir, "someone-else")
        cls.signed = lib.signed_idp_metadata(cls.keys_dir, "https://signed.idp.test/idp", cls.key, cls.cert)
        with open(cls.signed, encoding="utf-8") as f:
            text = f.read()
        assert re.search(r"<ds:SignatureValue>\s*[A-Za-z0-9+/]", text), "xmlsec1 filled in the signature"
        cls.tampered = lib.write(os.path.join(cls.keys_dir, "tampered.xml"),
                                 text.replace("https://signed.idp.test/idp/sso", "https://evil.test/sso"))

    def setUp(self):
        super().setUp()
        self.init()
        self.md = lib.idp_metadata(os.path.join(self.dir, "esia.xml"), self.ENTITY, self.cert)
        self.map = lib.write(os.path.join(self.dir, "esia.map"), ESIA_MAP)

    def add(self, *extra, md=None, name="esia", level="confirmed", link_by="snils", map_file=None):
        return ctl(self.data, "upstream", "add", md or self.md, "--name", name, "--map", map_file or self.map,
                   "--level", level, "--link-by", link_by, *extra)

    def add_ok(self, *extra, **kw):
        rc, out, err = self.add(*extra, **kw)
        self.assertEqual(rc, 0, err)
        return out

    def show(self, name="esia"):
        return ctl_json(self.data, "upstream", "show", name)

    def upstreams(self):
        return ctl_json(self.data, "upstream", "list")

    def test_add_list_show_set_remove(self):
        out = self.add_ok("--display-name", "Госуслуги")
        self.assertIn("registered upstream esia (https://esia.test/idp)", out)
        self.assertIn("--upstreams esia", out)  # what to do next

        self.assertEqual(ctl_ok(self.data, "upstream", "list"),
                         "esia  https://esia.test/idp  level confirmed  link-by snils\n")
        listed = self.upstreams()
        self.assertEqual([u["name"] for u in listed], ["esia"])
        self.assertEqual(listed[0]["display_name"], "Госуслуги")
        self.assertFalse(listed[0]["allow_sha1"])

        u = self.show()
        self.assertEqual(u["entity_id"], self.ENTITY)
        self.assertEqual(u["level"], "confirmed")
        self.assertEqual(u["link_by"], "snils")
        self.assertEqual(u["source"], self.md)
        self.assertFalse(u["metadata_signature_verified"])
        self.assertEqual(u["single_sign_on_services"], [
            {"binding": lib.BINDING_REDIRECT, "location": "https://esia.test/idp/sso"},
            {"binding": lib.BINDING_POST, "location": "https://esia.test/idp/sso"}])
        self.assertEqual(u["single_logout_services"], [
            {"binding": lib.BINDING_REDIRECT, "location": "https://esia.test/idp/slo"}])
        self.assertEqual(len(u["signing_certificates"]), 1)
        cert = u["signing_certificates"][0]
        self.assertEqual(cert["subject"], "CN=esia-signer")
        self.assertRegex(cert["not_after"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(cert["sha256"], lib.der_sha256_hex(lib.certificate_base64(self.cert)))
        self.assertEqual([(m["line"], m["upstream"], m["target"], m["transforms"]) for m in u["map"]], [
            (2, "urn:oid:1.2.643.100.3", "snils", ["digits"]),
            (3, "urn:oid:1.2.643.3.131.1.1", "inn", []),
            (4, "urn:oid:2.16.840.1.113730.3.1.241", "displayName", []),
            (5, "urn:oid:0.9.2342.19200300.100.1.3", "mail", ["lower"])])
        self.assertEqual(u["linked_accounts"], 0)
        self.assertEqual(u["last_refusals"], [])

        text = ctl_ok(self.data, "upstream", "show", "esia")
        self.assertIn("SSO:                https://esia.test/idp/sso  [" + lib.BINDING_POST + "]", text)
        self.assertIn("SLO:                https://esia.test/idp/slo", text)
        self.assertRegex(text, r"(?m)^signing cert:\s+CN=esia-signer, expires \d{4}-")
        self.assertRegex(text, r"(?m)^level:\s+confirmed$")
        self.assertRegex(text, r"(?m)^link by:\s+snils$")
        self.assertRegex(text, r"(?m)^allow SHA-1:\s+no$")
        self.assertIn("\n  urn:oid:1.2.643.100.3 = snils | digits\n", text)
        self.assertRegex(text, r"(?m)^linked accounts:\s+0$")
        self.assertRegex(text, r"(?m)^last refusals:\s+none$")
        with open(self.md, encoding="utf-8") as f:
            self.assertEqual(ctl_ok(self.data, "upstream", "show", "esia", "--metadata"), f.read())

        new_map = lib.write(os.path.join(self.dir, "inn.map"), "urn:oid:1.2.643.3.131.1.1 = inn\n")
        r = ctl_json(self.data, "upstream", "set", "esia", "--map", new_map, "--link-by", "inn", "--level", "standard",
                     "--allow-sha1", "yes", "--display-name", "ЕСИА")
        self.assertEqual(r["level"], "standard")
        u = self.show()
        self.assertEqual(u["link_by"], "inn")
        self.assertEqual(u["level"], "standard")
        self.assertTrue(u["allow_sha1"])
        self.assertEqual(u["display_name"], "ЕСИА")
        self.assertEqual([m["target"] for m in u["map"]], ["inn"])
        self.assertEqual(ctl_ok(self.data, "upstream", "set", "esia", "--allow-sha1", "no"), "updated upstream esia\n")
        self.assertFalse(self.show()["allow_sha1"])

        self.assertEqual(ctl_json(self.data, "upstream", "remove", "esia"), {"removed": "esia", "links_removed": 0})
        self.assertEqual(self.upstreams(), [])
        self.assertRefused(ctl(self.data, "upstream", "remove", "esia"), "name", "no registered upstream 'esia'")
        self.assertRefused(ctl(self.data, "upstream", "show", "esia"), "name", "no registered upstream")

        got = [(e["action"], e["target"]) for e in self.audit() if e["action"].startswith("upstream.")]
        self.assertEqual(got, [("upstream.add", "esia"), ("upstream.set", "esia"), ("upstream.set", "esia"),
                               ("upstream.remove", "esia")])

    def test_refusals_name_the_field_and_store_nothing(self):
        before = len(self.audit())
        bad_map = lib.write(os.path.join(self.dir, "bad.map"), "sn = sn\nthis line has no equals sign\n")
        unknown_target = lib.write(os.path.join(self.dir, "unknown.map"), "x = surname\n")
        no_snils = lib.write(os.path.join(self.dir, "nosnils.map"), "x = displayName\n")
        cases = [
            (self.add(map_file=bad_map), "map", ["line 2", "no '='"]),
            (self.add(map_file=unknown_target), "map", ["line 1", "unknown Propusk attribute 'surname'"]),
            (self.add(map_file=os.path.join(self.dir, "missing.map")), "map", ["cannot read"]),
            (self.add(map_file=no_snils), "link-by", ["snils"]),
            (self.add(level="gold"), "level", ["simplified, standard or confirmed"]),
            (self.add(link_by="passport"), "link-by", ["snils, inn, email or none"]),
            (self.add(name="Esia"), "name", ["a-z"]),
            (self.add(name="all"), "name", ["reserved"]),
            (self.add(name="x" * 33), "name", ["1..32"]),
            (self.add(md=lib.EXAMPLE_SP), "metadata", ["IDPSSODescriptor"]),
            (self.add(md=os.path.join(self.dir, "none.xml")), "metadata", ["cannot read"]),
            (self.add("--display-name", "a\x1b[2Jb"), "display-name", []),
            (ctl(self.data, "upstream", "add", self.md, "--map", self.map, "--level", "confirmed", "--link-by",
                 "snils"), "name", ["required"]),
            (ctl(self.data, "upstream", "add", self.md, "--name", "esia", "--level", "confirmed", "--link-by",
                 "snils"), "map", ["required"]),
        ]
        for result, field, words in cases:
            with self.subTest(field=field, words=words):
                self.assertRefused(result, field, *words)
        self.assertEqual(self.upstreams(), [])
        self.assertEqual(len(self.audit()), before)

        self.add_ok()
        for args, field in ((["--level", "gold"], "level"), (["--allow-sha1", "maybe"], "allow-sha1"),
                            (["--map", bad_map], "map"), (["--map", no_snils], "link-by"),
                            ([], "nothing to change")):
            with self.subTest(args=args):
                self.assertRefused(ctl(self.data, "upstream", "set", "esia", *args), field)
        self.assertRefused(ctl(self.data, "upstream", "set", "bank", "--level", "simplified"), "name",
                           "no registered upstream 'bank'")
        self.assertEqual(self.show()["level"], "confirmed")

    def test_expired_metadata_refused(self):
        past = lib.write(os.path.join(self.dir, "old.xml"), "")
        lib.idp_metadata(past, self.ENTITY, self.cert, valid_until="2020-01-01T00:00:00Z")
        self.assertRefused(self.add(md=past), "metadata", "expired", "2020-01-01T00:00:00Z")
        self.assertEqual(self.upstreams(), [])
        future = lib.idp_metadata(os.path.join(self.dir, "new.xml"), self.ENTITY, self.cert,
                                  valid_until="2099-01-01T00:00:00Z")
        self.add_ok(md=future)
        self.assertEqual(self.show()["valid_until"], "2099-01-01T00:00:00Z")

    def test_signed_metadata_with_and_without_trust(self):
        self.assertRefused(self.add("--trust", self.other_cert, md=self.signed), "metadata", "signature")
        self.assertRefused(self.add("--trust", self.cert, md=self.tampered), "metadata", "signature")
        self.assertRefused(self.add("--trust", self.cert), "metadata", "not signed")
        self.assertRefused(self.add("--trust", os.path.join(self.dir, "none.pem"), md=self.signed), "trust")
        self.assertEqual(self.upstreams(), [])

        rc, out, err = self.add(md=self.signed)
        self.assertEqual(rc, 0, err)
        self.assertIn("warning", err)
        self.assertIn("not checked", err)
        self.assertFalse(self.show()["metadata_signature_verified"])

        rc, out, err = self.add("--trust", self.cert, "--replace", md=self.signed)
        self.assertEqual(rc, 0, err)
        self.assertIn("metadata signature verified with the trust anchor", out)
        self.assertEqual(err, "")
        self.assertTrue(self.show()["metadata_signature_verified"])

    def test_name_and_entity_id_conflicts(self):
        self.add_ok()
        self.assertRefused(self.add(), "name", "already registered", "--replace")
        self.assertRefused(self.add(name="esia-copy"), "entityID", "already registered as upstream 'esia'")
        # --replace updates an upstream, it does not put another IdP under its name: that IdP would
        # inherit the account links (keyed by the name) and log in as the people linked to the first.
        other = lib.idp_metadata(os.path.join(self.dir, "other.xml"), "https://other.idp.test/idp", self.cert)
        self.assertRefused(self.add("--replace", md=other, level="standard"), "metadata",
                           "is not upstream 'esia''s https://esia.test/idp")
        self.assertEqual(self.show()["entity_id"], "https://esia.test/idp")
        r = json.loads(self.add_ok("--replace", "--json", level="standard"))
        self.assertTrue(r["replaced"])
        self.assertEqual(self.show()["level"], "standard")
        # Another IdP under another name; an SP of ours may share an IdP's entityID.
        self.add_ok(name="esia2", md=other)
        sp_md = lib.sp_metadata(os.path.join(self.dir, "sp.xml"), "https://other.idp.test/idp")
        ctl_ok(self.data, "sp", "add", sp_md)
        self.assertEqual([u["name"] for u in self.upstreams()], ["esia", "esia2"])

    def test_add_from_url(self):
        with open(self.md, "rb") as f:
            body = f.read()
        with lib.MetadataHttpServer({"/md/esia.xml": body}) as srv:
            rc, out, err = self.add(md=srv.url("/md/esia.xml"))
            self.assertEqual(rc, 0, err)
            self.assertIn("plain http://", err)  # warned: no --trust over http
            self.assertRefused(self.add(md=srv.url("/md/missing.xml"), name="esia2"), "metadata", "404")
        self.assertEqual(self.show()["source"], srv.url("/md/esia.xml"))

    def test_sp_upstreams_and_local_login(self):
        self.add_ok()
        ctl_ok(self.data, "sp", "add", lib.EXAMPLE_SP)
        sp = ctl_json(self.data, "sp", "show", lib.EXAMPLE_SP_ID)
        self.assertEqual(sp["upstreams"], [])
        self.assertTrue(sp["local_login"])
        self.assertRefused(ctl(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--upstreams", "esia,bank"), "upstreams",
                           "no registered upstream 'bank'")
        self.assertRefused(ctl(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--upstreams", "all,esia"), "upstreams")
        self.assertRefused(ctl(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--local-login", "maybe"), "local-login")
        self.assertRefused(ctl(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--local-login", "no"), "local-login",
                           "nobody could log in")
        self.assertEqual(ctl_json(self.data, "sp", "show", lib.EXAMPLE_SP_ID)["upstreams"], [])

        ctl_ok(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--upstreams", "esia", "--local-login", "no")
        sp = ctl_json(self.data, "sp", "show", lib.EXAMPLE_SP_ID)
        self.assertEqual(sp["upstreams"], ["esia"])
        self.assertFalse(sp["local_login"])
        text = ctl_ok(self.data, "sp", "show", lib.EXAMPLE_SP_ID)
        self.assertRegex(text, r"(?m)^upstreams:\s+esia$")
        self.assertRegex(text, r"(?m)^local login:\s+no$")

        ctl_ok(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--upstreams", "all")
        self.assertEqual(ctl_json(self.data, "sp", "show", lib.EXAMPLE_SP_ID)["upstreams"], ["*"])
        self.assertRegex(ctl_ok(self.data, "sp", "show", lib.EXAMPLE_SP_ID), r"(?m)^upstreams:\s+all registered")
        self.assertRefused(ctl(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--upstreams", "none"), "local-login")
        ctl_ok(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--upstreams", "none", "--local-login", "yes")
        sp = ctl_json(self.data, "sp", "show", lib.EXAMPLE_SP_ID)
        self.assertEqual((sp["upstreams"], sp["local_login"]), ([], True))

        # Removing an upstream an SP still names warns (a later upstream of that name would be allowed).
        ctl_ok(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--upstreams", "esia")
        rc, out, err = ctl(self.data, "upstream", "remove", "esia")
        self.assertEqual(rc, 0, err)
        self.assertIn("SP " + lib.EXAMPLE_SP_ID + " still lists upstream 'esia'", err)

    def test_links_in_user_show_and_upstream_show(self):
        self.add_ok()
        ctl_ok(self.data, "user", "add", "ivanov", *IVANOV, input=PASSWORD + "\n")
        user = ctl_json(self.data, "user", "show", "ivanov")
        self.assertEqual(user["links"], [])
        self.assertRegex(ctl_ok(self.data, "user", "show", "ivanov"), r"(?m)^links:\s+none$")
        # The gateway links accounts at login; here the row is written behind the CLI's back.
        conn = self.db()
        conn.execute("INSERT INTO account_links (upstream, subject, user_id, linked_at) "
                     "SELECT 'esia', 'AAdzZWNyZXQx', id, 1767225600 FROM users WHERE login = 'ivanov'")
        conn.commit()
        user = ctl_json(self.data, "user", "show", "ivanov")
        self.assertEqual(user["links"], [{"upstream": "esia", "subject": "AAdzZWNyZXQx",
                                          "linked_at": "2026-01-01T00:00:00Z"}])
        self.assertIn("\n  esia  AAdzZWNyZXQx  linked 2026-01-01T00:00:00Z\n", ctl_ok(self.data, "user", "show", "ivanov"))
        self.assertEqual(self.show()["linked_accounts"], 1)

        # A refused Response from the upstream (the gateway logs them with its name as the target).
        conn.execute("INSERT INTO audit_log SELECT seq + 1, time, 'web', 'upstream.response', 'esia', 'refused', "
                     "'{\"step\":\"signature\",\"detail\":\"no signature verifies\",\"authenticated\":false}', "
                     "hash, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        conn.commit()
        refusals = self.show()["last_refusals"]
        self.assertEqual([(r["action"], r["step"], r["detail"]) for r in refusals],
                         [("upstream.response", "signature", "no signature verifies")])
        text = ctl_ok(self.data, "upstream", "show", "esia")
        self.assertIn("step signature: no signature verifies", text)
        self.assertIn("did not prove to be this upstream", text)

        self.assertEqual(ctl_json(self.data, "upstream", "remove", "esia"), {"removed": "esia", "links_removed": 1})
        self.assertEqual(ctl_json(self.data, "user", "show", "ivanov")["links"], [])  # the account stays
        remove = [e for e in self.audit() if e["action"] == "upstream.remove"]
        self.assertEqual(json.loads(remove[0]["details"]), {"links": 1})


# ------------------------------------------------------------------------------------ audit

class AuditTests(CtlCase):
    def test_every_change_is_audited_without_secrets(self):
        first = self.init()["active_key"]["id"]
        new_password = "Drug0j-Parol!"
        ctl_ok(self.data, "user", "add", "ivanov", *IVANOV, input=PASSWORD + "\n")
        ctl_ok(self.data, "user", "set-status", "ivanov", "standard")
        ctl_ok(self.data, "user", "lock", "ivanov")
        ctl_ok(self.data, "user", "unlock", "ivanov")
        ctl_ok(self.data, "user", "passwd", "ivanov", input=new_password + "\n")
        ctl_ok(self.data, "sp", "add", lib.EXAMPLE_SP)
        ctl_ok(self.data, "sp", "set", lib.EXAMPLE_SP_ID, "--release", "inn")
        ctl_ok(self.data, "sp", "add", lib.EXAMPLE_SP, "--replace")
        ctl_ok(self.data, "sp", "remove", lib.EXAMPLE_SP_ID)
        nxt = ctl_json(self.data, "keys", "generate")["id"]
        ctl_ok(self.data, "keys", "rotate")
        ctl_ok(self.data, "keys", "retire", first)
        ctl_ok(self.data, "user", "remove", "ivanov")

        events = self.audit()
        got = [(e["action"], e["target"]) for e in events]
        expected = [
            ("key.generate", first), ("factor-key.create", os.path.join(self.data, "factor.key")),
            ("user.add", "ivanov"), ("user.set-status", "ivanov"), ("user.lock", "ivanov"),
            ("user.unlock", "ivanov"), ("user.passwd", "ivanov"),
            ("sp.add", lib.EXAMPLE_SP_ID), ("sp.set", lib.EXAMPLE_SP_ID), ("sp.replace", lib.EXAMPLE_SP_ID),
            ("sp.remove", lib.EXAMPLE_SP_ID),
            ("key.generate", nxt), ("key.rotate", nxt), ("key.retire", first),
            ("user.remove", "ivanov"),
        ]
        without_settings = [g for g in got if not g[0].startswith("setting.")]
        self.assertEqual(without_settings, expected)
        self.assertEqual([e["seq"] for e in events], list(range(1, len(events) + 1)))
        for e in events:
            self.assertEqual(e["outcome"], "ok")
            self.assertTrue(e["actor"].startswith("cli:"), e["actor"])
            self.assertRegex(e["hash"], r"^[0-9a-f]{64}$")
            json.loads(e["details"])  # details are JSON
        set_status = next(e for e in events if e["action"] == "user.set-status")
        self.assertEqual(json.loads(set_status["details"]), {"from": "confirmed", "to": "standard"})

        # No secret anywhere in the audit output.
        conn = self.db()
        secret = conn.execute("SELECT value FROM settings WHERE name = 'pairwise_secret'").fetchone()[0]
        private_keys = [r[0] for r in conn.execute("SELECT private_key_pem FROM signing_keys")]
        for args in (["audit", "list", "--limit", "100000"], ["audit", "list", "--json", "--limit", "100000"]):
            out = ctl_ok(self.data, *args)
            for s in (PASSWORD, new_password, "PRIVATE KEY", "argon2", secret):
                self.assertNotIn(s, out)
            for pem in private_keys:
                body = pem.splitlines()[1]
                self.assertNotIn(body, out)

        rc, out, err = ctl(self.data, "audit", "verify")
        self.assertEqual(rc, 0, err)
        # The head (last seq and hash) is printed so an operator can anchor it elsewhere.
        self.assertEqual(out, f"audit chain intact: {len(events)} events; head {events[-1]['seq']} {events[-1]['hash']}\n")
        v = ctl_json(self.data, "audit", "verify")
        self.assertEqual(v, {"ok": True, "events_checked": len(events), "head_seq": events[-1]["seq"],
                             "head_hash": events[-1]["hash"]})

        page = ctl_json(self.data, "audit", "list", "--after", "3", "--limit", "2")
        self.assertEqual([e["seq"] for e in page], [4, 5])
        self.assertRefused(ctl(self.data, "audit", "list", "--limit", "0"), "limit")
        self.assertRefused(ctl(self.data, "audit", "list", "--after", "x"), "after")

    def test_tampering_is_detected(self):
        self.init()
        ctl_ok(self.data, "user", "add", "ivanov", *IVANOV, input=PASSWORD + "\n")
        ctl_ok(self.data, "sp", "add", lib.EXAMPLE_SP)
        ctl_ok(self.data, "user", "lock", "ivanov")
        events = self.audit()
        target = next(e for e in events if e["action"] == "user.add")
        self.assertEqual(ctl(self.data, "audit", "verify")[0], 0)

        conn = sqlite3.connect(lib.store_file(self.data))
        try:
            # The append-only triggers refuse changes...
            with self.assertRaises(sqlite3.DatabaseError) as cm:
                conn.execute("UPDATE audit_log SET details = '{\"status\":\"simplified\"}' WHERE seq = ?",
                             (target["seq"],))
            self.assertIn("append-only", str(cm.exception))
            conn.rollback()
            with self.assertRaises(sqlite3.DatabaseError):
                conn.execute("DELETE FROM audit_log WHERE seq = ?", (target["seq"],))
            conn.rollback()
            # ...but someone with the file can drop them.
            conn.execute("DROP TRIGGER audit_log_no_update")
            conn.execute("UPDATE audit_log SET details = '{\"status\":\"simplified\"}' WHERE seq = ?",
                         (target["seq"],))
            conn.commit()
        finally:
            conn.close()

        rc, out, err = ctl(self.data, "audit", "verify")
        self.assertRefused((rc, out, err), "audit", f"hash chain broken at event {target['seq']}")
        rc, out, err = ctl(self.data, "audit", "verify", "--json")
        self.assertEqual(rc, 1)
        v = json.loads(out)
        self.assertFalse(v["ok"])
        self.assertEqual(v["first_bad_seq"], target["seq"])


# ------------------------------------------------------------------------------------ config

class ConfigTests(CtlCase):
    def test_config_file_selects_data_dir_relative_to_the_file(self):
        conf_dir = os.path.join(self.dir, "etc")
        os.mkdir(conf_dir)
        elsewhere = os.path.join(self.dir, "elsewhere")
        os.mkdir(elsewhere)
        ini = lib.write(os.path.join(conf_dir, "propusk.ini"), "[store]\ndata_dir = d\n")
        rc, out, err = ctl(None, "--config", ini, "init", cwd=elsewhere)
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.exists(os.path.join(conf_dir, "d", "propusk.db")))
        self.assertEqual(os.listdir(elsewhere), [])
        keys = json.loads(ctl_ok(None, "--config", ini, "keys", "list", "--json", cwd=elsewhere))
        self.assertEqual(len(keys), 1)
        # --config may stand after the command too.
        self.assertEqual(json.loads(ctl_ok(None, "keys", "list", "--json", "--config=" + ini, cwd=self.dir)), keys)

    def test_config_key_algorithm_is_used(self):
        ini = lib.write(os.path.join(self.dir, "p.ini"), "[store]\ndata_dir = d\n[keys]\nalgorithm = ec-p256\n")
        ctl_ok(None, "--config", ini, "init")
        self.assertEqual(json.loads(ctl_ok(None, "--config", ini, "keys", "list", "--json"))[0]["algorithm"],
                         "ec-p256")

    def test_unknown_key_in_config_is_refused(self):
        ini = lib.write(os.path.join(self.dir, "p.ini"), "[store]\ndata_dir = d\ndatadir = e\n")
        rc, out, err = ctl(None, "--config", ini, "init", cwd=self.dir)
        line = self.assertOneLineError(rc, err, 1, "config:")
        self.assertIn("unknown key 'store.datadir'", line)
        self.assertIn(ini, line)
        self.assertEqual(sorted(os.listdir(self.dir)), ["p.ini"])

    def test_bad_value_and_missing_config(self):
        ini = lib.write(os.path.join(self.dir, "p.ini"), "[store]\ndata_dir = d\n[password]\nmin_length = 3\n")
        line = self.assertOneLineError(*ctl(None, "--config", ini, "init", cwd=self.dir)[::2], 1, "config:")
        self.assertIn("password.min_length", line)
        missing = os.path.join(self.dir, "missing.ini")
        line = self.assertOneLineError(*ctl(None, "--config", missing, "init", cwd=self.dir)[::2], 1, "config:")
        self.assertIn(missing, line)
        self.assertEqual(sorted(os.listdir(self.dir)), ["p.ini"])

    def test_default_data_dir_is_var(self):
        rc, out, err = ctl(None, "init", cwd=self.dir)
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "var", "propusk.db")))
        self.assertEqual(len(json.loads(ctl_ok(None, "keys", "list", "--json", cwd=self.dir))), 1)


if __name__ == "__main__":
    unittest.main()

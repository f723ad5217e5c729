#!/usr/bin/python3
"""Scale-out with real parts (issue 14, point 4; docs/store.md): a real PostgreSQL, two
`propusk` instances on it (each with a data dir and TLS certificate of its own, both with
nginx's URL as public_url) and Debian's nginx in front of them balancing round robin.

What each test proves would fail if the state it exercises were kept per instance:
  1. a login through one instance, the next SSO Response from the other (pending requests,
     login flows, sessions, the pairwise-NameID secret), the access log naming both;
  2. one AuthnRequest sent to each instance: refused as a replay by the second (replay_ids);
  3. an SP-initiated front-channel logout started at one instance and finished at the other
     (logout flows, sessions);
  4. `propuskctl keys generate` / `keys rotate`: both instances sign with the new key within
     seconds and publish the old one beside it (keys);
  5. SIGKILL of one instance under load through nginx: nothing fails but what was in flight
     there, the other goes on, the audit chain verifies and holds every Response issued;
  6. /readyz goes 503 while PostgreSQL is down and 200 again after, without a restart;
  7. once it says 200 again, requests at each instance succeed (the first one included).
The cases run in that order (numbered names) on one module fixture; 5 restarts the instance
it kills. Every process is started here and stopped by its own PID. The nginx access log
(X-Test-Tag per request, $upstream_addr) is what proves which instance served what.

Run: PROPUSK_BIN=build-dir PROPUSK_SOURCE=repo /usr/bin/python3 tests/integration/test_scale_out.py -v
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # tests/: pg_server
import propusk_testlib as lib  # noqa: E402
from propusk_testlib import PASSWORD, ctl  # noqa: E402
from pg_server import PgServer  # noqa: E402
from test_sso import Browser, Page, authn_request, decode_response, redirect_query, snils_with_checksum  # noqa: E402
from test_slo import (Participation, entity, acs, logout_request_for, logout_response, pem_body,  # noqa: E402
                      split_query, status_of, BINDING, NS, PERSISTENT, SUCCESS, RSA_SHA256)
from test_slo import redirect_query as slo_redirect_query  # noqa: E402

USER = "ivanov"
# Two SPs with HTTP-Redirect SingleLogoutService endpoints (as test_slo's sp-a and sp-r).
SPS = {
    "sp-a": [("Redirect", "https://sp-a.test/slo/redirect", "https://sp-a.test/slo/redirect-response")],
    "sp-r": [("Redirect", "https://sp-r.test/slo", None)],
}
RESPONSE_ID_ATTR = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
ASSERTION_ID_ATTR = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"

LOAD_THREADS = 8
LOAD_SECONDS = 8


class F:
    """The module's fixture: PostgreSQL, two instances, nginx, SP keys."""


class Instance:
    """One `propusk` on the shared database: its own data dir, config file and port."""

    def __init__(self, name, port, tmp, conninfo, public_url):
        self.name = name
        self.port = port
        self.addr = f"127.0.0.1:{self.port}"
        self.base = f"https://{self.addr}"
        self.data = os.path.join(tmp, name)
        self.logs = os.path.join(tmp, name + "-logs")
        os.makedirs(self.logs)
        self.ini = lib.write(os.path.join(tmp, name + ".ini"),
                             f"[server]\ndata_dir = {self.data}\npublic_url = {public_url}\n"
                             f"[store]\nengine = postgresql\nconnection = {conninfo}\npool_size = 4\n"
                             # Every instance must seal and check factors with the same key.
                             f"[auth]\nfactor_key_file = {os.path.join(tmp, 'factor.key')}\n")
        self.server = None

    def start(self):
        self.server = lib.Server(["--config", self.ini, "--listen", self.addr], workdir=self.logs).start()
        lib.wait_ready(self.server, self.port)
        return self

    def stop(self):
        if self.server:
            self.server.stop()

    def __repr__(self):
        return f"instance {self.name} ({self.addr})"


def ctl_ok(*args, input=None):
    """propuskctl --config (instance A's file; B's names the same database) ARGS."""
    rc, out, err = ctl(None, "--config", F.a.ini, *args, input=input)
    if rc != 0:
        raise AssertionError(f"propuskctl {' '.join(map(str, args))} exited {rc}: {err.strip()}")
    return out


def ctl_json(*args):
    return json.loads(ctl_ok(*args, "--json"))


def setUpModule():
    lib.require_binaries()
    F.tmp = tempfile.mkdtemp(prefix="propusk-it-scale-")
    unittest.addModuleCleanup(shutil.rmtree, F.tmp, ignore_errors=True)
    F.pg = PgServer()
    unittest.addModuleCleanup(F.pg.stop)
    F.pg.start()

    # nginx (its port, its upstreams) first: its URL is both instances' public_url.
    ports = lib.free_port(), lib.free_port()
    F.nginx = lib.Nginx(os.path.join(F.tmp, "nginx"), ports)
    F.public = F.nginx.base
    F.a = Instance("a", ports[0], F.tmp, F.pg.conninfo(), F.public)
    F.b = Instance("b", ports[1], F.tmp, F.pg.conninfo(), F.public)
    F.sso_url = F.public + "/saml/sso"
    F.slo_url = F.public + "/saml/slo"
    F.idp_entity = F.public + "/saml/metadata"
    F.instances = {F.a.addr: F.a, F.b.addr: F.b}

    ctl_ok("init")
    ctl_ok("user", "add", USER, "--surname", "Иванов", "--given-name", "Иван", "--middle-name", "Иванович",
           "--snils", snils_with_checksum("112233445"), "--email", f"{USER}@example.org", "--status", "standard",
           input=PASSWORD + "\n")
    template = lib.read_data("slo-sp-template.xml")
    F.keys = {}
    for sp, slo in SPS.items():
        F.keys[sp] = lib.openssl_key_cert(F.tmp, sp)
        key_descriptor = ('    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
                          f'{pem_body(F.keys[sp][1])}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
                          '</md:KeyDescriptor>')
        services = "".join(
            f'    <md:SingleLogoutService Binding="{BINDING[b]}" Location="{loc}"'
            + (f' ResponseLocation="{rl}"' if rl else "") + "/>\n" for b, loc, rl in slo)
        text = (template.replace("@ENTITY_ID@", entity(sp)).replace("@DISPLAY_NAME@", "Service " + sp)
                .replace("@ACS_LOCATION@", acs(sp)).replace("@KEY_DESCRIPTOR@", key_descriptor)
                .replace("@SLO_SERVICES@", services))
        ctl_ok("sp", "add", lib.write(os.path.join(F.tmp, sp + ".xml"), text))
        ctl_ok("sp", "set", entity(sp), "--release", "displayName")

    for inst in (F.a, F.b):
        unittest.addModuleCleanup(inst.stop)
        inst.start()
    unittest.addModuleCleanup(F.nginx.stop)
    F.nginx.start()


# ---------------------------------------------------------------- clients

class TaggedBrowser(Browser):
    """test_sso's Browser sending `X-Test-Tag: TAG` with every request, a fresh TAG each time,
    so nginx's access log tells which instance answered it (Page.tag)."""

    def open(self, path, data=None, content_type="application/x-www-form-urlencoded"):
        tag = uuid.uuid4().hex
        self.opener.addheaders = [("User-Agent", "propusk-test"), ("X-Test-Tag", tag)]
        page = super().open(path, data, content_type)
        page.tag = tag
        return page


def sso_redirect(browser, sp, base=None):
    """An unsigned HTTP-Redirect AuthnRequest from `sp` (Destination: the public URL) sent to
    `base` (an instance) or through nginx; returns (page, request ID)."""
    xml, rid = authn_request(entity(sp), F.sso_url)
    return browser.get((base or F.public) + "/saml/sso?" + redirect_query(xml)), rid


def audit(since=0):
    events = json.loads(ctl_ok("audit", "list", "--after", str(since), "--limit", "100000", "--json"))
    return sorted(events, key=lambda e: e["seq"])


def details(e):
    return json.loads(e["details"]) if e.get("details") else {}


def audit_head():
    return max((e["seq"] for e in audit()), default=0)


def published_certs(base):
    """(metadata bytes, [base64 DER of every IdP signing certificate]) from GET base/saml/metadata."""
    port = int(base.rsplit(":", 1)[1])
    md = lib.https_request(port, "/saml/metadata")
    assert md.status == 200, md.status
    certs = [c.text.strip() for c in lib.parse_xml(md.body).findall(
        "md:IDPSSODescriptor/md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)]
    return md.body, certs


def cert_file(b64, name):
    return lib.write(os.path.join(F.tmp, name + ".pem"), lib.pem_from_base64_der(b64))


def xmlsec_verify_response(form, cert):
    """(rc, stderr) of xmlsec1 --verify of the SAMLResponse in `form` (Response and Assertion
    signatures) with the key of `cert` only."""
    fd, path = tempfile.mkstemp(suffix=".xml", dir=F.tmp)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64decode(form["fields"]["SAMLResponse"]))
    rc, _, err = lib.run(["xmlsec1", "--verify", "--pubkey-cert-pem", cert, "--id-attr:ID", RESPONSE_ID_ATTR,
                          "--id-attr:ID", ASSERTION_ID_ATTR, path])
    os.remove(path)
    return rc, err


def key_by_state():
    return {k["state"]: k for k in ctl_json("keys", "list")}


# ---------------------------------------------------------------- the cases

class ScaleOut(unittest.TestCase):
    maxDiff = None

    # -- helpers

    def instance_of(self, page):
        """The instance nginx sent `page`'s request to (from the access log)."""
        upstream = F.nginx.upstream(page.tag)
        self.assertIn(upstream, F.instances, F.nginx.entry(page.tag))
        return F.instances[upstream]

    def assertSuccess(self, page, sp, in_response_to):
        """A signed-Response auto-POST form to `sp`'s ACS with status Success; returns
        (form, Response root)."""
        self.assertEqual(page.status, 200, page.describe())
        form = page.saml_form()
        self.assertIsNotNone(form, page.describe())
        self.assertEqual(form["action"], acs(sp))
        resp = decode_response(form)
        self.assertEqual(status_of(resp), (SUCCESS, None))
        self.assertEqual(resp.get("InResponseTo"), in_response_to)
        self.assertEqual(resp.find("saml:Issuer", NS).text, F.idp_entity)
        return form, resp

    def assertToLogin(self, page):
        self.assertEqual(page.status, 303, page.describe())
        loc = page.headers.get("Location") or ""
        self.assertTrue(loc.startswith(F.public + "/login?flow="), loc)
        return loc

    def assertErrorPage(self, page, status=400):
        self.assertEqual(page.status, status, page.describe())
        self.assertIn("text/html", page.headers.get("Content-Type") or "")
        self.assertRegex(page.text, r"Reference: <code>[0-9a-f]{8,}</code>")
        self.assertIsNone(page.saml_form())

    def participation(self, sp, resp):
        nid = resp.find("saml:Assertion/saml:Subject/saml:NameID", NS)
        stmt = resp.find("saml:Assertion/saml:AuthnStatement", NS)
        self.assertEqual(nid.get("Format"), PERSISTENT)
        return Participation(sp, nid.text, dict(nid.attrib), stmt.get("SessionIndex"))

    def login_through_nginx(self, sp="sp-a"):
        """AuthnRequest, login page, login POST, each through nginx; returns (browser, the
        three pages, Response root)."""
        b = TaggedBrowser(F.nginx.port)
        page, rid = sso_redirect(b, sp)
        login_page = b.get(self.assertToLogin(page))
        self.assertEqual(login_page.status, 200, login_page.describe())
        form = [f for f in login_page.forms if f["action"] == "/login"][0]
        posted = b.post("/login", dict(form["fields"], username=USER, password=PASSWORD))
        _, resp = self.assertSuccess(posted, sp, rid)
        self.assertIsNotNone(b.cookie("propusk_session"))
        return b, (page, login_page, posted), resp

    def verify_idp_redirect(self, location, expected_base, param, pubkey):
        """An HTTP-Redirect message from the IdP: to `expected_base`, the query signed by the
        IdP's key over the exact octets (bindings §3.4.4.1); returns (root, RelayState)."""
        base, pairs = split_query(location)
        self.assertEqual(base, expected_base, location)
        values = dict(pairs)
        self.assertEqual(urllib.parse.unquote(values["SigAlg"]), RSA_SHA256)
        octets = "&".join(f"{k}={v}" for k, v in pairs if k != "Signature").encode()
        sig = os.path.join(F.tmp, "redirect.sig")
        with open(sig, "wb") as f:
            f.write(base64.b64decode(urllib.parse.unquote(values["Signature"])))
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pubkey, "-signature", sig],
                           input=octets, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, f"query signature does not verify: {p.stdout!r} {p.stderr!r}")
        root = ET.fromstring(zlib.decompress(base64.b64decode(urllib.parse.unquote(values[param])), -15))
        relay = urllib.parse.unquote(values["RelayState"]) if "RelayState" in values else None
        return root, relay

    def idp_pubkey(self):
        """The public key of the active signing key, from its certificate in the metadata."""
        active = key_by_state()["active"]["sha256_fingerprint"]
        cert = cert_file(next(c for c in published_certs(F.public)[1] if lib.der_sha256_hex(c) == active), "idp-now")
        rc, out, err = lib.run(["openssl", "x509", "-pubkey", "-noout", "-in", cert])
        self.assertEqual(rc, 0, err)
        return lib.write(os.path.join(F.tmp, "idp-pub.pem"), out)

    # -- 1

    def test_1_login_through_one_instance_response_from_the_other(self):
        b, (authn, login_page, posted), first = self.login_through_nginx("sp-a")
        # Each step at the other instance than the one before: the login page is shown for a
        # request another instance accepted, and the POST checked against a flow and CSRF
        # token another instance made.
        login_by = self.instance_of(posted)
        self.assertNotEqual(self.instance_of(login_page), self.instance_of(authn))
        self.assertNotEqual(login_by, self.instance_of(login_page))

        page, rid = sso_redirect(b, "sp-a")
        form, resp = self.assertSuccess(page, "sp-a", rid)
        sso_by = self.instance_of(page)
        self.assertNotEqual(sso_by, login_by, "round robin: the next request goes to the other instance")
        self.assertNotIn('name="password"', page.text, "the session is known to the other instance")

        # The same pairwise NameID (the secret is shared) and the same SessionIndex (one session).
        p1, p2 = self.participation("sp-a", first), self.participation("sp-a", resp)
        self.assertEqual((p2.name_id, p2.session_index), (p1.name_id, p1.session_index))
        self.assertEqual(p2.name_id_attrs.get("SPNameQualifier"), entity("sp-a"))

        # Signed by the key the metadata publishes (from either instance: the same certificate).
        _, certs_a = published_certs(F.a.base)
        _, certs_b = published_certs(F.b.base)
        self.assertEqual(certs_a, certs_b)
        rc, err = xmlsec_verify_response(form, cert_file(certs_a[0], "idp-1"))
        self.assertEqual(rc, 0, err)
        # A second SP in the same session, again at the other instance than the last request.
        page2, rid2 = sso_redirect(b, "sp-r")
        _, resp2 = self.assertSuccess(page2, "sp-r", rid2)
        self.assertNotEqual(self.instance_of(page2), sso_by)
        self.assertNotEqual(self.participation("sp-r", resp2).name_id, p1.name_id, "pairwise per SP")

    # -- 2

    def test_2_replayed_authn_request_refused_by_the_other_instance(self):
        head = audit_head()
        for first, second in ((F.a, F.b), (F.b, F.a)):
            with self.subTest(first=first.name, second=second.name):
                xml, rid = authn_request(entity("sp-a"), F.sso_url)
                path = "/saml/sso?" + redirect_query(xml, "replay")
                self.assertToLogin(Browser(first.port).get(path))
                self.assertErrorPage(Browser(second.port).get(path))
                events = [e for e in audit(head) if details(e).get("id") == rid]
                self.assertEqual([(e["action"], details(e).get("step")) for e in events],
                                 [("authn-request.accepted", None), ("authn-request.refused", "replay")], events)

    # -- 3

    def test_3_logout_started_at_one_instance_finished_at_the_other(self):
        pubkey = self.idp_pubkey()
        b, _, resp_a = self.login_through_nginx("sp-a")
        page, rid_r = sso_redirect(b, "sp-r")
        _, resp_r = self.assertSuccess(page, "sp-r", rid_r)
        parts = {"sp-a": self.participation("sp-a", resp_a), "sp-r": self.participation("sp-r", resp_r)}
        head = audit_head()

        # sp-a's signed LogoutRequest (HTTP-Redirect) to instance A: the browser is sent on to
        # sp-r with the IdP's signed LogoutRequest naming what sp-r received.
        xml, rid = logout_request_for(parts["sp-a"], F.slo_url)
        relay_state = "sp-a logout state"
        page = b.get(F.a.base + "/saml/slo?" + slo_redirect_query("SAMLRequest", xml, relay_state, F.keys["sp-a"][0]))
        self.assertEqual(page.status, 303, page.describe())
        req, relay = self.verify_idp_redirect(page.headers["Location"], "https://sp-r.test/slo", "SAMLRequest", pubkey)
        self.assertEqual(req.get("Destination"), "https://sp-r.test/slo")
        self.assertEqual(req.find("saml:Issuer", NS).text, F.idp_entity)
        self.assertEqual(req.find("saml:NameID", NS).text, parts["sp-r"].name_id)
        self.assertEqual([s.text for s in req.findall("samlp:SessionIndex", NS)], [parts["sp-r"].session_index])
        self.assertTrue(relay)

        # sp-r's LogoutResponse goes to instance B, which finishes the flow A started: sp-a
        # gets its LogoutResponse (Success) at its ResponseLocation with its RelayState.
        answer, _ = logout_response(entity("sp-r"), F.slo_url, req.get("ID"))
        page = b.get(F.b.base + "/saml/slo?" + slo_redirect_query("SAMLResponse", answer, relay, F.keys["sp-r"][0]))
        self.assertEqual(page.status, 303, page.describe())
        resp, back = self.verify_idp_redirect(page.headers["Location"], "https://sp-a.test/slo/redirect-response",
                                              "SAMLResponse", pubkey)
        self.assertEqual(resp.tag, "{urn:oasis:names:tc:SAML:2.0:protocol}LogoutResponse")
        self.assertEqual(resp.get("InResponseTo"), rid)
        self.assertEqual(status_of(resp), (SUCCESS, None), "not partial: B knew sp-r had confirmed")
        self.assertEqual(back, relay_state)

        # The session is over at both instances: a new AuthnRequest goes to the login page.
        for inst in (F.a, F.b):
            self.assertToLogin(sso_redirect(b, "sp-a", inst.base)[0])
        propagated = [e for e in audit(head) if e["action"] == "logout.propagate"]
        self.assertEqual([(e["target"], e["outcome"], details(e)["channel"]) for e in propagated],
                         [(entity("sp-r"), "ok", "redirect")])
        complete = [e for e in audit(head) if e["action"] == "logout.complete"]
        self.assertEqual([(e["target"], e["outcome"]) for e in complete], [(entity("sp-a"), "ok")])

    # -- 4

    def test_4_rotated_key_used_by_both_instances(self):
        b, _, _ = self.login_through_nginx("sp-a")
        old = key_by_state()["active"]

        ctl_ok("keys", "generate")
        new = key_by_state()["next"]
        for inst in (F.a, F.b):  # published at once by both, before it signs anything
            _, certs = published_certs(inst.base)
            self.assertEqual(sorted(lib.der_sha256_hex(c) for c in certs),
                             sorted([old["sha256_fingerprint"], new["sha256_fingerprint"]]), inst)
        new_cert = cert_file(next(c for c in published_certs(F.public)[1]
                                  if lib.der_sha256_hex(c) == new["sha256_fingerprint"]), "idp-new")

        ctl_ok("keys", "rotate")
        states = {k["id"]: k["state"] for k in ctl_json("keys", "list")}
        self.assertEqual(states, {old["id"]: "previous", new["id"]: "active"})
        t0 = time.monotonic()
        pending = {F.a.addr: F.a, F.b.addr: F.b}
        response_ids = {}
        while pending and time.monotonic() - t0 < 15:
            for addr, inst in list(pending.items()):
                page, rid = sso_redirect(b, "sp-a", inst.base)
                form, resp = self.assertSuccess(page, "sp-a", rid)
                if xmlsec_verify_response(form, new_cert)[0] == 0:
                    response_ids[inst.name] = resp.get("ID")
                    del pending[addr]
            time.sleep(0.3)
        self.assertEqual(pending, {}, f"still signing with the old key after {time.monotonic() - t0:.1f} s")
        # The instances' own record of it: their assertion.issue events name the new key.
        issued = {details(e)["response_id"]: details(e)["key"] for e in audit() if e["action"] == "assertion.issue"}
        self.assertEqual({n: issued.get(r) for n, r in response_ids.items()}, {"a": new["id"], "b": new["id"]})
        # Both still publish the old key (previous) beside the new one, in metadata signed by the new one.
        for inst in (F.a, F.b):
            body, certs = published_certs(inst.base)
            self.assertEqual(sorted(lib.der_sha256_hex(c) for c in certs),
                             sorted([old["sha256_fingerprint"], new["sha256_fingerprint"]]), inst)
            md = lib.write(os.path.join(F.tmp, f"metadata-{inst.name}.xml"), body.decode("utf-8"))
            rc, err = lib.xmlsec_verify(md, new_cert)
            self.assertEqual(rc, 0, err)

    # -- 5

    def test_5_sigkill_under_load(self):
        b, _, _ = self.login_through_nginx("sp-a")
        cookie = b.cookie("propusk_session")
        head = audit_head()
        results = []  # (tag, start, end, ok, what, Response ID or None)
        lock = threading.Lock()
        stop = threading.Event()

        def worker():
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = None
            while not stop.is_set():
                tag = uuid.uuid4().hex
                xml, rid = authn_request(entity("sp-a"), F.sso_url)
                start = time.monotonic()
                ok, what, resp_id = False, "", None
                try:
                    if conn is None:
                        conn = http.client.HTTPSConnection("127.0.0.1", F.nginx.port, context=ctx, timeout=30)
                    conn.request("GET", "/saml/sso?" + redirect_query(xml),
                                 headers={"Cookie": "propusk_session=" + cookie, "X-Test-Tag": tag})
                    r = conn.getresponse()
                    page = Page(r.status, r.headers, r.read())
                    form = page.saml_form()
                    if page.status == 200 and form:
                        resp = decode_response(form)
                        ok = status_of(resp) == (SUCCESS, None) and resp.get("InResponseTo") == rid
                        resp_id = resp.get("ID")
                    what = f"HTTP {page.status}"
                    if r.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as e:
                    what = repr(e)
                    if conn:
                        conn.close()
                    conn = None
                with lock:
                    results.append((tag, start, time.monotonic(), ok, what, resp_id))
            if conn:
                conn.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(LOAD_THREADS)]
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS / 2)
        killed_at = time.monotonic()
        os.kill(F.a.server.pid, signal.SIGKILL)
        F.a.server.proc.wait(timeout=10)  # reaped: nothing of it runs any more
        dead_at = time.monotonic()
        time.sleep(LOAD_SECONDS / 2)
        stop.set()
        for t in threads:
            t.join(40)
        self.assertFalse(any(t.is_alive() for t in threads), "a load thread hung")

        deadline = time.monotonic() + 3  # nginx logs a request just after answering it
        while True:
            log = {e["tag"]: e for e in F.nginx.log() if e["tag"]}
            missing = [r[0] for r in results if r[0] not in log]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(missing, [], "requests nginx never logged")
        before = [r for r in results if r[2] < killed_at]
        in_flight = [r for r in results if r[1] < dead_at and r[2] >= killed_at]
        after = [r for r in results if r[1] >= dead_at]
        failures = [r for r in results if not r[3]]
        summary = (f"{len(results)} requests: {len(before)} done before the kill, {len(in_flight)} in flight, "
                   f"{len(after)} started after; {len(failures)} failed (answer, upstreams tried, their status): "
                   f"{[(r[4], log[r[0]]['upstreams'], log[r[0]]['upstream_status']) for r in failures][:10]}")
        print("\n  load: " + summary, file=sys.stderr)
        # Both served before the kill; A had its share.
        served_before = {log[r[0]]["upstreams"][-1] for r in before if r[3]}
        self.assertEqual(served_before, {F.a.addr, F.b.addr}, summary)
        # Failures: only requests in flight when A died, each of which nginx had sent to A.
        for r in failures:
            self.assertIn(r, in_flight, summary)
            self.assertIn(F.a.addr, log.get(r[0], {}).get("upstreams", []), (summary, log.get(r[0])))
        self.assertLessEqual(len(failures), LOAD_THREADS, summary)
        # Afterwards B answers everything (nginx may try A first and go on to B).
        self.assertGreater(len(after), 10, summary)
        self.assertEqual([r for r in after if not r[3]], [], summary)
        self.assertEqual({log[r[0]]["upstreams"][-1] for r in after}, {F.b.addr}, summary)
        self.assertTrue(F.b.server.running())

        # The audit chain verifies, and holds the assertion.issue of every Response that left.
        ctl_ok("audit", "verify")
        issued = {details(e)["response_id"] for e in audit(head) if e["action"] == "assertion.issue"
                  and e["outcome"] == "ok"}
        delivered = {r[5] for r in results if r[3]}
        self.assertEqual(delivered - issued, set(), "Responses delivered without their audit event")

        F.a.start()  # the same configuration again: it rejoins with nothing to recover

    # -- 6, 7

    def readyz_all(self, status, deadline_s):
        """Polls GET /readyz on both instances until both answer `status`; returns the seconds it took."""
        t0 = time.monotonic()
        seen = {}
        while time.monotonic() - t0 < deadline_s:
            for inst in (F.a, F.b):
                try:
                    seen[inst.name] = lib.https_request(inst.port, "/readyz", timeout=5).status
                except OSError as e:
                    seen[inst.name] = repr(e)
            if all(v == status for v in seen.values()):
                return time.monotonic() - t0
            time.sleep(0.2)
        self.fail(f"/readyz not {status} within {deadline_s} s: {seen}")

    def test_6_readiness_follows_the_database(self):
        self.readyz_all(200, 5)
        # A session made while the database is up, for test 7.
        F.browser_before_outage = self.login_through_nginx("sp-a")[0]
        F.pg.pause()
        try:
            took = self.readyz_all(503, 5)
            print(f"\n  readiness: 503 {took:.1f} s after the database stopped", file=sys.stderr)
            # Meanwhile a request is answered at once (an error page), and neither instance exits.
            for inst in (F.a, F.b):
                page, _ = sso_redirect(F.browser_before_outage, "sp-r", inst.base)
                self.assertIn(page.status, (500, 503), page.describe())
                self.assertIsNone(page.saml_form())
                self.assertTrue(inst.server.running(), inst)
        finally:
            F.pg.resume()
        took = self.readyz_all(200, 10)
        print(f"  readiness: 200 again {took:.1f} s after it came back", file=sys.stderr)

    def test_7_requests_succeed_once_ready_again(self):
        """Right after test 6: /readyz says 200 again, so each instance must answer, without
        one failed request first (docs/store.md, Readiness)."""
        b = F.browser_before_outage
        outcomes = {}
        for inst in (F.a, F.b):
            outcomes[inst.name] = []
            for _ in range(3):
                page, rid = sso_redirect(b, "sp-r", inst.base)
                ok = page.status == 200 and page.saml_form() is not None
                outcomes[inst.name].append(page.status if ok else f"{page.status} {self.logged_reason(inst, page)}")
        self.assertEqual(outcomes, {"a": [200] * 3, "b": [200] * 3})
        # A fresh login through nginx, and the audit chain over everything.
        self.login_through_nginx("sp-a")
        ctl_ok("audit", "verify")

    def logged_reason(self, inst, page):
        """The server's log line for an error page's reference code."""
        m = re.search(r"Reference: <code>([0-9a-f]+)</code>", page.text)
        if not m:
            return "(no reference)"
        lines = [line for line in inst.server.stderr().splitlines() if m.group(1) in line]
        if not lines:
            return f"(reference {m.group(1)} not in the log)"
        return lines[-1][lines[-1].find(": store ") + 2:]  # the reason, after the (long) request URL


if __name__ == "__main__":
    unittest.main()

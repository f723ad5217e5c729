#!/usr/bin/python3
"""A running Propusk IdP for the interop tests: a fresh store, the server on a free loopback
port, the test user, SP registration, and what every SP must receive.

Builds on tests/integration/propusk_testlib.py (PYTHONPATH=tests/integration, as ctest sets).
"""

import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import propusk_testlib as lib  # noqa: E402

INTEROP_DATA = os.path.join(lib.SOURCE, "tests", "data", "interop")
XMLSEC1 = "/usr/bin/xmlsec1"

USER = "ivanov"
PASSWORD = lib.PASSWORD
USER_ARGS = ["--surname", "Иванов", "--given-name", "Иван", "--middle-name", "Иванович",
             "--inn", "500100732259", "--snils", "112-233-445 95", "--email", "ivanov@example.ru",
             "--phone", "+7 912 345-67-89", "--status", "confirmed"]
RELEASE = "displayName,sn,givenName,middleName,inn,snils,accountStatus,eduPersonAssurance,mail,telephoneNumber"

NAME_FORMAT_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
IAP_HIGH = "https://refeds.org/assurance/IAP/high"

# DESIGN.md, "Attributes released": FriendlyName -> (Name, exact values or None when
# checked separately). eduPersonAssurance is checked for containing IAP/high.
ATTRIBUTES = {
    "displayName": ("urn:oid:2.16.840.1.113730.3.1.241", ["Иванов Иван Иванович"]),
    "sn": ("urn:oid:2.5.4.4", ["Иванов"]),
    "givenName": ("urn:oid:2.5.4.42", ["Иван"]),
    "middleName": ("urn:propusk:attribute:middle-name", ["Иванович"]),
    "inn": ("urn:oid:1.2.643.3.131.1.1", ["500100732259"]),
    "snils": ("urn:oid:1.2.643.100.3", ["11223344595"]),
    "accountStatus": ("urn:propusk:attribute:account-status", ["confirmed"]),
    "eduPersonAssurance": ("urn:oid:1.3.6.1.4.1.5923.1.1.1.11", None),
    "mail": ("urn:oid:0.9.2342.19200300.100.1.3", ["ivanov@example.ru"]),
    "telephoneNumber": ("urn:oid:2.5.4.20", ["+79123456789"]),
}


def read_template(name):
    with open(os.path.join(INTEROP_DATA, name), encoding="utf-8") as f:
        return f.read()


def pem_body(cert_path):
    """The base64 DER of a PEM certificate, for <ds:X509Certificate>."""
    with open(cert_path, encoding="ascii") as f:
        lines = f.read().strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


class Idp:
    """Started by start(); stop() (registered as a cleanup by the caller) ends it by PID."""

    def __init__(self, advertise_soap=False, extra_config=""):
        # advertise_soap: list /saml/soap in the metadata ([logout] advertise_soap, off by
        # default: issue 18), for the tests of SPs that log out over SOAP themselves.
        self.advertise_soap = advertise_soap
        # More INI text (sections of their own), e.g. [notify] for the second-factor tests.
        self.extra_config = extra_config
        self.dir = tempfile.mkdtemp(prefix="propusk-interop-")
        self.data = os.path.join(self.dir, "data")
        self.server = None
        self.port = None

    def start(self):
        lib.require_binaries()
        lib.ctl_ok(self.data, "init")
        lib.ctl_ok(self.data, "user", "add", USER, *USER_ARGS, input=PASSWORD + "\n")
        self.port = lib.free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        self.entity_id = self.base + "/saml/metadata"
        self.sso_url = self.base + "/saml/sso"
        # The SPs' SOAP logout endpoints are on loopback, refused by default (SSRF).
        ini = lib.write(os.path.join(self.dir, "propusk.ini"),
                        f"[store]\ndata_dir = {self.data}\n[server]\npublic_url = {self.base}\n"
                        "[logout]\nback_channel_private_networks = true\n"
                        + ("advertise_soap = true\n" if self.advertise_soap else "") + self.extra_config)
        self.ini = ini
        self.server = lib.Server(["--config", ini, "--listen", f"127.0.0.1:{self.port}"], workdir=self.dir)
        self.server.start()
        lib.wait_ready(self.server, self.port, self.data)
        r = lib.https_request(self.port, "/saml/metadata", data_dir=self.data)
        if r.status != 200:
            raise AssertionError(f"GET /saml/metadata: HTTP {r.status}")
        self.metadata_xml = r.body
        self.metadata_file = os.path.join(self.dir, "idp-metadata.xml")
        with open(self.metadata_file, "wb") as f:
            f.write(r.body)
        return self

    @property
    def tls_cert(self):
        return os.path.join(self.data, "tls", "server.crt")

    def stop(self):
        try:
            if self.server is not None:
                self.server.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def describe(self):
        return self.server.describe() if self.server else "(not started)"

    def register_sp(self, metadata_path, entity_id, release=RELEASE):
        lib.ctl_ok(self.data, "sp", "add", metadata_path)
        lib.ctl_ok(self.data, "sp", "set", entity_id, "--release", release)

    def sp_keys(self, name):
        """A fresh RSA-2048 key and self-signed certificate for an SP (never committed)."""
        return lib.openssl_key_cert(self.dir, name, cn=name)

    def path(self, name):
        return os.path.join(self.dir, name)


class IdpTestCase(unittest.TestCase):
    """A test class with one running IdP (cls.idp), stopped by PID when the class ends."""
    maxDiff = None

    advertise_soap = False  # a default Propusk; SOAP-logout tests set it

    @classmethod
    def setUpClass(cls):
        cls.idp = Idp(advertise_soap=cls.advertise_soap)
        cls.addClassCleanup(cls.idp.stop)
        cls.idp.start()

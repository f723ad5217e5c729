"""An SMTP server that requires AUTH, for tests/unit/web/smtp_notifier_test.cpp.

aiosmtpd's command line has no AUTH, so this runs its SMTP class directly: PLAIN and/or
LOGIN over a plain loopback connection (auth_require_tls=False; the notifier sends a password
unencrypted only to loopback), one account, messages into a Maildir. Stopped by a signal.

usage: auth_server.py HOST PORT MAILDIR USER PASSWORD MECHANISMS   (MECHANISMS: "PLAIN,LOGIN")
"""
import asyncio
import sys
import warnings

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    host, port, maildir, user, password, mechanisms = sys.argv[1:7]
    user, password = user.encode(), password.encode()
    offered = set(mechanisms.split(","))

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user
              and auth_data.password == password)
        # handled=False: aiosmtpd itself answers a failure with 535.
        return AuthResult(success=ok, handled=False)

    # "Requiring AUTH while not requiring TLS": intended here, on loopback only.
    warnings.simplefilter("ignore")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = Mailbox(maildir)
    exclude = [m for m in ("PLAIN", "LOGIN") if m not in offered]
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="localhost", authenticator=authenticator, auth_required=True,
                     auth_require_tls=False, auth_exclude_mechanism=exclude, loop=loop),
        host, int(port)))
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()

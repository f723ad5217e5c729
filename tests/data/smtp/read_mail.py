"""Prints what a mail reader sees in one message file, as JSON: decoded headers (RFC 2047)
and the decoded text body, by Python's email package, for tests/unit/web/smtp_notifier_test.cpp.

usage: read_mail.py FILE
"""
import email
import email.policy
import email.utils
import json
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    head = raw.split(b"\n\n", 1)[0]
    sender = msg["From"].addresses[0]
    recipient = msg["To"].addresses[0]
    date = email.utils.parsedate_to_datetime(msg["Date"])
    print(json.dumps({
        "fromName": sender.display_name,
        "fromAddress": sender.addr_spec,
        "to": recipient.addr_spec,
        "toCount": len(msg["To"].addresses) + len(msg.get_all("Cc", [])) + len(msg.get_all("Bcc", [])),
        "subject": str(msg["Subject"]),
        "body": msg.get_content().replace("\r\n", "\n"),
        "contentType": msg.get_content_type(),
        "charset": msg.get_content_charset(),
        "transferEncoding": str(msg["Content-Transfer-Encoding"]),
        "mimeVersion": str(msg["MIME-Version"]),
        "messageId": str(msg["Message-ID"]),
        "dateHasZone": date.tzinfo is not None,
        "mailFrom": str(msg["X-MailFrom"]),
        "rcptTo": str(msg["X-RcptTo"]),
        "headersAscii": all(b < 0x80 for b in head),
        "longestHeaderLine": max(len(line) for line in head.split(b"\n")),
        "defects": len(msg.defects) + sum(len(h.defects) for h in msg.values() if hasattr(h, "defects")),
    }))


if __name__ == "__main__":
    main()

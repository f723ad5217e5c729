#!/usr/bin/python3
# CGI for the mod_auth_mellon interop test: prints REMOTE_USER, AUTH_TYPE and every MELLON_*
# environment variable as a JSON object (UTF-8). Values must be valid UTF-8 as Apache passes
# them; anything else is reported, not repaired.
import json
import os
import sys

out = {}
for k, v in os.environb.items():
    name = k.decode("ascii", "replace")
    if name.startswith("MELLON_") or name in ("REMOTE_USER", "AUTH_TYPE", "REQUEST_URI"):
        try:
            out[name] = v.decode("utf-8")
        except UnicodeDecodeError:
            out[name] = "!!not-utf-8!! " + v.hex()
body = json.dumps(out, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
sys.stdout.buffer.write(b"Content-Type: application/json; charset=utf-8\r\n")
sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n" % len(body))
sys.stdout.buffer.write(body)

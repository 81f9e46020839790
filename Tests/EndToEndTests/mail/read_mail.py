"""Reads the messages smtp_server.py kept, with Python's email package, and prints them as JSON.

Usage: read_mail.py FOLDER
One object per message, in the order received: envelope, subject (decoded), from, to, message_id,
date, the plain and HTML bodies (decoded), attachments (name, content type, size, SHA-256) and the
parser's defects.
"""
import email
import email.utils
import glob
import hashlib
import json
import os
import sys
from email import policy

out = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    with open(path, "rb") as f:
        raw = f.read()
    with open(path[:-4] + ".json") as f:
        envelope = json.load(f)
    m = email.message_from_bytes(raw, policy=policy.default)
    item = {
        "envelope": envelope, "subject": str(m["Subject"]), "from": str(m["From"]), "to": str(m["To"]),
        "message_id": m["Message-ID"], "date": str(email.utils.parsedate_to_datetime(m["Date"])),
        "auto_submitted": m["Auto-Submitted"], "attachments": [], "defects": [], "plain": None, "html": None,
        "longest_line": max(len(line) for line in raw.split(b"\r\n")), "bare_lf": raw.replace(b"\r\n", b"").count(b"\n"),
    }
    for part in m.walk():
        item["defects"] += [type(d).__name__ for d in part.defects]
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            data = part.get_payload(decode=True)
            item["attachments"].append({
                "name": part.get_filename(), "type": part.get_content_type(), "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            })
        elif part.get_content_type() == "text/plain" and item["plain"] is None:
            item["plain"] = part.get_payload(decode=True).decode("utf-8")
        elif part.get_content_type() == "text/html":
            item["html"] = part.get_payload(decode=True).decode("utf-8")
    out.append(item)
print(json.dumps(out, ensure_ascii=False))

#!/usr/bin/env python3
"""Test plugin `error-message`: answers the compute with a 10 MB error message that holds a newline, a forged log line and an escape sequence."""
import json
import sys

CALC = "error_message_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    message = "first line\nFORGED reportd: everything is fine\x1b[2J" + "x" * (10 << 20)
    send({"type": "error", "id": msg["id"], "message": message})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "error-message", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

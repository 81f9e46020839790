#!/usr/bin/env python3
"""Test plugin `stderr`: handshakes correctly, then writes to standard error, then answers correctly (rows per group)."""
import json
import os
import signal
import sys
import time

CALC = "stderr_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    sys.stderr.write("warming up\n")
    sys.stderr.flush()
    send({"type": "result", "id": msg["id"], "values": [len(g["rows"]) for g in msg["groups"]]})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "stderr", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

#!/usr/bin/env python3
"""Test plugin `error`: handshakes correctly, then answers the compute with an error message."""
import json
import os
import signal
import sys
import time

CALC = "error_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    send({"type": "error", "id": msg["id"], "message": "no data for this group"})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "error", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

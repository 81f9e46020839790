#!/usr/bin/env python3
"""Test plugin `wrong-type`: handshakes correctly, then declares an int result and answers strings."""
import json
import os
import signal
import sys
import time

CALC = "wrong_type_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    send({"type": "result", "id": msg["id"], "values": ["many"] * len(msg["groups"])})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "wrong-type", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

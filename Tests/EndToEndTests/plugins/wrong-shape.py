#!/usr/bin/env python3
"""Test plugin `wrong-shape`: handshakes correctly, then answers with one value more than there are groups."""
import json
import os
import signal
import sys
import time

CALC = "wrong_shape_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    send({"type": "result", "id": msg["id"], "values": [1] * (len(msg["groups"]) + 1)})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "wrong-shape", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

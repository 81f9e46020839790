#!/usr/bin/env python3
"""Test plugin `garbage`: handshakes correctly, then answers the compute with a line that is not JSON."""
import json
import os
import signal
import sys
import time

CALC = "garbage_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    sys.stdout.write("hello world\n")
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "garbage", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

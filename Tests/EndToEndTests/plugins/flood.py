#!/usr/bin/env python3
"""Test plugin `flood`: handshakes correctly, then writes 70 MiB of x with no newline on compute."""
import json
import os
import signal
import sys
import time

CALC = "flood_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    chunk = b"x" * (1 << 20)
    for _ in range(70):
        os.write(1, chunk)
    sys.stdin.read()  # then wait for reportd to give up


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "flood", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

#!/usr/bin/env python3
"""Test plugin `crash`: handshakes correctly, then kills itself with SIGSEGV on compute."""
import json
import os
import signal
import sys
import time

CALC = "crash_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    os.kill(os.getpid(), signal.SIGSEGV)
    time.sleep(10)  # the signal is delivered before this returns


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "crash", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

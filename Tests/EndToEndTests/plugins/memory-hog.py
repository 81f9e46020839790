#!/usr/bin/env python3
"""Test plugin `memory-hog`: handshakes correctly, then allocates 2 GiB on compute (a MemoryError under a smaller RLIMIT_AS)."""
import json
import os
import signal
import sys
import time

CALC = "memory_hog_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    hog = bytearray(2 << 30)
    send({"type": "result", "id": msg["id"], "values": [len(hog)] * len(msg["groups"])})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "memory-hog", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

#!/usr/bin/env python3
"""Test plugin `huge-number`: answers 1e999 (beyond a 64-bit float) for a decimal."""
import json
import sys

CALC = "huge_number_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    sys.stdout.write('{"type": "result", "id": %d, "values": [%s]}\n' % (msg["id"], ", ".join(["1e999"] * len(msg["groups"]))))
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "huge-number", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "decimal", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

#!/usr/bin/env python3
"""Test plugin `misnamed`: well behaved (rows per group), but its hello calls it `other-name`."""
import json
import sys

CALC = "misnamed_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    send({"type": "result", "id": msg["id"], "values": [len(g["rows"]) for g in msg["groups"]]})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "other-name", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

#!/usr/bin/env python3
"""Test plugin `exits-after-answer`: answers correctly (rows per group), then exits with status 3 when its input closes."""
import json
import sys

CALC = "exits_after_answer_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    send({"type": "result", "id": msg["id"], "values": [len(g["rows"]) for g in msg["groups"]]})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "exits-after-answer", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)
sys.exit(3)

#!/usr/bin/env python3
"""Test plugin `stderr-flood`: writes an escape sequence, a 100 KB line, then 5,000 lines (500 KB) and a last line to standard error, then answers correctly (rows per group)."""
import json
import sys

CALC = "stderr_flood_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    sys.stderr.write("colour \x1b[31mRED\x1b[0m and a bell \x07\n")
    sys.stderr.write("long " + "x" * 100000 + "\n")
    for i in range(5000):
        sys.stderr.write(f"noise {i:05d} " + "." * 88 + "\n")
    sys.stderr.write("the last line\n")
    sys.stderr.flush()
    send({"type": "result", "id": msg["id"], "values": [len(g["rows"]) for g in msg["groups"]]})


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "stderr-flood", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

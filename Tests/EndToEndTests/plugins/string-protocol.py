#!/usr/bin/env python3
"""Test plugin `string-protocol`: answers the hello with the protocol version as a string."""
import json
import sys

CALC = "string_protocol_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    pass


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": "1", "plugin": {"name": "string-protocol", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

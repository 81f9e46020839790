#!/usr/bin/env python3
"""Test plugin `bad-protocol`: answers the hello with protocol 2."""
import json
import sys

for line in sys.stdin:
    if json.loads(line)["type"] == "hello":
        print(json.dumps({"type": "hello", "protocol": 2, "plugin": {"name": "bad-protocol", "version": "2.0.0"},
                          "calculators": [{"name": "bad_protocol_calc", "summary": "never usable",
                                           "result": "int", "parameters": []}]}), flush=True)

#!/usr/bin/env python3
"""Test plugin `bad-protocol`: answers the hello with protocol 3 (reportd speaks 1 and 2)."""
import json
import sys

for line in sys.stdin:
    if json.loads(line)["type"] == "hello":
        print(json.dumps({"type": "hello", "protocol": 3, "plugin": {"name": "bad-protocol", "version": "3.0.0"},
                          "calculators": [{"name": "bad_protocol_calc", "summary": "never usable",
                                           "result": "int", "parameters": []}]}), flush=True)

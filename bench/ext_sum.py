#!/usr/bin/env python3
"""Benchmark plugin `ext_sum`: the same as the built-in `sum` (exact int sum of `column` per
group, null when every cell is null), as an external plugin. Used by plugin-vs-builtin.sh."""
import json
import sys

HELLO = {"type": "hello", "protocol": 1, "plugin": {"name": "ext_sum", "version": "1.0.0"},
         "calculators": [{"name": "ext_sum", "summary": "sum of an int or decimal column", "result": "int",
                          "parameters": [{"name": "column", "kind": "column", "types": ["int"],
                                          "summary": "the column to add up"}]}]}

for line in sys.stdin.buffer:
    msg = json.loads(line)
    if msg["type"] == "hello":
        reply = HELLO
    else:
        values = msg["columns"][msg["parameters"]["column"]]["values"]
        out = []
        for group in msg["groups"]:
            cells = [values[r] for r in group["rows"]]
            cells = [v for v in cells if v is not None]
            out.append(sum(cells) if cells else None)
        reply = {"type": "result", "id": msg["id"], "values": out}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()

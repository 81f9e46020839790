#!/usr/bin/env python3
"""Test plugin `good`: well behaved. good_count = rows per group; good_sum = exact int sum of `column`
(null when every cell is null)."""
import json
import sys

HELLO = {"type": "hello", "protocol": 1, "plugin": {"name": "good", "version": "1.0.0"},
         "calculators": [
             {"name": "good_count", "summary": "rows per group", "result": "int", "parameters": []},
             {"name": "good_sum", "summary": "exact sum of an int column", "result": "int",
              "parameters": [{"name": "column", "kind": "column", "types": ["int"], "summary": "the column"}]}]}


def answer(msg):
    groups = msg["groups"]
    if msg["calculator"] == "good_count":
        return [len(g["rows"]) for g in groups]
    values = msg["columns"][msg["parameters"]["column"]]["values"]
    out = []
    for g in groups:
        cells = [values[r] for r in g["rows"] if values[r] is not None]
        out.append(sum(cells) if cells else None)
    return out


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        reply = HELLO
    else:
        reply = {"type": "result", "id": msg["id"], "values": answer(msg)}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()

#!/usr/bin/env python3
"""Test plugin `good-v2`: speaks protocol 2 when reportd offers it. good_v2_sum = exact int sum of
`column` per group (null when every cell is null), and over all rows when the request asks for
totals. Appends one line per compute request to `requests.txt` in its working directory: the
protocol, whether totals were asked, and the group counts."""
import json
import sys

HELLO = {"type": "hello", "protocol": 2, "plugin": {"name": "good-v2", "version": "2.0.0"},
         "calculators": [
             {"name": "good_v2_sum", "summary": "exact sum of an int column", "result": "int",
              "parameters": [{"name": "column", "kind": "column", "types": ["int"], "summary": "the column"}]}]}


def total(cells):
    cells = [v for v in cells if v is not None]
    return sum(cells) if cells else None


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        reply = HELLO if 2 in msg.get("protocols", []) else dict(HELLO, protocol=1)
    else:
        values = msg["columns"][msg["parameters"]["column"]]["values"]
        out, start = [], 0
        for g in msg["groups"]:
            out.append(total(values[start:start + g["count"]]))
            start += g["count"]
        if msg.get("totals"):
            out.append(total(values))
        with open("requests.txt", "a") as f:
            f.write(json.dumps({"totals": msg.get("totals"), "counts": [g["count"] for g in msg["groups"]]}) + "\n")
        reply = {"type": "result", "id": msg["id"], "values": out}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()

#!/usr/bin/env python3
"""Test plugin `slow-hello`: answers the hello after 10 s (within a 60 s limit), then behaves
(slow_hello_calc = rows per group). Writes `answered.txt` in its working directory (the plugins
folder) when it has answered its first hello."""
import json
import os
import sys
import time

HELLO = {"type": "hello", "protocol": 1, "plugin": {"name": "slow-hello", "version": "1.0.0"},
         "calculators": [{"name": "slow_hello_calc", "summary": "rows per group", "result": "int",
                          "parameters": []}]}

for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        if not os.path.exists("answered.txt"):
            time.sleep(10)
        reply = HELLO
    else:
        reply = {"type": "result", "id": msg["id"], "values": [len(g["rows"]) for g in msg["groups"]]}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
    if msg["type"] == "hello" and not os.path.exists("answered.txt"):
        open("answered.txt", "w").close()

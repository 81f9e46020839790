#!/usr/bin/env python3
"""Test plugin `gate`: gate_count = rows per group, but each compute first creates `gate.started`
in its working directory (the plugins folder) and waits until `gate.release` exists there, so a
test controls how long a run lasts. The wait is long (at most 600 s: a full test run on two loaded
cores once spent more than 60 s between `gate.started` and the release, and the gate opened by
itself) and ends early if reportd dies (the plugin is then an orphan). Each compute appends
`begin TIME` and `end TIME` lines to `gate.log`, so a test can tell whether two computes
overlapped; each handshake appends a line to `gate.hellos`, so a test can count the times the plugin was started."""
import json
import os
import sys
import time

HELLO = {"type": "hello", "protocol": 1, "plugin": {"name": "gate", "version": "2.1.0"},
         "calculators": [{"name": "gate_count", "summary": "rows per group, once released", "result": "int",
                          "parameters": []}]}

for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        with open("gate.hellos", "a") as hellos:
            hellos.write("hello\n")
        reply = HELLO
    else:
        with open("gate.log", "a") as log:
            log.write(f"begin {time.time()}\n")
        open("gate.started", "a").close()
        deadline = time.time() + 600
        parent = os.getppid()
        while not os.path.exists("gate.release") and time.time() < deadline and os.getppid() == parent:
            time.sleep(0.02)
        with open("gate.log", "a") as log:
            log.write(f"end {time.time()}\n")
        reply = {"type": "result", "id": msg["id"], "values": [len(g["rows"]) for g in msg["groups"]]}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()

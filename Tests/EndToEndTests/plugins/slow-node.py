#!/usr/bin/env python3
"""Test plugin `slow-node`: slow_count = rows per group, after a second's work. Each compute appends
`begin PPID GRANDPARENT TIME` before its work and `end PPID GRANDPARENT TIME` after it to
`slow-node.log` in its working directory (the plugins folder, which the nodes of a cluster test
share), so a test can tell which reportd process is computing now (the daemon starts its plugins
through a child of its own: the grandparent), and kill or pause it there."""
import json
import os
import sys
import time

HELLO = {"type": "hello", "protocol": 1, "plugin": {"name": "slow-node", "version": "1.0.0"},
         "calculators": [{"name": "slow_count", "summary": "rows per group, after a second", "result": "int",
                          "parameters": []}]}


def grandparent():
    try:
        with open(f"/proc/{os.getppid()}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def note(word):
    with open("slow-node.log", "a") as log:
        log.write(f"{word} {os.getppid()} {grandparent()} {time.time()}\n")


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        reply = HELLO
    else:
        note("begin")
        time.sleep(1.0)
        note("end")
        reply = {"type": "result", "id": msg["id"], "values": [len(g["rows"]) for g in msg["groups"]]}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()

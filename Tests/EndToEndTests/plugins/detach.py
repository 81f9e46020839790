#!/usr/bin/env python3
"""Test plugin `detach` (and its copies): on every message it starts a helper that detaches itself
(a double fork with setsid, as a daemon does) and sleeps for an hour; the helper's pid is appended
to `grandchildren.txt` in the working directory (the plugins folder) as "MESSAGE PID". A copy whose
file name contains "hang" then hangs on compute instead of answering.

Its calculator is the file name with "-" as "_" plus "_calc": detach_calc, detach_hang_calc."""
import json
import os
import sys
import time

NAME = os.path.splitext(os.path.basename(sys.argv[0]))[0]
CALC = NAME.replace("-", "_") + "_calc"


def detach(message):
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        # The grandchild: in a session of its own, its parent gone.
        os.write(write_end, str(os.getpid()).encode())
        os.close(write_end)
        while True:
            time.sleep(3600)
    os.close(write_end)
    os.waitpid(child, 0)
    pid = os.read(read_end, 32).decode()
    os.close(read_end)
    with open("grandchildren.txt", "a") as f:
        f.write(f"{message} {pid}\n")


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    detach(msg["type"])
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": NAME, "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "leaves a helper behind", "result": "int",
                               "parameters": []}]})
    elif "hang" in NAME:
        while True:
            time.sleep(3600)
    else:
        send({"type": "result", "id": msg["id"], "values": [len(g["rows"]) for g in msg["groups"]]})

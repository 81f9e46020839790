#!/usr/bin/env python3
"""Test plugin `closes-input`: answers the hello, then closes its standard input and lingers, so
reportd's next write to it (the compute request) meets a pipe with no reader: with SIGPIPE at its
default action that write would kill reportd itself."""
import json
import os
import sys
import time

line = sys.stdin.readline()
os.close(0)
sys.stdout.write(json.dumps({"type": "hello", "protocol": 1, "plugin": {"name": "closes-input", "version": "1.0.0"},
                             "calculators": [{"name": "closes_input_calc", "summary": "misbehaves on purpose",
                                              "result": "int", "parameters": []}]}) + "\n")
sys.stdout.flush()
time.sleep(2)

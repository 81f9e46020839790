#!/usr/bin/env python3
"""Test plugin `import-error`: fails to start: it imports a module that does not exist (a ModuleNotFoundError on standard error)."""
import json
import sys
import reportd_no_such_module  # noqa: F401
CALC = "import_error_calc"


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def compute(msg):
    pass


for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "hello":
        send({"type": "hello", "protocol": 1, "plugin": {"name": "import-error", "version": "1.0.0"},
              "calculators": [{"name": CALC, "summary": "misbehaves on purpose", "result": "int", "parameters": []}]})
    elif msg["type"] == "compute":
        compute(msg)

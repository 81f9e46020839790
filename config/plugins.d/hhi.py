#!/usr/bin/env python3
"""reportd external plugin `hhi`: the Herfindahl–Hirschman index of a column's sum across the
values of another column, per group (see README.md beside this file and PLUGINS.md).

HHI = scale × Σ (s_i / S)² over the distinct non-null values i of `by`, where s_i is the sum of
`column` over the group's rows with that value and S is the group's total. Rows whose `column` or
`by` is null are skipped. The result is null when the group has no such row or S is 0.

Python 3 standard library only. Speaks protocol 1: newline-delimited JSON on stdin/stdout;
diagnostics go to stderr.
"""
import json
import math
import sys
from fractions import Fraction

PROTOCOL = 1
VERSION = "1.0.0"
DEFAULT_SCALE = 10000

HELLO = {
    "type": "hello",
    "protocol": PROTOCOL,
    "plugin": {"name": "hhi", "version": VERSION},
    "calculators": [
        {
            "name": "hhi",
            "summary": "Herfindahl–Hirschman index of a column's sum across the values of another column "
            "(10000 = one receiver gets everything)",
            "result": "decimal",
            "parameters": [
                {"name": "column", "kind": "column", "types": ["int", "decimal"], "required": True,
                 "summary": "the amount, e.g. state_support_vnd"},
                {"name": "by", "kind": "column", "required": True,
                 "summary": "who receives it, e.g. beneficiary"},
                {"name": "scale", "kind": "number", "min": 1, "max": 1000000, "required": False,
                 "summary": "multiplier: 10000 by default (US DOJ convention), 1 for shares as fractions"},
            ],
        }
    ],
}


class Refusal(Exception):
    """A problem with the request, sent back as an error message."""


def hhi(amounts, receivers, rows, is_int, scale):
    """The HHI of one group: `rows` are indices into the column arrays."""
    if is_int:
        sums = {}
        for r in rows:
            amount, receiver = amounts[r], receivers[r]
            if amount is None or receiver is None:
                continue
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise Refusal(f"row {r}: {amount!r} is not an int")
            sums[receiver] = sums.get(receiver, 0) + amount
        parts = {k: Fraction(v) for k, v in sums.items()}
    else:
        lists = {}
        for r in rows:
            amount, receiver = amounts[r], receivers[r]
            if amount is None or receiver is None:
                continue
            if isinstance(amount, bool) or not isinstance(amount, (int, float)):
                raise Refusal(f"row {r}: {amount!r} is not a number")
            lists.setdefault(receiver, []).append(amount)
        # fsum: each receiver's sum correctly rounded, whatever the order of the rows.
        parts = {k: Fraction(math.fsum(v)) for k, v in lists.items()}
    if not parts:
        return None
    total = sum(parts.values(), Fraction(0))
    if total == 0:
        return None
    # Exact rational arithmetic, rounded once at the end.
    index = sum((s * s for s in parts.values()), Fraction(0)) / (total * total) * Fraction(scale)
    value = float(index)
    return value if math.isfinite(value) else None


def compute(msg):
    if msg.get("calculator") != "hhi":
        raise Refusal(f"unknown calculator {msg.get('calculator')!r}; this plugin provides 'hhi'")
    params = msg.get("parameters") or {}
    column, by = params.get("column"), params.get("by")
    if not isinstance(column, str) or not isinstance(by, str):
        raise Refusal("parameters 'column' and 'by' are required")
    scale = params.get("scale", DEFAULT_SCALE)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 1 <= scale <= 1000000:
        raise Refusal(f"scale must be a number from 1 to 1000000, not {scale!r}")
    columns = msg.get("columns") or {}
    if column not in columns or by not in columns:
        raise Refusal(f"the request lacks column {column if column not in columns else by!r}")
    amounts = columns[column].get("values") or []
    receivers = columns[by].get("values") or []
    is_int = columns[column].get("type") == "int"
    # Values of `by` are compared as JSON values: "HTX A" and "HTX A " are different receivers.
    receivers = [None if v is None else json.dumps(v, sort_keys=True) for v in receivers]
    return [hhi(amounts, receivers, g.get("rows") or [], is_int, scale) for g in msg.get("groups") or []]


def send(obj):
    sys.stdout.write(json.dumps(obj, allow_nan=False, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main():
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            return 0  # reportd closed our input: we are done
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError as e:
            print(f"hhi: ignoring a line that is not JSON: {e}", file=sys.stderr)
            continue
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "hello":
            if msg.get("protocol") != PROTOCOL:
                print(f"hhi: reportd speaks protocol {msg.get('protocol')!r}; this plugin speaks {PROTOCOL}",
                      file=sys.stderr)
            send(HELLO)
        elif kind == "compute":
            try:
                send({"type": "result", "id": msg.get("id"), "values": compute(msg)})
            except Refusal as e:
                send({"type": "error", "id": msg.get("id"), "message": str(e)})
        else:
            # Later protocol versions may add messages; answer what we can, refuse the rest.
            send({"type": "error", "id": msg.get("id") if isinstance(msg, dict) else None,
                  "message": f"unknown message type {kind!r}"})


if __name__ == "__main__":
    sys.exit(main())

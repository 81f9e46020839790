#!/usr/bin/env python3
"""Parses a Prometheus text-format file with the prometheus_client package's parser (the one
Prometheus's Python client uses) and prints its families as JSON: {name: {"type": T, "samples":
[[sample name, labels, value], ...]}}. Exits 1 with the parser's message when the file does not parse."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    text = open(sys.argv[1], encoding="utf-8").read()
    out = {}
    for family in text_string_to_metric_families(text):
        out[family.name] = {"type": family.type, "help": family.documentation,
                            "samples": [[s.name, s.labels, s.value] for s in family.samples]}
except Exception as error:  # the parser raises ValueError and others on malformed input
    print(f"{sys.argv[1]}: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)
print(json.dumps(out))

"""Checks report files against the JSON Schema printed by `reportd schema`, with an independent
validator (Python's jsonschema), as yaml-language-server would.

Usage: schema_check.py SCHEMA.json GOOD.yaml... -- BAD.yaml...
Exit 0 when every good file validates and every bad file is refused.
"""
import json
import sys

import jsonschema
import yaml

schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
args = sys.argv[2:]
split = args.index("--") if "--" in args else len(args)
good, bad = args[:split], args[split + 1:]
failed = False
for path in good:
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(open(path, encoding="utf-8")))]
    if errors:
        failed = True
        print(f"{path}: refused: {errors[:3]}")
for path in bad:
    if not list(validator.iter_errors(yaml.safe_load(open(path, encoding="utf-8")))):
        failed = True
        print(f"{path}: accepted but is invalid")
print(f"{len(good)} valid, {len(bad)} invalid files checked")
sys.exit(1 if failed else 0)

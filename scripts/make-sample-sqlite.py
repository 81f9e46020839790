#!/usr/bin/env python3
"""Makes an SQLite copy of a CSV dataset, typed by its schema file (Python's standard library only).

    scripts/make-sample-sqlite.py [--strict] [CSV SCHEMA OUT TABLE]

Without arguments: config/data/projects.csv and projects.schema.yaml give config/data/projects.sqlite
(table `projects`), the sample database the README's SQLite example reads. Column types follow the
schema: int -> INTEGER, decimal -> REAL, string -> TEXT, date -> DATE (ISO text), bool -> BOOLEAN
(0/1). An empty cell is NULL. The file is made anew (never appended to).

--strict makes a STRICT table (SQLite 3.37 or later) whose definition guarantees what reportd
would otherwise check cell by cell: int -> INTEGER, decimal -> REAL, string and date -> TEXT,
bool -> INTEGER; a required column NOT NULL, a required string CHECK (c <> ''), a date
CHECK (date(c, '+0 days') IS c), a bool CHECK (c IN (0, 1)).
"""
import csv
import os
import re
import sqlite3
import sys

TYPES = {"int": "INTEGER", "decimal": "REAL", "string": "TEXT", "date": "DATE", "bool": "BOOLEAN"}
STRICT_TYPES = {"int": "INTEGER", "decimal": "REAL", "string": "TEXT", "date": "TEXT", "bool": "INTEGER"}


def schema_columns(path):
    """(name, type) of each `name: {type: T, ...}` line under `columns:` (the schema's flow style)."""
    columns = []
    pattern = re.compile(r"^\s+([^\s:#]+|\"[^\"]+\"):\s*\{.*\btype:\s*(\w+)")
    required = re.compile(r"\brequired:\s*true\b")
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = pattern.match(line)
            if m:
                columns.append((m.group(1).strip('"'), m.group(2), bool(required.search(line))))
    if not columns:
        sys.exit(f"{path}: no columns found (this script reads one `name: {{type: T}}` per line)")
    return columns


def cell(text, kind):
    if text == "":
        return None
    if kind == "int":
        return int(text)
    if kind == "decimal":
        return float(text)
    if kind == "bool":
        return 1 if text.lower() == "true" else 0
    return text


def definition(name, kind, needed, strict, quote):
    """One column's definition in CREATE TABLE."""
    q = quote(name)
    if not strict:
        return "%s %s" % (q, TYPES[kind])
    parts = [q, STRICT_TYPES[kind]]
    if needed:
        parts.append("NOT NULL")
    if kind == "string" and needed:
        parts.append("CHECK (%s <> '')" % q)
    if kind == "date":
        parts.append("CHECK (date(%s, '+0 days') IS %s)" % (q, q))
    if kind == "bool":
        parts.append("CHECK (%s IN (0, 1))" % q)
    return " ".join(parts)


def main(argv):
    strict = "--strict" in argv
    argv = [a for a in argv if a != "--strict"]
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.join(here, "..", "config", "data")
    if len(argv) == 0:
        argv = [os.path.join(data, "projects.csv"), os.path.join(data, "projects.schema.yaml"),
                os.path.join(data, "projects.sqlite"), "projects"]
    if len(argv) != 4:
        sys.exit(__doc__)
    csv_path, schema_path, out, table = argv
    columns = schema_columns(schema_path)
    if os.path.exists(out):
        os.remove(out)
    db = sqlite3.connect(out)
    quote = lambda name: '"' + name.replace('"', '""') + '"'
    db.execute("CREATE TABLE %s (%s)%s" % (quote(table), ", ".join(
        definition(name, kind, needed, strict, quote) for name, kind, needed in columns), " STRICT" if strict else ""))
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        rows = [[cell(row[name], kind) for name, kind, _ in columns] for row in reader]
    db.executemany("INSERT INTO %s VALUES (%s)" % (quote(table), ", ".join("?" for _ in columns)), rows)
    db.commit()
    db.execute("VACUUM")
    db.close()
    print(f"{os.path.relpath(out)}: {len(rows)} rows in {'STRICT ' if strict else ''}table {table}")


if __name__ == "__main__":
    main(sys.argv[1:])

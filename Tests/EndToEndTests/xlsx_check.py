#!/usr/bin/env python3
"""Checks a workbook reportd wrote against the JSON output of the same run, with two independent
readers: openpyxl (every value, the frozen header, the autofilter, the details sheet) and
LibreOffice headless (`soffice --convert-to csv`: the file opens and gives the same values).

    xlsx_check.py WORKBOOK JSON [--soffice] [--header LABEL ...]

Exits 0 when everything agrees, else prints each difference and exits 1."""
import csv
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import xml.dom.minidom
import zipfile

import openpyxl

args = sys.argv[1:]
path, json_path = args[0], args[1]
use_soffice = "--soffice" in args
headers = args[args.index("--header") + 1:] if "--header" in args else None
doc = json.load(open(json_path, encoding="utf-8"))
problems = []


def problem(text):
    problems.append(text)


# Every part is well-formed XML, and no cell is a formula.
with zipfile.ZipFile(path) as z:
    for name in z.namelist():
        data = z.read(name)
        try:
            xml.dom.minidom.parseString(data)
        except Exception as e:  # noqa: BLE001
            problem(f"{name} is not well-formed XML: {e}")
        if name.startswith("xl/worksheets/") and b"<f>" in data:
            problem(f"{name} holds a formula")

columns = [c["name"] for c in doc["columns"]]
# Value labels (a schema's `values:`): the workbook shows the label where the JSON keeps the code.
labels = {c["name"]: c["values"] for c in doc["columns"] if isinstance(c.get("values"), dict)}
for row in doc["rows"]:
    for name, mapping in labels.items():
        if row.get(name) in mapping:
            row[name] = mapping[row[name]]
types = {c["name"]: c.get("type") for c in doc["columns"]}
wanted_header = headers or [c.get("label", c["name"]) for c in doc["columns"]]


def same(got, want, column):
    """An openpyxl value against a JSON value of `column`."""
    if want is None:
        return got is None
    kind = types.get(column)
    if kind == "date" and isinstance(got, datetime.datetime):
        return got.date().isoformat() == want
    if isinstance(want, bool):
        return got is want
    if isinstance(want, int):
        if abs(want) >= 10 ** 15:  # 16 digits and more: text (Excel shows 15 significant digits)
            return got == str(want)
        return isinstance(got, (int, float)) and got == want
    if isinstance(want, float):
        return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-15, abs_tol=0)
    return got == want


wb = openpyxl.load_workbook(path)
ws = wb.worksheets[0]
rows = [list(r) for r in ws.iter_rows(values_only=True)]
header_row = next((i for i, r in enumerate(rows) if [c for c in r[: len(columns)]] == wanted_header), None)
if header_row is None:
    problem(f"no header row {wanted_header} in {rows[:6]}")
    header_row = 0
body = rows[header_row + 1:]
totals = doc.get("totals")
data = body[:-1] if totals is not None else body
if len(data) != len(doc["rows"]):
    problem(f"{len(data)} data rows, the JSON has {len(doc['rows'])}")
for i, (got, want) in enumerate(zip(data, doc["rows"])):
    for c, name in enumerate(columns):
        if not same(got[c], want[name], name):
            problem(f"row {i + 1}, {name}: openpyxl reads {got[c]!r}, the JSON has {want[name]!r}")
if totals is not None:
    last = body[-1]
    first = len(columns) - len(totals)
    for c, name in enumerate(columns[first:]):
        if not same(last[first + c], totals[name], name):
            problem(f"totals, {name}: openpyxl reads {last[first + c]!r}, the JSON has {totals[name]!r}")
if ws.freeze_panes != f"A{header_row + 2}":
    problem(f"frozen at {ws.freeze_panes}, not below the header (A{header_row + 2})")
last_data = header_row + 1 + len(doc["rows"])
last_col = openpyxl.utils.get_column_letter(len(columns))
if ws.auto_filter.ref != f"A{header_row + 1}:{last_col}{last_data}":
    problem(f"autofilter {ws.auto_filter.ref}, not A{header_row + 1}:{last_col}{last_data}")
details = {r[0]: r[1] for r in wb.worksheets[1].iter_rows(values_only=True)}
values = list(details.values())
for key in ("rows", "rows_used", "rows_rejected"):
    if doc["dataset"][key] not in values:
        problem(f"the details sheet lacks the dataset's {key} ({doc['dataset'][key]}): {details}")
if doc["dataset"]["name"] not in values or doc["slot"] not in values:
    problem(f"the details sheet lacks the dataset's name or the slot: {details}")

if use_soffice and shutil.which("soffice") is None:
    problem("soffice (LibreOffice) is not installed: apt-get install --no-install-recommends libreoffice-calc-nogui")
elif use_soffice:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
             "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false", "--outdir", tmp, path],
            capture_output=True, text=True, timeout=180)
        converted = os.path.join(tmp, os.path.splitext(os.path.basename(path))[0] + ".csv")
        if not os.path.exists(converted):
            problem(f"LibreOffice did not convert the workbook: {out.stdout}{out.stderr}")
        else:
            lo = list(csv.reader(open(converted, encoding="utf-8")))
            lo_header = next((i for i, r in enumerate(lo) if r[: len(columns)] == [str(h) for h in wanted_header]), None)
            if lo_header is None:
                problem(f"LibreOffice: no header row in {lo[:6]}")
            else:
                lo_body = lo[lo_header + 1:]
                for i, want in enumerate(doc["rows"]):
                    got = lo_body[i] if i < len(lo_body) else []
                    for c, name in enumerate(columns):
                        w = want[name]
                        g = got[c] if c < len(got) else ""
                        if w is None:
                            ok = g == ""
                        elif isinstance(w, bool):
                            ok = g.upper() == str(w).upper()
                        elif isinstance(w, (int, float)):
                            try:
                                ok = float(g) == float(w) if isinstance(w, float) else (g == str(w))
                            except ValueError:
                                ok = False
                        elif types.get(name) == "date" and "/" in g:
                            # LibreOffice writes a date's raw value as M/D/YYYY (its en-US default)
                            # when the cell's format is not ISO.
                            m, d, y = g.split("/")
                            ok = f"{int(y):04d}-{int(m):02d}-{int(d):02d}" == w
                        else:
                            ok = g == w
                        if not ok:
                            problem(f"LibreOffice row {i + 1}, {name}: {g!r}, the JSON has {w!r}")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"ok: {len(doc['rows'])} rows agree (openpyxl{', LibreOffice' if use_soffice else ''})")

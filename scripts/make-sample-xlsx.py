#!/usr/bin/env python3
"""Writes config/data/projects.xlsx, the sample projects as an Excel workbook (sheet "Đề án"),
from config/data/projects.csv, typed by its schema (ints and dates as numbers and dates, as Excel
keeps them) with openpyxl. Run it from the repository's root after changing projects.csv."""
import csv
import datetime
import re
import zipfile

import openpyxl
import yaml

schema = yaml.safe_load(open("config/data/projects.schema.yaml", encoding="utf-8"))["columns"]
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Đề án"
with open("config/data/projects.csv", encoding="utf-8-sig", newline="") as f:
    rows = csv.reader(f)
    header = next(rows)
    ws.append(header)
    for row in rows:
        out = []
        for name, text in zip(header, row):
            kind = schema.get(name, {}).get("type", "string")
            if text == "":
                out.append(None)
            elif kind == "int":
                out.append(int(text))
            elif kind == "decimal":
                out.append(float(text))
            elif kind == "date":
                out.append(datetime.date.fromisoformat(text))
            else:
                out.append(text)
        ws.append(out)
path = "config/data/projects.xlsx"
wb.save(path)
# Fixed times inside, so that the script gives the same bytes each run.
with zipfile.ZipFile(path) as z:
    parts = [(i, z.read(i.filename)) for i in z.infolist()]
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for info, data in parts:
        if info.filename == "docProps/core.xml":
            data = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*<", rb"<dcterms:\1\2>2026-01-01T00:00:00Z<", data)
        info.date_time = (1980, 1, 1, 0, 0, 0)
        z.writestr(info, data)

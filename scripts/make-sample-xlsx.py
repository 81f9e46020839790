#!/usr/bin/env python3
"""Writes config/data/projects.xlsx, the sample projects as an Excel workbook (sheet "Đề án"),
from config/data/projects.csv, typed by its schema (ints and dates as numbers and dates, as Excel
keeps them) with openpyxl. Run it from the repository's root after changing projects.csv."""
import csv
import datetime

import openpyxl
import yaml

import xlsx_reproducible

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
xlsx_reproducible.save(wb, "config/data/projects.xlsx")

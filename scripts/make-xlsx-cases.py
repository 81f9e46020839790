#!/usr/bin/env python3
"""Writes the XLSX source's test cases (DataSources/XLSX/testcases/) with openpyxl, an independent
writer of workbooks: shared strings, numbers, dates in the 1900 and 1904 systems, booleans, empty
cells, a named sheet, bad cells; and one workbook written part by part with inline strings (what
reportd's own writer and some exporters use; openpyxl writes shared strings only). Run it from
the repository's root; it rewrites the inputs, not the expected files."""
import datetime
import os
import zipfile

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from xlsx_reproducible import save

ROOT = os.path.join("DataSources", "XLSX", "testcases")
SCHEMA = """columns:
  project_id: {type: string, required: true}
  district: {type: string, required: true}
  started: {type: date, required: true}
  state_support_vnd: {type: int, required: true}
  score: {type: decimal}
  completed: {type: bool}
"""
HEADER = ["project_id", "district", "started", "state_support_vnd", "score", "completed", "note"]
ROWS = [
    ["KC-01", "Mường Tè", datetime.date(2021, 3, 15), 45000000, 7.5, True, "=1+2"],
    ["KC-02", "Tân Uyên", datetime.date(1900, 2, 28), 280000000, None, False, None],
    # Beyond 2^53 as text: openpyxl (like Excel) stores numbers as doubles, and would round it.
    ["KC-03", "Sìn Hồ", datetime.date(2024, 2, 29), "9007199254740993", 9.25, None, "ghi chú"],
    ["KC-04", "Mường Tè", datetime.date(1900, 3, 1), 62450000, 6, True, None],
]


def folder(name, dataset=""):
    path = os.path.join(ROOT, name)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "schema.yaml"), "w", encoding="utf-8") as f:
        f.write(SCHEMA)
    if dataset:
        with open(os.path.join(path, "dataset.yaml"), "w", encoding="utf-8") as f:
            f.write(dataset)
    return path


def book(rows, title="Sheet1", epoch=None, before=None):
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    if before:
        wb.active.title = before
        ws = wb.create_sheet(title)
    else:
        ws = wb.active
        ws.title = title
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    return wb


# Shared strings, numbers, dates (1900 system, both sides of the fictitious 29 February 1900),
# booleans, empty cells, an integer beyond 2^53 (kept exact: openpyxl writes its digits).
save(book(ROWS), os.path.join(folder("typed"), "input.xlsx"))
# The 1904 date system (old Mac Excel), and the sheet named in the dataset, not the first.
ROWS_1904 = [list(r) for r in ROWS]
ROWS_1904[1][2] = datetime.date(1904, 1, 1)
ROWS_1904[3][2] = datetime.date(1904, 3, 1)
save(book(ROWS_1904, title="Đề án", epoch=CALENDAR_MAC_1904, before="Ghi chú"),
     os.path.join(folder("date-1904-named-sheet", 'sheet: "Đề án"\n'), "input.xlsx"))
# Bad cells set aside: a text in an int column, an empty required cell, an error value.
bad = [list(r) for r in ROWS]
bad[1][3] = "hai trăm"
bad[2][1] = None
wb = book(bad)
wb.active["E5"] = "#N/A"
wb.active["E5"].data_type = "e"
save(wb, os.path.join(folder("bad-cells-rejected", "on_bad_rows: reject\n"), "input.xlsx"))

# Inline strings and a cell with a formula and its cached value, written part by part.
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'
         '<row r="1">' + "".join(f'<c r="{c}1" t="inlineStr"><is><t>{h}</t></is></c>'
                                 for c, h in zip("ABCDEFG", HEADER)) + '</row>'
         '<row r="2"><c r="A2" t="inlineStr"><is><t>KC-01</t></is></c>'
         '<c r="B2" t="inlineStr"><is><r><t>Mư</t></r><r><rPr><b/></rPr><t>ờng Tè</t></r></is></c>'
         '<c r="C2"><v>44270</v></c><c r="D2"><v>45000000</v></c><c r="E2"><f>15/2</f><v>7.5</v></c>'
         '<c r="F2" t="b"><v>1</v></c><c r="G2" t="str"><f>"="&amp;"1+2"</f><v>=1+2</v></c></row>'
         '<row r="4"><c r="A4" t="inlineStr"><is><t xml:space="preserve"> KC-02 </t></is></c>'
         '<c r="B4" t="inlineStr"><is><t>A &amp; B_x000D_</t></is></c>'
         '<c r="C4"><v>1</v></c><c r="D4"><v>4.5E+7</v></c></row>'
         '</sheetData></worksheet>')
parts = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/data.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>',
    "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} {RNS}><sheets>'
    '<sheet name="Data" sheetId="1" r:id="rId7"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/data.xml"/>'
    '</Relationships>',
    "xl/worksheets/data.xml": sheet,
}
path = os.path.join(folder("inline-strings"), "input.xlsx")
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        z.writestr(info, text.encode("utf-8"), zipfile.ZIP_DEFLATED)
# The workbook openpyxl reads back from the inline-strings case, as a check of the case itself.
check = openpyxl.load_workbook(path)
assert check["Data"]["B2"].value == "Mường Tè", check["Data"]["B2"].value

#!/usr/bin/env python3
"""Writes the CSV source's test cases of files as Windows saves them (DataSources/CSV/testcases/):
Windows-1258 with semicolons (Vietnamese as base letters and combining tone marks, as Windows
writes it), UTF-16 with a byte-order mark and tabs (Excel's "Unicode Text"), and Windows-1252.
Encoded by Python's own codecs (cp1258, utf-16, cp1252), not by reportd's iconv. Run it from the
repository's root; it rewrites the inputs, not the expected files."""
import os
import unicodedata

ROOT = os.path.join("DataSources", "CSV", "testcases")
SHAPE = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: letters of their own in cp1258

ROWS = [
    ["project_id", "district", "title", "state_support_vnd", "score"],
    ["KC-01", "Mường Tè", "Hỗ trợ máy sấy chè", "45000000", "7.5"],
    ["KC-02", "Tân Uyên", "Ứng dụng máy đóng gói; nhãn \"OCOP\"", "280000000", ""],
    ["KC-03", "Sìn Hồ", "Nâng cấp xưởng dệt thổ cẩm", "320000000", "9.25"],
    ["KC-04", "Than Uyên", "Đào tạo nghề đan lát", "62450000", "6"],
]
SCHEMA = """columns:
  project_id: {type: string, required: true}
  district: {type: string, required: true}
  title: {type: string}
  state_support_vnd: {type: int, required: true}
  score: {type: decimal}
"""


def windows_1258(text):
    """Each letter as Windows-1258 writes it: the base letter with its shape mark composed (â, ơ,
    ư, ă), then the tone mark as a combining character."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        nfd = unicodedata.normalize("NFD", ch)
        base = nfd[0] + "".join(m for m in nfd[1:] if m in SHAPE)
        tones = "".join(m for m in nfd[1:] if m not in SHAPE)
        out.append(unicodedata.normalize("NFC", base).encode("cp1258") + tones.encode("cp1258"))
    return b"".join(out)


def line(row, sep):
    def field(f):
        if sep in f or '"' in f:
            return '"' + f.replace('"', '""') + '"'
        return f
    return sep.join(field(f) for f in row) + "\r\n"


def case(name, data, dataset):
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "input.csv"), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, "schema.yaml"), "w", encoding="utf-8") as f:
        f.write(SCHEMA)
    with open(os.path.join(folder, "dataset.yaml"), "w", encoding="utf-8") as f:
        f.write(dataset)


text = "".join(line(r, ";") for r in ROWS)
case("windows-1258-semicolons", windows_1258(text), 'encoding: windows-1258\ndelimiter: ";"\n')
# Excel's "Unicode Text": UTF-16 little-endian with a byte-order mark, tab-separated. No
# `encoding` key: the byte-order mark says it.
case("utf-16-tabs", "".join(line(r, "\t") for r in ROWS).encode("utf-16"), 'delimiter: "\\t"\n')
latin = [[f.replace("Mường Tè", "Café Noël").replace("Tân Uyên", "Zoë").replace("Sìn Hồ", "Ørsted")
          .replace("Than Uyên", "Façade") for f in r] for r in ROWS[:1]]
latin += [["KC-01", "Café Noël", "Crème brûlée", "45000000", "7.5"],
          ["KC-02", "Zoë", "Œuvre; « guillemets »", "280000000", ""]]
case("windows-1252", "".join(line(r, ",") for r in latin).encode("cp1252"), "encoding: windows-1252\n")

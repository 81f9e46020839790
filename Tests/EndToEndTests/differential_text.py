#!/usr/bin/env python3
"""Differential test of reportd's dataset reader and whole reports on text that mixes NFC and NFD
spellings, quoted fields, embedded line breaks, bad quotes and bad rows (issue 24, points 5-7).

Each case is a small generated dataset (fixed seed) with its own reports: every row listed as a
group (the reader's table), the districts with count, sum, min, max, mean, median, p90 and stddev
(groups, order and figures), a filter `district in [...]` with literals typed in either form, and
the growth of each district from year to year. One `reportd run` computes every case.

Oracles:
  * Clean cases (on_bad_rows: fail): DuckDB's read_csv reads the file; Python's csv module must read
    the same rows (two independent readers agree before either is trusted). DuckDB does not
    normalise text, so the oracle side is normalised to NFC in Python (unicodedata).
  * Cases with bad rows (on_bad_rows: reject): no library applies the SPEC's resync rule (a bad
    record costs its first line; a quoted field ends at its closing quote; a lone CR is an error),
    so `reference_read` below implements that rule from the SPEC's text. Its rows, and the line of
    every rejected row, are the expected reader outcome. DuckDB's read_csv with ignore_errors is
    run on the same file for information only (printed, never gating: its recovery differs).
  * Every report's figures: DuckDB SQL over the expected rows. A non-integer figure must be
    DuckDB's value rounded to 15 significant digits (or within 1e-12 of it and itself no longer
    than 15 digits), never binary noise; sums of ints and decimals must be exact.

Usage:
    python3 differential_text.py --reportd PATH --workdir DIR [--cases 60] [--seed 24]

Exit status: 0 everything matched; 1 a disagreement or a failed run; 3 duckdb is not installed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import io
import json
import math
import os
import random
import subprocess
import sys
import time
import unicodedata

try:
    import duckdb
except ImportError:  # pragma: no cover - reported, never skipped
    print(
        "differential_text.py: cannot import duckdb, the oracle of this test. Install it with "
        "`python3 -m pip install duckdb` and run again.",
        file=sys.stderr,
    )
    sys.exit(3)

MAX_SHOWN = 6

DISTRICTS = ["Mường Tè", "Sìn Hồ", "Tân Uyên", "Phong Thổ", "Than Uyên", "Tam Đường", "Lai Châu", "Nậm Nhùn"]
NOTES = [
    "Hỗ trợ máy móc, chế biến chè",  # a quoted comma
    'Nhãn "Chè Tân Uyên"',  # doubled quotes
    "Hai dòng\nxuống dòng",  # an embedded LF
    "CRLF\r\ntrong ô",  # an embedded CRLF
    "dệt thổ cẩm",
    "rượu ngô Sán Lùng",
    "",
    "plain",
]
# name -> (reportd type, required)
COLUMNS = {
    "id": ("string", True),
    "district": ("string", True),
    "year": ("int", True),
    "amount": ("int", False),
    "score": ("decimal", False),
    "day": ("date", False),
    "note": ("string", False),
}
NAMES = list(COLUMNS)


def nfc(s):
    return unicodedata.normalize("NFC", s) if isinstance(s, str) else s


def spelled(rng: random.Random, text: str) -> str:
    """`text` with precomposed letters or with combining marks, at random."""
    return unicodedata.normalize("NFD" if rng.random() < 0.5 else "NFC", text)


def quoted(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def field(rng: random.Random, s: str) -> str:
    """A cell as a careful writer writes it: quoted when it must be, sometimes when it need not."""
    if any(c in s for c in ',"\r\n') or (s and rng.random() < 0.1):
        return quoted(s)
    return s


# ----------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------


def make_case(rng: random.Random, k: int, bad: bool) -> dict:
    """A dataset as bytes plus what the generator intended (for the reports' parameters)."""
    n = rng.randint(20, 120)
    districts = rng.sample(DISTRICTS, rng.randint(2, 5))
    # DuckDB's strict reader wants one line ending per file: mixed endings only with bad rows.
    eol_mode = rng.choice(["\n", "\r\n", "mixed"] if bad else ["\n", "\r\n"])
    body = []
    for i in range(n):
        amount = "" if rng.random() < 0.08 else str(rng.randrange(1, 6000) * rng.choice([1000, 100000, 500000]))
        if rng.random() < 0.05:
            amount = str(rng.randrange(-9000, 9000))
        score = "" if rng.random() < 0.1 else f"{rng.uniform(-10, 100):.{rng.choice([0, 1, 2, 3])}f}"
        day = "" if rng.random() < 0.1 else (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(700))).isoformat()
        cells = [
            field(rng, f"R{k}-{i}"),
            field(rng, spelled(rng, rng.choice(districts))),
            str(rng.randint(2021, 2025)),
            amount,
            score,
            day,
            field(rng, spelled(rng, rng.choice(NOTES))),
        ]
        if bad and rng.random() < 0.12:
            kind = rng.randrange(7)
            if kind == 0:  # text after a closing quote (the issue's `c,"2"x,1,...`)
                cells[0] = quoted(f"R{k}-{i}") + "x"
            elif kind == 1:  # a quote that never closes on its line (takes the next lines in)
                cells[6] = '"' + spelled(rng, "ghi chú mở")
            elif kind == 2:  # a wrong field count
                cells = cells[:-1]
            elif kind == 3:  # a bad int
                cells[2] = "20x4"
            elif kind == 4:  # a required string empty
                cells[1] = ""
            elif kind == 5:  # a lone CR inside an unquoted field
                cells[6] = "a\rb"
            else:  # a multi-line record with a bad cell after its line break
                cells[6] = quoted("dòng một\ndòng hai")
                cells[3] = "nhiều"
        eol = rng.choice(["\n", "\r\n"]) if eol_mode == "mixed" else eol_mode
        if rng.random() < 0.03:
            body.append(eol)  # a blank line
        body.append(",".join(cells) + eol)
    text = ",".join(NAMES) + ("\n" if eol_mode == "mixed" else eol_mode) + "".join(body)
    if rng.random() < 0.2:
        text = text.rstrip("\r\n")  # no line break after the last record
    literals = [spelled(rng, d) for d in rng.sample(districts, min(2, len(districts)))]
    return {"name": f"c{k}", "bytes": text.encode("utf-8"), "bad": bad, "literals": literals}


# ----------------------------------------------------------------------------------------------
# The SPEC's reading rule, written from its text (no library applies it)
# ----------------------------------------------------------------------------------------------


class Bad(Exception):
    pass


def parse_int(s: str):
    t = s.strip(" \t")
    if t == "":
        return None
    body = t[1:] if t[0] in "+-" else t
    if not body.isascii() or not body.isdigit():
        raise Bad(f"'{t}' is not an int")
    v = int(t)
    if not -(2**63) <= v < 2**63:
        raise Bad("outside the 64-bit range")
    return v


def parse_decimal(s: str):
    t = s.strip(" \t")
    if t == "":
        return None
    try:
        return decimal.Decimal(t)
    except decimal.InvalidOperation:
        raise Bad(f"'{t}' is not a decimal")


def parse_date(s: str):
    t = s.strip(" \t")
    if t == "":
        return None
    try:
        if len(t) != 10 or t[4] != "-" or t[7] != "-":
            raise ValueError(t)
        return dt.date.fromisoformat(t)
    except ValueError:
        raise Bad(f"'{t}' is not a date")


def typed(fields: list[str]) -> list:
    out = []
    for name, raw in zip(NAMES, fields):
        typ, required = COLUMNS[name]
        if typ == "string":
            v = nfc(raw) if raw != "" else None
        elif typ == "int":
            v = parse_int(raw)
        elif typ == "decimal":
            v = parse_decimal(raw)
        else:
            v = parse_date(raw)
        if v is None and required:
            raise Bad(f"column '{name}' is required but empty")
        out.append(v)
    return out


def reference_read(data: bytes):
    """(kept rows, rejected lines) by the SPEC's rule, in reject mode.

    A record is read field by field: a quoted field runs to its closing quote (`""` is a quote),
    and only a comma, LF, CRLF or the end may follow it; an unquoted field runs to a comma, LF,
    CRLF or the end, and a CR anywhere else in it is an error. A record that breaks this, or
    whose typed cells break the schema while it spans lines, costs its first line: reading
    resumes at its second line. A one-line record that breaks the schema costs itself.
    """
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    n = len(text)
    pos = 0

    def read_record(pos):
        fields = []
        while True:
            if pos < n and text[pos] == '"':
                pos += 1
                buf = []
                while True:
                    if pos >= n:
                        raise Bad("unterminated quoted field")
                    c = text[pos]
                    if c == '"':
                        if pos + 1 < n and text[pos + 1] == '"':
                            buf.append('"')
                            pos += 2
                            continue
                        pos += 1
                        break
                    buf.append(c)
                    pos += 1
                if pos < n and text[pos] not in ",\n" and not (text[pos] == "\r" and (pos + 1 == n or text[pos + 1] == "\n")):
                    raise Bad("text after a closing quote")
                fields.append("".join(buf))
            else:
                start = pos
                while pos < n and text[pos] not in ",\n":
                    if text[pos] == "\r":
                        if pos + 1 == n or text[pos + 1] == "\n":
                            break
                        raise Bad("a lone CR")
                    pos += 1
                fields.append(text[start:pos])
            if pos >= n:
                return fields, n, n
            c = text[pos]
            if c == ",":
                pos += 1
                continue
            end = pos
            pos = min(pos + (2 if c == "\r" else 1), n)
            return fields, end, pos

    def skip_blank(pos, line):
        while pos < n and (text[pos] == "\n" or (text[pos] == "\r" and pos + 1 < n and text[pos + 1] == "\n")):
            pos += 2 if text[pos] == "\r" else 1
            line += 1
        return pos, line

    line = 1
    pos, line = skip_blank(pos, line)
    header, _, pos = read_record(pos)
    assert [h.strip() for h in header] == NAMES, header
    line += 1
    kept, rejected = [], []
    while True:
        pos, line = skip_blank(pos, line)
        if pos >= n:
            break
        start = pos
        first_lf = text.find("\n", start)
        first_line_end = n if first_lf < 0 else first_lf
        try:
            fields, end, after = read_record(pos)
        except Bad:
            rejected.append(line)
            pos, line = first_line_end + 1, line + 1
            continue
        spans = first_line_end < end
        try:
            if len(fields) != len(NAMES):
                raise Bad("field count")
            kept.append(typed(fields))
        except Bad:
            rejected.append(line)
            if spans:
                pos, line = first_line_end + 1, line + 1
                continue
        line += text.count("\n", start, after)
        pos = after
    return kept, rejected


def csv_module_read(data: bytes):
    """Python's csv module on a clean file: the second opinion on DuckDB's rows."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))
    return [typed(r) for r in rows[1:] if r]


# ----------------------------------------------------------------------------------------------
# Reports and their SQL
# ----------------------------------------------------------------------------------------------


def reports_for(case: dict) -> list[dict]:
    c = case["name"]
    lit = case["literals"]
    return [
        dict(name=f"{c}-rows", group_by=NAMES, metrics=[dict(name="n", calc="count")]),
        dict(
            name=f"{c}-districts",
            group_by=["district"],
            totals=True,
            metrics=[
                dict(name="n", calc="count"),
                dict(name="total", calc="sum", column="amount"),
                dict(name="lowest", calc="min", column="amount"),
                dict(name="highest", calc="max", column="amount"),
                dict(name="average", calc="mean", column="amount"),
                dict(name="middle", calc="median", column="amount"),
                dict(name="p90", calc="percentile", column="amount", p=90),
                dict(name="spread", calc="stddev", column="amount"),
                dict(name="score_sum", calc="sum", column="score"),
                dict(name="score_mean", calc="mean", column="score"),
                dict(name="first_note", calc="min", column="note"),
                dict(name="last_note", calc="max", column="note"),
                dict(name="share", calc="share", column="amount"),
            ],
        ),
        dict(
            name=f"{c}-filter",
            group_by=["year"],
            filter="district in [" + ", ".join(json.dumps(x, ensure_ascii=False) for x in lit) + "]",
            sql_filter="district IN (" + ", ".join("'" + nfc(x) + "'" for x in lit) + ")",
            metrics=[dict(name="n", calc="count"), dict(name="total", calc="sum", column="amount")],
        ),
        dict(
            name=f"{c}-growth",
            group_by=["district", "year"],
            metrics=[
                dict(name="total", calc="sum", column="amount"),
                dict(name="growth", calc="growth", column="amount", period="year"),
            ],
        ),
    ]


def metric_sql(m: dict) -> str:
    calc = m["calc"]
    col = m.get("column")
    if calc == "count":
        return "count(*)"
    if calc == "sum":
        return f"sum({col})"
    if calc in ("min", "max"):
        return f"{calc}({col})"
    if calc == "mean":
        return f"CAST(avg({col}) AS DOUBLE)"
    if calc == "median":
        return f"quantile_cont({col}, 0.5)"
    if calc == "percentile":
        return f"quantile_cont({col}, {m['p']} / 100)"
    if calc == "stddev":
        return f"stddev_samp({col})"
    raise ValueError(calc)


def oracle(con, rep: dict, grouped: bool = True) -> list[dict]:
    keys = rep["group_by"] if grouped else []
    where = f"WHERE {rep['sql_filter']}" if rep.get("sql_filter") else ""
    inner, outer = [], []
    for m in rep["metrics"]:
        if m["calc"] == "share":
            inner.append(f"sum({m['column']}) AS s_{m['name']}")
            outer.append(
                f"100 * CAST(s_{m['name']} AS DOUBLE) / NULLIF(CAST(sum(s_{m['name']}) OVER () AS DOUBLE), 0) AS {m['name']}"
            )
        elif m["calc"] == "growth":
            inner.append(f"sum({m['column']}) AS s_{m['name']}")
            others = [g for g in keys if g != m["period"]]
            window = (f"PARTITION BY {', '.join(others)} " if others else "") + f"ORDER BY {m['period']}"
            prev = f"lag(s_{m['name']}) OVER ({window})"
            outer.append(
                f"100 * CAST(s_{m['name']} - {prev} AS DOUBLE) / NULLIF(CAST({prev} AS DOUBLE), 0) AS {m['name']}"
                if keys
                else f"NULL AS {m['name']}"
            )
        else:
            inner.append(f"{metric_sql(m)} AS {m['name']}")
            outer.append(m["name"])
    group = f"GROUP BY {', '.join(keys)}" if keys else ""
    sql = (
        f"WITH g AS (SELECT {', '.join(keys + inner)} FROM t {where} {group}) "
        f"SELECT {', '.join(keys + outer)} FROM g"
    )
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def load_rows(rows: list[list]):
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (id VARCHAR, district VARCHAR, year BIGINT, amount BIGINT, score DECIMAL(18,3), day DATE, note VARCHAR)"
    )
    if rows:
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def duckdb_read(path: str, ignore_errors: bool):
    con = duckdb.connect()
    types = "{'id': 'VARCHAR', 'district': 'VARCHAR', 'year': 'BIGINT', 'amount': 'BIGINT', 'score': 'DECIMAL(18,3)', 'day': 'DATE', 'note': 'VARCHAR'}"
    rows = con.execute(
        f"""SELECT * FROM read_csv('{path.replace("'", "''")}', header = true, delim = ',', quote = '"',
            escape = '"', nullstr = '', columns = {types}, auto_detect = false, strict_mode = true,
            ignore_errors = {str(ignore_errors).lower()}, dateformat = '%Y-%m-%d')"""
    ).fetchall()
    return [[nfc(v) for v in r] for r in rows]


# ----------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------


def round15(x: float) -> float:
    return float(f"{x:.14e}")


def same(expected, got) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, decimal.Decimal):  # an exact decimal sum: the nearest double
        return isinstance(got, (int, float)) and not isinstance(got, bool) and got == float(expected)
    if isinstance(expected, int):
        return type(got) is int and got == expected
    if isinstance(expected, float):
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return False
        want = round15(expected)
        if float(got) == want:
            return True
        # Arithmetic in another order may land a rounding step away; the figure must still be clean.
        return float(got) == round15(float(got)) and math.isclose(float(got), want, rel_tol=1e-12, abs_tol=0)
    if isinstance(expected, dt.date):
        return got == expected.isoformat()
    return got == expected


def figure_kind(expected, got) -> str:
    """'noise' for a figure that is right but for binary noise past 15 digits, else 'figures'."""
    if isinstance(expected, (float, decimal.Decimal)) and isinstance(got, float):
        if math.isclose(got, float(expected), rel_tol=1e-12) and got != round15(got):
            return "noise"
    return "figures"


def key_of(values) -> tuple:
    out = []
    for v in values:
        if isinstance(v, dt.date):
            v = v.isoformat()
        elif isinstance(v, decimal.Decimal):
            v = float(v)
        elif isinstance(v, float):
            v = float(v)
        out.append(v)
    return tuple(out)


def sort_key(row_key: tuple):
    # reportd's default order: by the group keys, strings by their UTF-8 bytes, nulls last.
    return tuple((1, "") if v is None else (0, v.encode("utf-8") if isinstance(v, str) else v) for v in row_key)


def compare(con, rep: dict, doc: dict) -> list[str]:
    problems = []
    keys = rep["group_by"]
    names = [m["name"] for m in rep["metrics"]]
    expected = oracle(con, rep)
    got = doc.get("rows", [])
    want_by = {key_of([r[k] for k in keys]): r for r in expected}
    got_by = {}
    for r in got:
        k = key_of([r.get(g) for g in keys])
        if k in got_by:
            problems.append(("groups", f"group {k} appears twice"))
        got_by[k] = r
    for k in want_by.keys() - got_by.keys():
        problems.append(("groups", f"group {k}: missing"))
    for k in got_by.keys() - want_by.keys():
        problems.append(("groups", f"group {k}: unexpected"))
    for k in want_by.keys() & got_by.keys():
        for name in names:
            if not same(want_by[k][name], got_by[k].get(name)):
                problems.append((figure_kind(want_by[k][name], got_by[k].get(name)),
                                 f"group {k}, {name}: expected {want_by[k][name]!r}, got {got_by[k].get(name)!r}"))
    got_order = [key_of([r.get(g) for g in keys]) for r in got]
    if not problems and got_order != sorted(got_order, key=sort_key):
        problems.append(("groups", f"rows not in group-key order: {got_order[:5]}"))
    if rep.get("totals"):
        e = oracle(con, rep, grouped=False)[0]
        t = doc.get("totals") or {}
        for name in names:
            if name == "share":
                continue  # the share of the whole is 100 by definition
            if not same(e[name], t.get(name)):
                problems.append((figure_kind(e[name], t.get(name)), f"totals, {name}: expected {e[name]!r}, got {t.get(name)!r}"))
    return problems


# ----------------------------------------------------------------------------------------------


def y(v) -> str:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else repr(v)


def write_case(workdir: str, case: dict) -> None:
    data = os.path.join(workdir, "data")
    with open(os.path.join(data, case["name"] + ".csv"), "wb") as f:
        f.write(case["bytes"])
    for rep in reports_for(case):
        out = [f"name: {y(rep['name'])}", f"title: {y('Đối chiếu ' + rep['name'])}", f"dataset: {case['name']}",
               'schedule: "@daily"', "group_by: [" + ", ".join(rep["group_by"]) + "]"]
        if rep.get("filter"):
            out.append(f"filter: {y(rep['filter'])}")
        out.append("metrics:")
        for m in rep["metrics"]:
            out.append("  - {" + ", ".join(f"{k}: {y(v)}" for k, v in m.items()) + "}")
        if rep.get("totals"):
            out.append("totals: true")
        out.append("formats: [json, csv]")
        with open(os.path.join(workdir, "reports.d", rep["name"] + ".yaml"), "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reportd", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--cases", type=int, default=60)
    ap.add_argument("--seed", type=int, default=24)
    args = ap.parse_args()
    started = time.monotonic()
    workdir = os.path.abspath(args.workdir)
    for sub in ("data", "reports.d"):
        os.makedirs(os.path.join(workdir, sub), exist_ok=True)
    rng = random.Random(args.seed)
    cases = [make_case(rng, k, bad=k % 2 == 1) for k in range(args.cases)]

    with open(os.path.join(workdir, "data", "schema.yaml"), "w", encoding="utf-8") as f:
        f.write("columns:\n")
        for name, (typ, required) in COLUMNS.items():
            f.write(f"  {name}: {{type: {typ}" + (", required: true}\n" if required else "}\n"))
    config = ["timezone: Asia/Ho_Chi_Minh", "reports: reports.d", "state: state", "output:", "  root: out",
              "  keep: 2", "datasets:"]
    oracle_problems = 0
    expected = {}
    duck_agree = duck_refused = 0
    for case in cases:
        write_case(workdir, case)
        config += [f"  {case['name']}:", "    format: csv", f"    path: data/{case['name']}.csv",
                   "    schema: data/schema.yaml"] + (["    on_bad_rows: reject"] if case["bad"] else [])
        path = os.path.join(workdir, "data", case["name"] + ".csv")
        kept, rejected = reference_read(case["bytes"])
        if case["bad"]:
            try:
                duck = duckdb_read(path, ignore_errors=True)
                duck_agree += sorted(map(key_of, duck), key=repr) == sorted(map(key_of, kept), key=repr)
            except duckdb.Error:
                duck_refused += 1
        else:
            # Two independent readers must agree before either is trusted.
            duck = duckdb_read(path, ignore_errors=False)
            py = csv_module_read(case["bytes"])
            if not (list(map(key_of, duck)) == list(map(key_of, py)) == list(map(key_of, kept))) or rejected:
                print(f"ORACLE {case['name']}: DuckDB {len(duck)} rows, csv module {len(py)}, reference {len(kept)}")
                oracle_problems += 1
        expected[case["name"]] = (kept, rejected)
    with open(os.path.join(workdir, "reportd.yaml"), "w", encoding="utf-8") as f:
        f.write("\n".join(config) + "\n")
    if oracle_problems:
        print(f"FAIL: the oracles disagree on {oracle_problems} clean file(s)")
        return 1

    run = subprocess.run([args.reportd, "run", "--config", os.path.join(workdir, "reportd.yaml")],
                         capture_output=True, text=True, timeout=1200)
    if run.returncode != 0:
        print(f"note: reportd run exited {run.returncode}: {run.stderr.strip()[-2000:]}")

    disagree = {"reader": 0, "groups": 0, "figures": 0, "noise": 0}
    failed_cases = 0
    for case in cases:
        kept, rejected = expected[case["name"]]
        con = load_rows(kept)
        problems = []
        for rep in reports_for(case):
            path = os.path.join(workdir, "out", rep["name"], "latest.json")
            try:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                problems.append(("groups", f"{rep['name']}: no output ({e})"))
                continue
            if rep["name"].endswith("-rows"):
                d = doc.get("dataset", {})
                if d.get("rows") != len(kept) or d.get("rows_rejected") != len(rejected):
                    problems.append(("reader", f"{rep['name']}: rows read/rejected {d.get('rows')}/{d.get('rows_rejected')}, "
                                               f"expected {len(kept)}/{len(rejected)}"))
                if rejected:
                    files = [x for x in os.listdir(os.path.dirname(path)) if x.endswith(".rejected.csv")]
                    lines = []
                    if files:
                        with open(os.path.join(os.path.dirname(path), files[0]), encoding="utf-8", newline="") as f:
                            lines = [int(r[0]) for r in list(csv.reader(f))[1:]]
                    if lines != rejected:
                        problems.append(("reader", f"{rep['name']}: rejected lines {lines}, expected {rejected}"))
            problems += [(kind, f"{rep['name']}: {p}") for kind, p in compare(con, rep, doc)]
        if problems:
            failed_cases += 1
            for kind in {k for k, _ in problems}:
                disagree[kind] += 1
            print(f"FAIL {case['name']} ({'reject' if case['bad'] else 'fail'} mode): {len(problems)} disagreement(s)")
            for _, p in problems[:MAX_SHOWN]:
                print(f"  {p}")
    bad_cases = sum(c["bad"] for c in cases)
    print(
        f"information: DuckDB read_csv(ignore_errors) kept the reference's rows in {duck_agree} of {bad_cases} "
        f"bad-row files and refused {duck_refused} (its recovery is not the SPEC's rule)"
    )
    print(
        f"{len(cases) - failed_cases}/{len(cases)} cases agree; cases with disagreements: {failed_cases} "
        f"(rows read or rejected: {disagree['reader']}, groups or their order: {disagree['groups']}, "
        f"figures: {disagree['figures']}, binary noise past 15 digits: {disagree['noise']}; "
        f"seed {args.seed}, {time.monotonic() - started:.1f}s)"
    )
    return 1 if failed_cases else 0


if __name__ == "__main__":
    sys.exit(main())

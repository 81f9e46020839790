#!/usr/bin/env python3
"""Differential test of reportd's calculators against DuckDB (issue 2).

Generates a projects-like CSV (quoted commas, doubled quotes, embedded line breaks, Vietnamese text,
empty cells, int sums beyond 2^53), writes a reportd config and one report per scenario covering
every built-in calculator, runs `reportd run`, and compares each report's latest.json with the
answer DuckDB gives to the same question in SQL. DuckDB is the oracle: no expected value is
computed in Python.

Usage:
    python3 differential.py --reportd PATH_TO_BINARY --workdir TMPDIR [--rows 12000] [--seed 7]

Exit status: 0 everything matched; 1 a mismatch or a failed run; 3 duckdb is not installed.
Standard library and duckdb only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import random
import subprocess
import sys
import time

try:
    import duckdb
except ImportError:  # pragma: no cover - reported, never skipped
    print(
        "differential.py: cannot import duckdb, the oracle of this test. Install it with "
        "`python3 -m pip install duckdb` (for the python3 on PATH) and run again.",
        file=sys.stderr,
    )
    sys.exit(3)

MAX_MISMATCHES = 10

# ----------------------------------------------------------------------------------------------
# Dataset
# ----------------------------------------------------------------------------------------------

# Column name -> (reportd schema type, DuckDB type, required)
COLUMNS = {
    "project_id": ("string", "VARCHAR", True),
    "title": ("string", "VARCHAR", False),
    "year": ("int", "BIGINT", True),
    "program": ("string", "VARCHAR", True),
    "district": ("string", "VARCHAR", True),
    "beneficiary_type": ("string", "VARCHAR", False),
    "craft": ("string", "VARCHAR", False),
    "state_support_vnd": ("int", "BIGINT", False),
    "counterpart_vnd": ("int", "BIGINT", False),
    "extra_vnd": ("int", "BIGINT", False),
    "score": ("decimal", "DOUBLE", False),
    "start_date": ("date", "DATE", False),
    "completed": ("bool", "BOOLEAN", False),
}
INT_COLUMNS = {c for c, (t, _, _) in COLUMNS.items() if t == "int"}

DISTRICTS = ["Thành phố Lai Châu", "Tam Đường", "Sìn Hồ", "Phong Thổ", "Mường Tè", "Tân Uyên", "Than Uyên"]
EDGE_DISTRICT = "Nậm Nhùn"  # only hand-made edge rows: zero support, one counterpart, no scores
BENEFICIARY_TYPES = ["cooperative", "household", "enterprise", "hộ kinh doanh", "tổ hợp tác"]
CRAFTS = ["dệt thổ cẩm", "chế biến chè", "rèn đúc", "mây tre đan", "chế biến gỗ", "sản xuất rượu \"Sán Lùng\""]
TITLE_WORDS = [
    "Hỗ trợ", "máy móc", "chế biến", "chè", "Tân Uyên", "đào tạo nghề", "dệt thổ cẩm", "mô hình trình diễn",
    "kỹ thuật", "nhãn hiệu", "HTX", "Bản Lang", "Nậm Tăm", "xã", "lao động nông thôn", "sản phẩm công nghiệp",
    "nông thôn tiêu biểu", "điện", "ứng dụng", "đổi mới", "Mường Kim", "Phúc Khoa", "cơ sở", "rượu ngô",
]


def make_title(rng: random.Random, i: int) -> str:
    words = " ".join(rng.choice(TITLE_WORDS) for _ in range(rng.randint(3, 9)))
    title = words[0].upper() + words[1:]
    r = rng.random()
    if r < 0.15:
        title += ", " + rng.choice(DISTRICTS)  # a quoted comma
    elif r < 0.22:
        title += ' "' + rng.choice(["Chè Tân Uyên", "Thổ cẩm Lai Châu", "Sâm Lai Châu"]) + '"'  # doubled quotes
    elif r < 0.27:
        title += "\n(giai đoạn " + str(2018 + i % 8) + ")"  # an embedded LF
    elif r < 0.29:
        title += ',\r\n"dòng hai", có dấu phẩy'  # CRLF, quote and comma together
    elif r < 0.31:
        title = ""  # null title
    elif r < 0.32:
        title = " " + title + "  "  # spaces are part of a string cell
    return title


def random_date(rng: random.Random, year: int) -> str:
    start = dt.date(year, 1, 1)
    return (start + dt.timedelta(days=rng.randrange(365))).isoformat()


def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def generate_rows(rng: random.Random, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        year = rng.randint(2018, 2025)
        program = rng.choice(["national", "local"])
        state = None if rng.random() < 0.05 else (0 if rng.random() < 0.05 else rng.randrange(1, 5_000_000) * 1000)
        counterpart = None if rng.random() < 0.06 else rng.randrange(0, 3_000_000) * 1000
        if rng.random() < 0.003:
            counterpart = rng.randrange(900_000_000_000_000, 1_100_000_000_000_000)  # ~10^15
        extra = None if rng.random() < 0.5 else rng.randrange(-2_000_000, 9_000_000) * 100
        if (year, program) in {(2018, "local"), (2023, "local")}:
            extra = None  # a period whose sum is null
        elif (year, program) == (2020, "national"):
            extra = None if rng.random() < 0.3 else 0  # a period whose sum is 0
        score = None
        if rng.random() > 0.1:
            score = round(rng.uniform(-5, 100), rng.choice([0, 1, 2, 3]))
            if rng.random() < 0.1:
                score = rng.uniform(0, 100)  # full-precision shortest repr
            elif rng.random() < 0.005:
                score = -0.0  # equal to 0.0 when grouping and counting distinct values
        rows.append(
            {
                "project_id": f"KC-{year}-{i:06d}",
                "title": make_title(rng, i),
                "year": year,
                "program": program,
                "district": rng.choice(DISTRICTS),
                "beneficiary_type": None if rng.random() < 0.03 else rng.choice(BENEFICIARY_TYPES),
                "craft": None if rng.random() < 0.3 else rng.choice(CRAFTS),
                "state_support_vnd": state,
                "counterpart_vnd": counterpart,
                "extra_vnd": extra,
                "score": score,
                "start_date": None if rng.random() < 0.05 else random_date(rng, year),
                "completed": None if rng.random() < 0.1 else rng.random() < 0.7,
            }
        )
    # At least a dozen values near 10^15, so the column's sum passes 2^53 whatever the seed.
    big = [r for r in rows if r["counterpart_vnd"] is not None and r["counterpart_vnd"] >= 10**14]
    for r in rng.sample(rows, max(0, 12 - len(big))):
        r["counterpart_vnd"] = rng.randrange(900_000_000_000_000, 1_100_000_000_000_000)
    # Edge district: support all 0 (ratio over 0, share 0), a single counterpart (stddev null),
    # no scores (mean/median/percentile null), no dates, spread over a few years (growth gaps).
    for k, year in enumerate([2019, 2019, 2021, 2024, 2024]):
        rows.append(
            {
                "project_id": f"KC-{year}-E{k}",
                "title": f"Dự án biên giới, \"{EDGE_DISTRICT}\" số {k}",
                "year": year,
                "program": "local",
                "district": EDGE_DISTRICT,
                "beneficiary_type": "household" if k % 2 else None,
                "craft": None,
                "state_support_vnd": 0 if k != 4 else None,
                "counterpart_vnd": 123_456_789 if k == 2 else None,
                "extra_vnd": None,
                "score": None,
                "start_date": None,
                "completed": None,
            }
        )
    rng.shuffle(rows)
    return rows


def write_dataset(workdir: str, rows: list[dict]) -> tuple[str, str]:
    data = os.path.join(workdir, "data")
    os.makedirs(data, exist_ok=True)
    csv_path = os.path.join(data, "projects.csv")
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)  # RFC 4180: CRLF records, "" inside quotes
        w.writerow(list(COLUMNS))
        for r in rows:
            w.writerow([fmt(r[c]) for c in COLUMNS])
    schema_path = os.path.join(data, "projects.schema.yaml")
    with open(schema_path, "w", encoding="utf-8") as f:
        f.write("# Generated by differential.py\ncolumns:\n")
        for name, (typ, _, required) in COLUMNS.items():
            f.write(f"  {name}: {{type: {typ}" + (", required: true}\n" if required else "}\n"))
    return csv_path, schema_path


# ----------------------------------------------------------------------------------------------
# Reports: each has the reportd filter and, written by hand, the same condition in SQL.
# ----------------------------------------------------------------------------------------------


def m(name, calc, **params):
    return {"name": name, "calc": calc, **params}


def every_calc_metrics() -> list[dict]:
    """Every calculator except growth (which needs a period among the group columns)."""
    ms = [m("projects", "count")]
    for c in ["project_id", "title", "district", "craft", "start_date", "score", "state_support_vnd", "completed"]:
        ms.append(m(f"distinct_{c}", "count_distinct", column=c))
    for c in ["state_support_vnd", "counterpart_vnd", "extra_vnd", "score"]:
        ms.append(m(f"sum_{c}", "sum", column=c))
        ms.append(m(f"mean_{c}", "mean", column=c))
        ms.append(m(f"median_{c}", "median", column=c))
        ms.append(m(f"stddev_{c}", "stddev", column=c))
        ms.append(m(f"share_{c}", "share", column=c))
    for c in ["state_support_vnd", "counterpart_vnd", "score", "start_date", "title", "craft"]:
        ms.append(m(f"min_{c}", "min", column=c))
        ms.append(m(f"max_{c}", "max", column=c))
    for c in ["counterpart_vnd", "score"]:
        for p in [0, 10, 25, 37.5, 90, 99.9, 100]:
            ms.append(m(f"p{str(p).replace('.', '_')}_{c}", "percentile", column=c, p=p))
    ms.append(m("counterpart_per_state", "ratio", numerator="counterpart_vnd", denominator="state_support_vnd"))
    ms.append(m("state_per_counterpart", "ratio", numerator="state_support_vnd", denominator="counterpart_vnd"))
    ms.append(m("extra_per_score", "ratio", numerator="extra_vnd", denominator="score"))
    return ms


def growth_metrics(period="year") -> list[dict]:
    return [
        m("projects", "count"),
        m("state_support_vnd", "sum", column="state_support_vnd"),
        m("counterpart_vnd", "sum", column="counterpart_vnd"),
        m("extra_vnd", "sum", column="extra_vnd"),
        m("growth_state", "growth", column="state_support_vnd", period=period),
        m("growth_counterpart", "growth", column="counterpart_vnd", period=period),
        m("growth_extra", "growth", column="extra_vnd", period=period),
        m("growth_score", "growth", column="score", period=period),
        m("share_counterpart", "share", column="counterpart_vnd"),
        m("share_extra", "share", column="extra_vnd"),
    ]


REPORTS = [
    # No group_by: one row for the whole dataset.
    dict(name="whole-dataset", group_by=[], metrics=every_calc_metrics(), totals=True),
    # One group column.
    dict(name="by-district", group_by=["district"], metrics=every_calc_metrics(), totals=True),
    # Two group columns, one of them nullable (a null group key).
    dict(name="by-district-type", group_by=["district", "beneficiary_type"], metrics=every_calc_metrics()),
    # Bool and nullable string group keys.
    dict(name="by-completed", group_by=["completed"], metrics=every_calc_metrics()),
    dict(name="by-craft-year", group_by=["craft", "year"], metrics=every_calc_metrics()),
    # Growth: group_by [year, program], period year (first period null, previous sum 0 or null).
    dict(name="growth-year-program", group_by=["year", "program"], metrics=growth_metrics(), totals=True),
    # Growth with the period second, and with three keys (periods missing in some partitions).
    dict(name="growth-program-year", group_by=["program", "year"], metrics=growth_metrics()),
    dict(name="growth-district-year-program", group_by=["district", "year", "program"], metrics=growth_metrics()),
    # Growth over a date period and a string period.
    dict(name="growth-by-date", group_by=["program", "start_date"],
         filter="start_date >= '2024-11-01'",
         sql="start_date >= DATE '2024-11-01'",
         metrics=[m("n", "count"), m("g", "growth", column="state_support_vnd", period="start_date")]),
    dict(name="growth-by-district", group_by=["year", "district"],
         metrics=[m("n", "count"), m("g", "growth", column="counterpart_vnd", period="district")]),
    # Filters: three-valued logic with and / or / not / in and comparisons on nullable columns.
    dict(name="filter-3vl", group_by=["program"],
         filter="(program == 'national' or district in ['Sìn Hồ', 'Tam Đường']) and not (score < 50) and year >= 2020",
         sql="(program = 'national' OR district IN ('Sìn Hồ', 'Tam Đường')) AND NOT (score < 50) AND year >= 2020",
         metrics=every_calc_metrics(), totals=True),
    dict(name="filter-not-bool", group_by=["year"],
         filter="not completed or counterpart_vnd > state_support_vnd",
         sql="NOT completed OR counterpart_vnd > state_support_vnd",
         metrics=every_calc_metrics()),
    dict(name="filter-not-in", group_by=["craft"],
         filter="start_date >= '2021-06-01' and start_date < '2024-01-01' and not craft in ['dệt thổ cẩm', 'chế biến chè'] and beneficiary_type != 'household'",
         sql="start_date >= DATE '2021-06-01' AND start_date < DATE '2024-01-01' AND NOT (craft IN ('dệt thổ cẩm', 'chế biến chè')) AND beneficiary_type <> 'household'",
         metrics=every_calc_metrics()),
    dict(name="filter-numbers", group_by=["district", "program"],
         filter="not (state_support_vnd == 0 or score >= 90.5) and (year in [2019, 2021, 2025] or extra_vnd <= -1000) and completed != false",
         sql="NOT (state_support_vnd = 0 OR score >= 90.5) AND (year IN (2019, 2021, 2025) OR extra_vnd <= -1000) AND completed <> false",
         metrics=every_calc_metrics() + [m("growth_state", "growth", column="state_support_vnd", period="program")]),
    dict(name="filter-decimal-vs-int", group_by=["year"],
         filter="counterpart_vnd > 1500000000.5 and score in [10, 20.5, 50] or title == 'x'",
         sql="(counterpart_vnd > 1500000000.5 AND score IN (10, 20.5, 50)) OR title = 'x'",
         metrics=[m("n", "count"), m("s", "sum", column="counterpart_vnd"), m("mean_score", "mean", column="score")]),
    # Filters that keep no row: no group_by gives one row (count 0, the rest null); with group_by, none.
    dict(name="filter-empty", group_by=[], filter="year > 2030", sql="year > 2030",
         metrics=every_calc_metrics()),
    dict(name="filter-empty-grouped", group_by=["program"], filter="year > 2030 or score != score",
         sql="year > 2030 OR score <> score", metrics=every_calc_metrics()),
    # Decimal and date group keys.
    dict(name="by-score", group_by=["score"], filter="score < 20", sql="score < 20",
         metrics=[m("n", "count"), m("s", "sum", column="counterpart_vnd"), m("sh", "share", column="state_support_vnd")]),
]


# ----------------------------------------------------------------------------------------------
# YAML (block style; every scalar written as a JSON string or number, which YAML reads the same)
# ----------------------------------------------------------------------------------------------


def y(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v, ensure_ascii=False)


def report_yaml(rep: dict) -> str:
    out = [
        "# Generated by differential.py",
        f"name: {y(rep['name'])}",
        f"title: {y('Kiểm thử đối chiếu: ' + rep['name'])}",
        "dataset: projects",
        'schedule: "@daily"',
    ]
    if rep.get("filter"):
        out.append(f"filter: {y(rep['filter'])}")
    if rep["group_by"]:
        out.append("group_by: [" + ", ".join(y(g) for g in rep["group_by"]) + "]")
    out.append("metrics:")
    for metric in rep["metrics"]:
        out.append(f"  - name: {y(metric['name'])}")
        for k, v in metric.items():
            if k != "name":
                out.append(f"    {k}: {y(v)}")
    if rep.get("totals"):
        out.append("totals: true")
    out.append("formats: [json]")
    return "\n".join(out) + "\n"


def write_config(workdir: str, csv_path: str, schema_path: str) -> str:
    reports = os.path.join(workdir, "reports.d")
    os.makedirs(reports, exist_ok=True)
    for rep in REPORTS:
        with open(os.path.join(reports, rep["name"] + ".yaml"), "w", encoding="utf-8") as f:
            f.write(report_yaml(rep))
    config = os.path.join(workdir, "reportd.yaml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(
            "# Generated by differential.py\n"
            "timezone: Asia/Ho_Chi_Minh\n"
            "reports: reports.d\n"
            "state: state\n"
            "output:\n"
            "  root: out\n"
            "  keep: 3\n"
            "datasets:\n"
            "  projects:\n"
            "    format: csv\n"
            f"    path: {y(os.path.relpath(csv_path, workdir))}\n"
            f"    schema: {y(os.path.relpath(schema_path, workdir))}\n"
        )
    return config


# ----------------------------------------------------------------------------------------------
# The oracle
# ----------------------------------------------------------------------------------------------


def q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def load_duckdb(csv_path: str):
    con = duckdb.connect()
    columns = "{" + ", ".join(f"'{c}': '{t}'" for c, (_, t, _) in COLUMNS.items()) + "}"
    # No explicit new_line: with strict_mode and auto_detect off, DuckDB 2.0.1 given
    # new_line = '\\r\\n' silently reads 0 rows. The read-back check in main() guards this.
    con.execute(
        f"""CREATE TABLE projects AS SELECT * FROM read_csv(
                '{csv_path.replace("'", "''")}', header = true, delim = ',', quote = '"', escape = '"',
                nullstr = '', columns = {columns}, auto_detect = false, strict_mode = true,
                dateformat = '%Y-%m-%d')"""
    )
    return con


def agg_sql(metric: dict) -> list[tuple[str, str]]:
    """The aggregates a metric needs from each group: [(alias, SQL)]."""
    calc, name = metric["calc"], metric["name"]
    c = q(metric["column"]) if "column" in metric else None
    if calc == "count":
        return [(name, "count(*)")]
    if calc == "count_distinct":
        return [(name, f"count(DISTINCT {c})")]
    if calc in ("sum", "share", "growth"):
        exact = metric["column"] in INT_COLUMNS
        return [(("__s_" if calc != "sum" else "") + name, f"CAST(sum({c}) AS HUGEINT)" if exact else f"sum({c})")]
    if calc == "mean":
        return [(name, f"avg({c})")]
    if calc in ("min", "max"):
        return [(name, f"{calc}({c})")]
    if calc == "median":
        return [(name, f"quantile_cont({c}, 0.5)")]
    if calc == "percentile":
        return [(name, f"quantile_cont({c}, {metric['p']!r} / 100)")]
    if calc == "stddev":
        return [(name, f"stddev_samp({c})")]
    if calc == "ratio":
        n, d = q(metric["numerator"]), q(metric["denominator"])
        return [(name, f"CAST(sum({n}) AS DOUBLE) / NULLIF(CAST(sum({d}) AS DOUBLE), 0)")]
    raise ValueError(f"no SQL for calculator {calc}")


def final_sql(metric: dict, group_by: list[str]) -> str:
    calc, name = metric["calc"], metric["name"]
    if calc == "share":
        s = q("__s_" + name)
        return f"100 * CAST({s} AS DOUBLE) / NULLIF(CAST(sum({s}) OVER () AS DOUBLE), 0) AS {q(name)}"
    if calc == "growth":
        if not group_by:
            return f"CAST(NULL AS DOUBLE) AS {q(name)}"
        s = q("__s_" + name)
        others = [q(g) for g in group_by if g != metric["period"]]
        window = (f"PARTITION BY {', '.join(others)} " if others else "") + f"ORDER BY {q(metric['period'])}"
        prev = f"lag({s}) OVER ({window})"
        return f"100 * CAST({s} - {prev} AS DOUBLE) / NULLIF(CAST({prev} AS DOUBLE), 0) AS {q(name)}"
    return q(name)


def oracle_sql(rep: dict, group_by: list[str]) -> str:
    keys = [q(g) for g in group_by]
    aggs = [f"{sql} AS {q(alias)}" for metric in rep["metrics"] for alias, sql in agg_sql(metric)]
    where = f"WHERE {rep['sql']}" if rep.get("sql") else ""
    group = f"GROUP BY {', '.join(keys)}" if keys else ""
    finals = [final_sql(metric, group_by) for metric in rep["metrics"]]
    return (
        f"WITH g AS (SELECT {', '.join(keys + aggs)} FROM projects {where} {group})\n"
        f"SELECT {', '.join(keys + finals)} FROM g"
    )


# ----------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------


def norm_key(v):
    """A group key as JSON shows it: dates as ISO strings."""
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def same(expected, got) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, int):  # count, count_distinct, sum/min/max of an int column: exact
        return type(got) is int and got == expected
    if isinstance(expected, float):
        if not isinstance(got, (int, float)):
            return False
        return math.isclose(float(got), expected, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, dt.date):
        return got == expected.isoformat()
    return type(got) is type(expected) and got == expected


def show(v) -> str:
    return repr(v.isoformat() if isinstance(v, dt.date) else v)


def compare_report(con, rep: dict, workdir: str, data_rows: int) -> list[str]:
    path = os.path.join(workdir, "out", rep["name"], "latest.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return [f"cannot read {path}: {e}"]
    problems = []
    group_by = rep["group_by"]
    names = [metric["name"] for metric in rep["metrics"]]
    got_columns = [c.get("name") for c in doc.get("columns", [])]
    if got_columns != group_by + names:
        problems.append(f"columns: expected {group_by + names}, got {got_columns}")
    if doc.get("dataset", {}).get("rows") != data_rows:
        problems.append(f"dataset.rows: expected {data_rows}, got {doc.get('dataset', {}).get('rows')}")

    cur = con.execute(oracle_sql(rep, group_by))
    result_names = [d[0] for d in cur.description]
    expected_rows = [dict(zip(result_names, r)) for r in cur.fetchall()]
    got_rows = doc.get("rows", [])
    if len(got_rows) != len(expected_rows):
        problems.append(f"row count: expected {len(expected_rows)}, got {len(got_rows)}")

    def key_of(row, convert):
        return tuple(convert(row.get(g)) for g in group_by)

    expected_by_key = {key_of(r, norm_key): r for r in expected_rows}
    got_by_key = {}
    for r in got_rows:
        k = key_of(r, lambda v: v)
        if k in got_by_key:
            problems.append(f"group {k} appears twice")
        got_by_key[k] = r
    for k in expected_by_key.keys() - got_by_key.keys():
        problems.append(f"group {k}: missing (DuckDB has it)")
    for k in got_by_key.keys() - expected_by_key.keys():
        problems.append(f"group {k}: unexpected (DuckDB has no such group)")
    for k in expected_by_key.keys() & got_by_key.keys():
        e, g = expected_by_key[k], got_by_key[k]
        for name in names:
            if name not in g:
                problems.append(f"group {k}, {name}: missing from the row")
            elif not same(e[name], g[name]):
                problems.append(f"group {k}, {name}: expected {show(e[name])} (DuckDB), got {g[name]!r}")

    if rep.get("totals"):
        totals = doc.get("totals")
        if not isinstance(totals, dict):
            problems.append("totals: missing")
        else:
            cur = con.execute(oracle_sql(rep, []))
            e = dict(zip([d[0] for d in cur.description], cur.fetchone()))
            for name in names:
                if not same(e[name], totals.get(name, "<missing>")):
                    problems.append(f"totals, {name}: expected {show(e[name])} (DuckDB), got {totals.get(name, '<missing>')!r}")
    return problems


# ----------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reportd", required=True, help="the reportd binary")
    ap.add_argument("--workdir", required=True, help="a scratch folder (created if missing)")
    ap.add_argument("--rows", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.rows < 10000:
        print(f"note: --rows {args.rows} is below the 10,000 the differential test calls for", file=sys.stderr)

    started = time.monotonic()
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    rng = random.Random(args.seed)
    rows = generate_rows(rng, args.rows)
    csv_path, schema_path = write_dataset(workdir, rows)
    config = write_config(workdir, csv_path, schema_path)

    # The oracle must read the file exactly as written: check it before trusting its answers.
    con = load_duckdb(csv_path)
    read_back = con.execute(f"SELECT {', '.join(q(c) for c in COLUMNS)} FROM projects").fetchall()
    if len(read_back) != len(rows):
        print(f"FAIL oracle: DuckDB read {len(read_back)} rows, {len(rows)} were written")
        return 1
    for i, (want, have) in enumerate(zip(rows, read_back)):
        have = [norm_key(v) for v in have]
        want = [None if want[c] == "" else want[c] for c in COLUMNS]
        if have != want:
            print(f"FAIL oracle: DuckDB read data row {i + 1} as {have!r}, written {want!r}")
            return 1
    big_sum = con.execute("SELECT CAST(sum(counterpart_vnd) AS HUGEINT) FROM projects").fetchone()[0]
    if not big_sum > 2**53:
        print(f"FAIL generator: sum(counterpart_vnd) = {big_sum} does not pass 2^53")
        return 1

    run = subprocess.run(
        [args.reportd, "run", "--config", config], capture_output=True, text=True, timeout=600
    )
    if run.returncode != 0:
        print(f"FAIL reportd run exited {run.returncode}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}")
        return 1

    failed = 0
    for rep in REPORTS:
        problems = compare_report(con, rep, workdir, len(rows))
        if problems:
            failed += 1
            print(f"FAIL {rep['name']}: {len(problems)} mismatch(es)")
            for p in problems[:MAX_MISMATCHES]:
                print(f"  {p}")
            if len(problems) > MAX_MISMATCHES:
                print(f"  ... and {len(problems) - MAX_MISMATCHES} more")
        else:
            n = len(json.load(open(os.path.join(workdir, "out", rep["name"], "latest.json"), encoding="utf-8"))["rows"])
            print(f"ok {rep['name']} ({n} rows)")
    print(
        f"{len(REPORTS) - failed}/{len(REPORTS)} reports match DuckDB "
        f"({len(rows)} data rows, seed {args.seed}, {time.monotonic() - started:.1f}s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

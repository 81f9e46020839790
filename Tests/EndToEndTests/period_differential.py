#!/usr/bin/env python3
"""Differential test of report periods (issue 25) against DuckDB.

Generates a dataset whose dates span 2019-2026 (empty dates and amounts included), writes a reportd
config with one report per kind of period (day, week, month, quarter, half, year), both `covers`,
cut-off days 1 and 15, weeks starting on Monday and on Sunday, `compare` and `cumulative`; asks
`reportd next` for slots across year ends, leap days and week 53, runs `reportd run --slot` for
each, and checks each run's JSON:

- the ranges (period, compared periods, year to date), against dates computed here from the
  SPEC's definitions with Python's datetime (ISO weeks from date.isocalendar);
- every figure, against DuckDB's answer over those ranges (count, sum, avg per district), joined
  here by the SPEC's rules (a group with rows in any range appears; a missing side is 0 for count
  and sum, null for avg; the percent is null where a side is null or the base is 0).

Then `run --period NAME` for a period of each report must produce the file of the slot that
reported on it, with the same figures.

Usage:
    python3 period_differential.py --reportd PATH_TO_BINARY --workdir TMPDIR [--rows 4000] [--seed 25]

Exit status: 0 everything matched; 1 a mismatch or a failed run; 3 duckdb is not installed.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import os
import random
import subprocess
import sys

try:
    import duckdb
except ImportError:  # pragma: no cover - reported, never skipped
    print("period_differential.py: cannot import duckdb (python3 -m pip install duckdb)", file=sys.stderr)
    sys.exit(3)

D = dt.date
ONE = dt.timedelta(days=1)
MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


# ----------------------------------------------------------------------------------------------
# Periods, from the SPEC's words
# ----------------------------------------------------------------------------------------------


def last_day(y: int, m: int) -> D:
    return D(y, m, calendar.monthrange(y, m)[1])


def month_based(kind: str, cutoff: int, year: int, n: int) -> tuple:
    length = MONTHS[kind]
    last_m = n * length
    first_m = last_m - length + 1
    if cutoff > 1:
        fy, fm = (year - 1, 12) if first_m == 1 else (year, first_m - 1)
        return (kind, year, n, D(fy, fm, cutoff), D(year, last_m, cutoff - 1))
    return (kind, year, n, D(year, first_m, 1), last_day(year, last_m))


def week_of(start: D) -> tuple:
    y, w, _ = (start + 3 * ONE).isocalendar()
    return ("week", y, w, start, start + 6 * ONE)


def containing(rule: dict, d: D) -> tuple:
    kind = rule["every"]
    if kind == "day":
        return ("day", d.year, d.toordinal(), d, d)
    if kind == "week":
        ws = rule.get("week_starts", 1)
        return week_of(d - ((d.isoweekday() - ws) % 7) * ONE)
    cutoff = rule.get("cutoff_day", 1)
    y, m = d.year, d.month
    if cutoff > 1 and d.day >= cutoff:
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return month_based(kind, cutoff, y, (m - 1) // MONTHS[kind] + 1)


def weeks_in(y: int) -> int:
    return D(y, 12, 28).isocalendar()[1]


def week_number(rule: dict, y: int, w: int) -> tuple:
    monday = D.fromisocalendar(y, w, 1)
    ws = rule.get("week_starts", 1)
    fourth = monday + (((ws + 3 - 1) % 7 + 1) - 1) * ONE
    return week_of(fourth - 3 * ONE)


def previous(rule: dict, p: tuple) -> tuple:
    return containing(rule, p[3] - ONE)


def same_last_year(rule: dict, p: tuple) -> tuple:
    kind = rule["every"]
    if kind == "day":
        d = p[3]
        return containing(rule, D(d.year - 1, d.month, min(d.day, calendar.monthrange(d.year - 1, d.month)[1])))
    if kind == "week":
        w = p[2] if p[2] <= weeks_in(p[1] - 1) else 52
        return week_number(rule, p[1] - 1, w)
    return month_based(kind, rule.get("cutoff_day", 1), p[1] - 1, p[2])


def year_start(rule: dict, p: tuple) -> D:
    kind = rule["every"]
    if kind == "day":
        return D(p[1], 1, 1)
    if kind == "week":
        return week_number(rule, p[1], 1)[3]
    return month_based("year", rule.get("cutoff_day", 1), p[1], 1)[3]


def months_back(d: D, k: int) -> D:
    index = d.year * 12 + d.month - 1 - k
    y, m = divmod(index, 12)
    m += 1
    return D(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def ranges(rule: dict, slot_day: D) -> dict:
    """The run's ranges: {"period": (start, end), "previous_period": ..., ...}."""
    current = rule.get("covers", "previous") == "current"
    here = containing(rule, slot_day)
    p = here if current else previous(rule, here)
    out = {"period": (p[3], slot_day if current else p[4])}
    for kind in rule.get("compare", []):
        other = previous(rule, p) if kind == "previous_period" else same_last_year(rule, p)
        start, end = other[3], other[4]
        if current:
            if rule["every"] == "week":
                end = min(end, start + (slot_day - p[3]))
            elif rule["every"] != "day":
                k = 12 if kind == "same_period_last_year" else MONTHS[rule["every"]]
                end = min(end, months_back(slot_day, k))
        out[kind] = (start, end)
    if rule.get("cumulative"):
        out["year_to_date"] = (year_start(rule, p), out["period"][1])
    return out


def period_name(rule: dict, p: tuple) -> str:
    kind = rule["every"]
    return {
        "day": lambda: p[3].isoformat(),
        "week": lambda: f"{p[1]:04d}-W{p[2]:02d}",
        "month": lambda: f"{p[1]:04d}-{p[2]:02d}",
        "quarter": lambda: f"{p[1]:04d}-Q{p[2]}",
        "half": lambda: f"{p[1]:04d}-H{p[2]}",
        "year": lambda: f"{p[1]:04d}",
    }[kind]()


# ----------------------------------------------------------------------------------------------
# Dataset, config, reports
# ----------------------------------------------------------------------------------------------

DISTRICTS = ["Phong Thổ", "Tân Uyên", "Than Uyên", "Sìn Hồ", "Mường Tè", "Tam Đường"]

REPORTS = {
    # name: (rule, schedule, time zone, from-times for `next` (local), group_by)
    "m-prev": ({"every": "month", "compare": ["previous_period", "same_period_last_year"], "cumulative": True},
               "0 6 1 * *", "Asia/Ho_Chi_Minh", ["2020-12-15T00:00", "2024-02-20T00:00", "2026-09-10T00:00"], True),
    "m-prev-c15": ({"every": "month", "cutoff_day": 15, "compare": ["previous_period", "same_period_last_year"],
                    "cumulative": True},
                   "0 6 15 * *", "Asia/Ho_Chi_Minh", ["2020-12-01T00:00", "2024-02-01T00:00", "2026-10-01T00:00"], True),
    "m-cur": ({"every": "month", "covers": "current", "compare": ["previous_period", "same_period_last_year"],
               "cumulative": True},
              "0 18 L * *", "Asia/Ho_Chi_Minh", ["2021-01-15T00:00", "2024-02-10T00:00", "2025-04-15T00:00"], True),
    "q-cur": ({"every": "quarter", "covers": "current", "compare": ["previous_period", "same_period_last_year"],
               "cumulative": True},
              "0 18 20,31 * *", "Asia/Ho_Chi_Minh", ["2024-05-01T00:00", "2025-12-01T00:00"], True),
    "q-prev-c15": ({"every": "quarter", "cutoff_day": 15, "compare": ["same_period_last_year"], "cumulative": True},
                   "0 7 15 3,6,9,12 *", "Asia/Ho_Chi_Minh", ["2022-01-01T00:00", "2025-10-01T00:00"], True),
    "h-prev-c15": ({"every": "half", "cutoff_day": 15, "compare": ["previous_period", "same_period_last_year"],
                    "cumulative": True},
                   "0 7 15 6,12 *", "Asia/Ho_Chi_Minh", ["2021-01-01T00:00", "2024-01-01T00:00"], True),
    "h-cur": ({"every": "half", "covers": "current", "compare": ["same_period_last_year"]},
              "0 18 L 2,6,8,12 *", "Asia/Ho_Chi_Minh", ["2023-01-01T00:00"], True),
    "y-prev": ({"every": "year", "compare": ["same_period_last_year"], "cumulative": True},
               "0 6 2 1 *", "Asia/Ho_Chi_Minh", ["2020-06-01T00:00"], True),
    "y-cur-c15": ({"every": "year", "cutoff_day": 15, "covers": "current", "compare": ["same_period_last_year"]},
                  "0 18 L * *", "Asia/Ho_Chi_Minh", ["2024-10-15T00:00", "2025-11-20T00:00"], True),
    "w-prev": ({"every": "week", "compare": ["previous_period", "same_period_last_year"], "cumulative": True},
               "0 6 * * 1", "Asia/Ho_Chi_Minh", ["2020-12-20T00:00", "2024-12-20T00:00", "2026-01-01T00:00"], True),
    "w-cur-sun": ({"every": "week", "week_starts": 7, "covers": "current",
                   "compare": ["previous_period", "same_period_last_year"], "cumulative": True},
                  "0 18 * * 3", "Asia/Ho_Chi_Minh", ["2020-12-20T00:00", "2026-01-01T00:00"], True),
    "d-prev": ({"every": "day", "compare": ["previous_period", "same_period_last_year"], "cumulative": True},
               "0 6 * * *", "Asia/Ho_Chi_Minh", ["2024-02-28T12:00", "2025-02-27T12:00", "2023-12-30T12:00"], True),
    # The slot's local date decides: 23:30 in Los Angeles is the next day in UTC.
    "d-prev-la": ({"every": "day", "compare": ["same_period_last_year"]},
                  "30 23 * * *", "America/Los_Angeles", ["2024-02-27T12:00", "2026-03-07T12:00"], True),
    "m-total": ({"every": "month", "compare": ["same_period_last_year"], "cumulative": True},
                "0 6 3 * *", "Asia/Ho_Chi_Minh", ["2021-01-01T00:00", "2026-06-01T00:00"], False),
}

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def write_dataset(path: str, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    start = D(2019, 6, 1)
    span = (D(2026, 12, 31) - start).days
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,district,status,amount,day\n")
        for i in range(rows):
            day = "" if rng.random() < 0.03 else (start + rng.randrange(span) * ONE).isoformat()
            amount = "" if rng.random() < 0.05 else str(rng.randrange(1, 50) * 1_000_000)
            status = "done" if rng.random() < 0.85 else "draft"
            f.write(f"P{i},{rng.choice(DISTRICTS)},{status},{amount},{day}\n")
        # Leap days, and a district whose only rows have no amount (a null sum).
        for i, day in enumerate(["2024-02-29", "2024-02-29", "2023-02-28", "2020-02-29"]):
            f.write(f"L{i},Phong Thổ,done,7000000,{day}\n")
        f.write("N1,Nậm Nhùn,done,,2024-02-29\n")


def write_config(workdir: str) -> None:
    os.makedirs(os.path.join(workdir, "reports.d"), exist_ok=True)
    with open(os.path.join(workdir, "schema.yaml"), "w") as f:
        f.write("columns:\n  id: {type: string, required: true}\n  district: {type: string, required: true}\n"
                "  status: {type: string, required: true}\n  amount: {type: int}\n  day: {type: date}\n")
    with open(os.path.join(workdir, "reportd.yaml"), "w") as f:
        f.write("timezone: Asia/Ho_Chi_Minh\nreports: reports.d\nstate: state\noutput:\n  root: out\n  keep: 1000\n"
                "datasets:\n  projects:\n    format: csv\n    path: data.csv\n    schema: schema.yaml\n")
    for name, (rule, schedule, zone, _, grouped) in REPORTS.items():
        lines = [f"name: {name}", f'title: "{name} {{period}}"', "dataset: projects", f'schedule: "{schedule}"',
                 f"timezone: {zone}", "filter: \"status == 'done'\"", "formats: [json]", "totals: true",
                 "period:", f"  every: {rule['every']}", "  date_column: day",
                 f"  covers: {rule.get('covers', 'previous')}"]
        if "cutoff_day" in rule:
            lines.append(f"  cutoff_day: {rule['cutoff_day']}")
        if "week_starts" in rule:
            lines.append(f"  week_starts: {WEEKDAYS[rule['week_starts'] - 1]}")
        if rule.get("compare"):
            lines.append(f"compare: [{', '.join(rule['compare'])}]")
        if rule.get("cumulative"):
            lines.append("cumulative: year_to_date")
        if grouped:
            lines.append("group_by: [district]")
        lines += ["metrics:", "  - {name: n, calc: count}", "  - {name: total, calc: sum, column: amount}",
                  "  - {name: average, calc: mean, column: amount}"]
        with open(os.path.join(workdir, "reports.d", f"{name}.yaml"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------------------------
# The oracle
# ----------------------------------------------------------------------------------------------


def figures(con, start: D, end: D, grouped: bool) -> dict:
    key = "district" if grouped else "'all'"
    sql = (f"SELECT {key} AS k, count(*), sum(amount), avg(amount) FROM data "
           f"WHERE status = 'done' AND day BETWEEN ? AND ? GROUP BY k")
    return {row[0]: (row[1], row[2], row[3]) for row in con.execute(sql, [start, end]).fetchall()}


def pct(current, base):
    if current is None or base is None or base == 0:
        return None
    return (current - base) / base * 100


def expected(con, rule: dict, rs: dict, grouped: bool) -> tuple[dict, dict]:
    """Rows by district (or one row) and totals, as column -> value."""
    kinds = ["period"] + list(rule.get("compare", [])) + (["year_to_date"] if rule.get("cumulative") else [])
    per = {k: figures(con, *rs[k], grouped) for k in kinds}
    keys = set().union(*[set(v) for v in per.values()]) if grouped else {"all"}

    def values(k: str, group) -> tuple:
        found = per[k].get(group)
        return found if found is not None else (0, 0, None)

    def row_of(get) -> dict:
        out = {}
        for m, i in (("n", 0), ("total", 1), ("average", 2)):
            out[m] = get("period")[i]
            for c in rule.get("compare", []):
                out[f"{m}_{c}"] = get(c)[i]
                out[f"{m}_vs_{c}_pct"] = pct(get("period")[i], get(c)[i])
            if rule.get("cumulative"):
                out[f"{m}_year_to_date"] = get("year_to_date")[i]
        return out

    rows = {g: row_of(lambda k, g=g: values(k, g)) for g in keys}

    totals_raw = {k: figures(con, *rs[k], False).get("all", (0, 0, None)) for k in kinds}
    totals = row_of(lambda k: totals_raw[k])
    return rows, totals


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


# ----------------------------------------------------------------------------------------------
# Running reportd
# ----------------------------------------------------------------------------------------------


def run(binary: str, workdir: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *args], cwd=workdir, capture_output=True, text=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reportd", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    work = args.workdir
    write_dataset(os.path.join(work, "data.csv"), args.rows, args.seed)
    write_config(work)
    config = os.path.join(work, "reportd.yaml")
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE data AS SELECT * FROM read_csv(?, header=true, columns={'id': 'VARCHAR', "
        "'district': 'VARCHAR', 'status': 'VARCHAR', 'amount': 'BIGINT', 'day': 'DATE'})",
        [os.path.join(work, "data.csv")])
    null_dates = con.execute("SELECT count(*) FROM data WHERE day IS NULL").fetchone()[0]

    problems: list[str] = []
    checked = 0
    kinds_seen: set[str] = set()
    periods_checked: set[str] = set()
    validate = run(args.reportd, work, "validate", "--config", config)
    if validate.returncode != 0:
        print(validate.stdout + validate.stderr)
        return 1
    for name, (rule, schedule, zone, froms, grouped) in REPORTS.items():
        slots: list[str] = []
        # Whether the slot at the same index is the one `run --period` names for its period: the
        # first slot after the period (covers: previous) or the last inside it (current), known
        # from its neighbour among consecutive slots.
        names_period: list[bool] = []
        current = rule.get("covers") == "current"

        def covered(slot: str) -> tuple:
            here = containing(rule, D.fromisoformat(slot[:10]))
            return here if current else previous(rule, here)

        for start in froms:
            out = run(args.reportd, work, "next", name, "--config", config, "--count", "3", "--from", start)
            if out.returncode != 0:
                problems.append(f"{name}: next failed: {out.stderr}")
                continue
            group = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
            slots += group
            for i, slot in enumerate(group):
                if current:
                    names_period.append(i + 1 < len(group) and covered(group[i + 1]) != covered(slot))
                else:
                    names_period.append(i > 0 and covered(group[i - 1]) != covered(slot))
        period_checked = False
        for slot, names in zip(slots, names_period):
            slot_day = D.fromisoformat(slot[:10])
            if slot_day >= D(2026, 12, 1):
                continue  # not a past slot when the test runs
            out = run(args.reportd, work, "run", "--config", config, "--slot", slot, name)
            if out.returncode != 0:
                problems.append(f"{name} {slot}: run failed: {out.stdout}{out.stderr}")
                continue
            stamp = slot[:19].replace(":", "")
            path = os.path.join(work, "out", name, f"{name}_{stamp}.json")
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            rs = ranges(rule, slot_day)
            got_ranges = {"period": doc["period"]}
            got_ranges.update(doc.get("compare", {}))
            if "cumulative" in doc:
                got_ranges["year_to_date"] = doc["cumulative"]["year_to_date"]
            for k, (s, e) in rs.items():
                g = got_ranges.get(k)
                if not g or g["start"] != s.isoformat() or g["end"] != e.isoformat():
                    problems.append(f"{name} {slot}: {k} is {g}, expected {s}..{e}")
            if doc["dataset"].get("rows_outside_period") != null_dates:
                problems.append(f"{name} {slot}: rows_outside_period {doc['dataset'].get('rows_outside_period')}")
            rows, totals = expected(con, rule, rs, grouped)
            got = {(r["district"] if grouped else "all"): r for r in doc["rows"]}
            if set(got) != set(rows):
                problems.append(f"{name} {slot}: groups {sorted(got)} != {sorted(rows)}")
            for g, want in rows.items():
                for column, value in want.items():
                    if g in got and not close(got[g].get(column), value):
                        problems.append(f"{name} {slot} {g}: {column} = {got[g].get(column)}, expected {value}")
            for column, value in totals.items():
                if not close(doc["totals"].get(column), value):
                    problems.append(f"{name} {slot} totals: {column} = {doc['totals'].get(column)}, expected {value}")
            checked += 1
            kinds_seen.add(rule["every"])
            # `run --period` for this slot's period names this slot and gives the same figures.
            if names and not period_checked:
                period_checked = True
                periods_checked.add(name)
                p = covered(slot)
                before = {k: v for k, v in doc.items() if k != "generated_at"}
                os.remove(path)
                out = run(args.reportd, work, "run", "--config", config, "--period", period_name(rule, p), name)
                if out.returncode != 0 or not os.path.exists(path):
                    problems.append(f"{name}: run --period {period_name(rule, p)} did not write {path}: "
                                    f"{out.stdout}{out.stderr}")
                else:
                    with open(path, encoding="utf-8") as f:
                        again = {k: v for k, v in json.load(f).items() if k != "generated_at"}
                    if again != before:
                        problems.append(f"{name}: run --period {period_name(rule, p)} differs from --slot {slot}")
    for name in REPORTS:
        if name not in periods_checked:
            problems.append(f"{name}: no slot was checked against run --period")
    for p in problems[:30]:
        print(p)
    print(f"{checked} runs checked over {len(REPORTS)} reports ({', '.join(sorted(kinds_seen))}); "
          f"{len(problems)} problems")
    if kinds_seen != {"day", "week", "month", "quarter", "half", "year"}:
        print("not every kind of period was checked")
        return 1
    return 1 if problems or checked < 40 else 0


if __name__ == "__main__":
    sys.exit(main())

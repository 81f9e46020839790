#!/usr/bin/env python3
"""The five benchmark reports with DuckDB: python3 bench/peers/duckdb_run.py DATA.csv OUTDIR

Reads the CSV once into an in-memory table (read_csv with explicit types for every column; only
the 8 columns the reports use are kept) and writes OUTDIR/NAME.csv for each report with COPY,
with the same columns as reportd's CSV output. Median and percentile: quantile_cont (linear
interpolation). See bench/README.md.
"""
import os
import sys

import duckdb

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
COLUMNS = {
    "project_id": "VARCHAR", "title": "VARCHAR", "year": "INTEGER", "program": "VARCHAR",
    "activity": "VARCHAR", "district": "VARCHAR", "beneficiary": "VARCHAR",
    "beneficiary_type": "VARCHAR", "craft": "VARCHAR", "state_support_vnd": "BIGINT",
    "counterpart_vnd": "BIGINT", "products_branded": "INTEGER", "jobs_created": "INTEGER",
    "status": "VARCHAR", "start_date": "DATE",
}
con = duckdb.connect()
spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items()) + "}"
con.execute(f"""CREATE TABLE p AS
    SELECT year, program, activity, district, beneficiary_type, state_support_vnd,
           counterpart_vnd, status
    FROM read_csv('{src.replace("'", "''")}', header = true, delim = ',', quote = '"',
                  escape = '"', columns = {spec})""")
SUMS = ("count(*) AS projects, sum(state_support_vnd)::BIGINT AS state_support_vnd, "
        "sum(counterpart_vnd)::BIGINT AS counterpart_vnd")
REPORTS = {
    "by-program": f"SELECT program, {SUMS} FROM p GROUP BY program",
    "by-year-program": f"SELECT year, program, {SUMS} FROM p GROUP BY year, program",
    "by-district": """SELECT district, count(*) AS projects,
        sum(state_support_vnd)::BIGINT AS state_support_vnd,
        avg(state_support_vnd) AS mean_support_vnd,
        quantile_cont(state_support_vnd, 0.5) AS median_support_vnd,
        quantile_cont(state_support_vnd, 0.9) AS p90_support_vnd
        FROM p GROUP BY district""",
    "by-activity": """SELECT activity, sum(state_support_vnd)::BIGINT AS state_support_vnd,
        sum(counterpart_vnd)::BIGINT AS counterpart_vnd,
        sum(counterpart_vnd)::DOUBLE / sum(state_support_vnd)::DOUBLE AS counterpart_per_state
        FROM p GROUP BY activity""",
    "completed-since-2021": f"""SELECT beneficiary_type, {SUMS} FROM p
        WHERE year >= 2021 AND status = 'completed' GROUP BY beneficiary_type""",
}
for name, sql in REPORTS.items():
    path = os.path.join(out, name + ".csv").replace("'", "''")
    con.execute(f"COPY ({sql}) TO '{path}' (HEADER, DELIMITER ',')")

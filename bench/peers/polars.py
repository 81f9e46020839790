#!/usr/bin/env python3
"""The five benchmark reports with polars: python3 bench/peers/polars.py DATA.csv OUTDIR

Reads the CSV once (only the 8 columns the reports use, with explicit types) and writes
OUTDIR/NAME.csv for each report, with the same columns as reportd's CSV output. See
bench/README.md. POLARS_MODE=eager (default: lazy) reads with read_csv instead of scan_csv and
collect_all; the default is whichever measured faster here.
"""
import os
import sys

# This file is named polars.py: drop its own folder from the import path, or `import polars`
# would import this script instead of the library.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import polars as pl  # noqa: E402

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
TYPES = {
    "year": pl.Int64, "program": pl.String, "activity": pl.String, "district": pl.String,
    "beneficiary_type": pl.String, "state_support_vnd": pl.Int64, "counterpart_vnd": pl.Int64,
    "status": pl.String,
}
st, cp = pl.col("state_support_vnd"), pl.col("counterpart_vnd")
sums = [pl.len().alias("projects"), st.sum(), cp.sum()]


def queries(frame):
    return {
        "by-program": frame.group_by("program").agg(sums),
        "by-year-program": frame.group_by("year", "program").agg(sums),
        "by-district": frame.group_by("district").agg(
            pl.len().alias("projects"), st.sum(), st.mean().alias("mean_support_vnd"),
            st.median().alias("median_support_vnd"),
            st.quantile(0.9, interpolation="linear").alias("p90_support_vnd")),
        "by-activity": frame.group_by("activity").agg(
            st.sum(), cp.sum(), (cp.sum() / st.sum()).alias("counterpart_per_state")),
        "completed-since-2021": frame.filter((pl.col("year") >= 2021)
                                             & (pl.col("status") == "completed"))
                                     .group_by("beneficiary_type").agg(sums),
    }


if os.environ.get("POLARS_MODE", "lazy") == "eager":
    df = pl.read_csv(src, columns=list(TYPES), schema_overrides=TYPES)
    results = queries(df)
else:
    lf = pl.scan_csv(src, schema_overrides=TYPES).select(list(TYPES))
    q = queries(lf)
    results = dict(zip(q, pl.collect_all(list(q.values()))))
for name, frame in results.items():
    frame.write_csv(os.path.join(out, name + ".csv"))

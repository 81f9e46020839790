#!/usr/bin/env python3
"""The five benchmark reports with pandas: python3 bench/peers/pandas_run.py DATA.csv OUTDIR

Reads the CSV once (read_csv, C engine, only the 8 columns the reports use; amounts as the
nullable Int64 so that sums stay exact with empty cells; group columns as category) and writes
OUTDIR/NAME.csv for each report, with the same columns as reportd's CSV output. Median and
quantile use pandas' default linear interpolation. See bench/README.md.
"""
import os
import sys

import pandas as pd

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
TYPES = {
    "year": "int64", "program": "category", "activity": "category", "district": "category",
    "beneficiary_type": "category", "state_support_vnd": "Int64", "counterpart_vnd": "Int64",
    "status": "category",
}
df = pd.read_csv(src, usecols=list(TYPES), dtype=TYPES)


def sums(frame, keys):
    g = frame.groupby(keys, observed=True, sort=False)
    return g.agg(projects=("state_support_vnd", "size"),
                 state_support_vnd=("state_support_vnd", "sum"),
                 counterpart_vnd=("counterpart_vnd", "sum"))


st = df.groupby("district", observed=True, sort=False)["state_support_vnd"]
by_district = pd.DataFrame({
    "projects": st.size(), "state_support_vnd": st.sum(), "mean_support_vnd": st.mean(),
    "median_support_vnd": st.median(), "p90_support_vnd": st.quantile(0.9)})
act = df.groupby("activity", observed=True, sort=False)[["state_support_vnd", "counterpart_vnd"]].sum()
act["counterpart_per_state"] = act["counterpart_vnd"].astype("float64") / act["state_support_vnd"].astype("float64")
sel = df[(df["year"] >= 2021) & (df["status"] == "completed")]
results = {
    "by-program": sums(df, ["program"]),
    "by-year-program": sums(df, ["year", "program"]),
    "by-district": by_district,
    "by-activity": act,
    "completed-since-2021": sums(sel, ["beneficiary_type"]),
}
for name, frame in results.items():
    frame.reset_index().to_csv(os.path.join(out, name + ".csv"), index=False)

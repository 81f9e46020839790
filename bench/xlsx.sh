#!/usr/bin/env bash
# The XLSX writer on a 100,000-row result (issue 18): bytes, wall time and peak memory of a run
# that writes a workbook, beside the same run writing JSON; then the workbook read back as a
# dataset. Prints figures; asserts nothing about speed.
#
#   bench/xlsx.sh            # ROWS=… overrides 100000; SCRATCH=… the build folder
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${ROWS:-100000}"
scratch="${SCRATCH:-.build}"
swift build -c release --product reportd --scratch-path "$scratch" >/dev/null
bin="$scratch/release/reportd"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/reports.d" "$work/data"
python3 - "$rows" "$work/data/rows.csv" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(1)
districts = ["Mường Tè", "Sìn Hồ", "Tân Uyên", "Than Uyên", "Phong Thổ", "Nậm Nhùn", "Tam Đường"]
with open(path, "w", encoding="utf-8") as f:
    f.write("id,district,amount,share,day\n")
    for i in range(n):
        f.write(f"KC-{i:07d},{random.choice(districts)},{random.randint(1, 10**9)},{random.random():.6f},"
                f"20{random.randint(10, 25)}-0{random.randint(1, 9)}-1{random.randint(0, 9)}\n")
PY
cat > "$work/data/rows.schema.yaml" <<'YAML'
columns:
  id: {type: string, required: true}
  district: {type: string, required: true}
  amount: {type: int, required: true}
  share: {type: decimal}
  day: {type: date}
YAML
cat > "$work/reportd.yaml" <<'YAML'
timezone: Asia/Ho_Chi_Minh
reports: reports.d
state: state
output: {root: out, keep: 3}
datasets:
  rows: {path: data/rows.csv, schema: data/rows.schema.yaml}
  book: {format: xlsx, path: book.xlsx, schema: data/rows.schema.yaml}
YAML
for format in json xlsx; do
    cat > "$work/reports.d/$format.yaml" <<YAML
name: $format
title: "Một dòng mỗi đề án"
dataset: rows
schedule: "@daily"
group_by: [id, district, day]
metrics:
  - {name: amount, calc: sum, column: amount}
  - {name: share, calc: mean, column: share}
totals: true
formats: [$format]
YAML
done
for format in json xlsx; do
    /usr/bin/time -f "%e s, peak RSS %M KiB" -o "$work/time" "$bin" run --config "$work/reportd.yaml" "$format" >/dev/null
    size=$(stat -c %s "$work/out/$format/latest.$format")
    echo "$format: $rows rows, $size bytes, $(cat "$work/time")"
done
# The same rows as a workbook (openpyxl, write-only mode), read back as a dataset.
python3 - "$work/data/rows.csv" "$work/book.xlsx" <<'PY'
import csv, datetime, sys
import openpyxl
wb = openpyxl.Workbook(write_only=True)
ws = wb.create_sheet("Rows")
with open(sys.argv[1], encoding="utf-8") as f:
    reader = csv.reader(f)
    ws.append(next(reader))
    for r in reader:
        ws.append([r[0], r[1], int(r[2]), float(r[3]), datetime.date.fromisoformat(r[4])])
wb.save(sys.argv[2])
PY
cat > "$work/reports.d/read.yaml" <<'YAML'
name: read
title: "Đọc lại"
dataset: book
schedule: "@daily"
group_by: [district]
metrics:
  - {name: n, calc: count}
  - {name: amount, calc: sum, column: amount}
formats: [json]
YAML
/usr/bin/time -f "%e s, peak RSS %M KiB" -o "$work/time" "$bin" run --config "$work/reportd.yaml" read >/dev/null
echo "xlsx dataset: $rows rows, $(stat -c %s "$work/book.xlsx") bytes read in $(cat "$work/time")"

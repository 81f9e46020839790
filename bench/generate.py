#!/usr/bin/env python3
"""Generate a synthetic `projects` dataset (the columns of config/data/projects.csv) at any size.

    python3 bench/generate.py ROWS OUT.csv [--seed N]

Made-up data shaped like the sample: Vietnamese titles (many quoted because they contain commas,
some with doubled quotes), years 2019-2025, national/local programme, the 8 activities, the 8
districts/city of Lai Chau, a few thousand distinct beneficiaries of 4 types, `craft` sometimes
empty, `counterpart_vnd` empty in about 5 % of rows, `jobs_created` empty in about 3 %, and four
statuses. About 181 bytes per row (1,000,000 rows are 181 MB).

Same ROWS and seed => the same bytes. Plain python3, no packages. Speed: every field of a batch is
drawn with `random.choices` from pools of ready-made strings (amounts, names, titles are built once),
and a row is one f-string, so no number formatting happens per row (10,000,000 rows, 1.8 GB: about
30 s of CPU).
The file is written to OUT.csv.tmp and renamed when complete, so a cached file is never partial.
"""

import argparse
import os
import random
import sys

HEADER = ("project_id,title,year,program,activity,district,beneficiary,beneficiary_type,craft,"
          "state_support_vnd,counterpart_vnd,products_branded,jobs_created,status,start_date")

DISTRICTS = {
    # district: communes (xã) used in names and titles
    "Thành phố Lai Châu": ["Đoàn Kết", "Tân Phong", "Quyết Thắng", "San Thàng", "Nậm Loỏng"],
    "Tam Đường": ["Bản Bo", "Bình Lư", "Bản Giang", "Sơn Bình", "Hồ Thầu", "Nà Tăm", "Khun Há"],
    "Phong Thổ": ["Bản Lang", "Sì Lở Lầu", "Dào San", "Mường So", "Khổng Lào", "Ma Ly Pho"],
    "Sìn Hồ": ["Nậm Tăm", "Pa Tần", "Phăng Sô Lin", "Tả Phìn", "Noong Hẻo", "Chăn Nưa"],
    "Mường Tè": ["Bum Nưa", "Bum Tở", "Ka Lăng", "Mù Cả", "Pa Ủ", "Tà Tổng"],
    "Than Uyên": ["Mường Kim", "Phúc Than", "Mường Than", "Tà Hừa", "Khoen On", "Hua Nà"],
    "Tân Uyên": ["Phúc Khoa", "Trung Đồng", "Thân Thuộc", "Nậm Sỏ", "Mường Khoa", "Pắc Ta"],
    "Nậm Nhùn": ["Nậm Hàng", "Lê Lợi", "Mường Mô", "Nậm Manh", "Trung Chải", "Hua Bum"],
}

# craft, the product word used in organisation names, and a product for brand titles
CRAFTS = [
    ("brocade weaving", "Thổ cẩm", "Thổ cẩm"),
    ("weaving", "Mây tre", "Mây tre đan"),
    ("carving", "Mộc", "Đồ gỗ mỹ nghệ"),
    ("tea processing", "Chè", "Chè Shan tuyết"),
    ("food processing", "Nông sản", "Miến dong"),
    ("food processing", "Chế biến", "Măng khô"),
    ("mechanics", "Cơ khí", "Nông cụ"),
    ("medicinal herb processing", "Sâm", "Sâm Lai Châu"),
    ("medicinal herb processing", "Dược liệu", "Thảo quả"),
    ("", "Dịch vụ", ""),
    ("", "Thương mại", ""),
]

SURNAMES = ["Lò", "Hoàng", "Lý", "Tẩn", "Giàng", "Vàng", "Lường", "Đèo", "Nguyễn", "Trần", "Phạm",
            "Lê", "Sùng", "Chang", "Pờ", "Tao"]
MIDDLES = ["Văn", "Thị", "A", "Seo", "Xuân", "Minh", "Đức", "Thu"]
GIVENS = ["Thắng", "Sơn", "Hùng", "Pao", "Chinh", "Mai", "Lan", "Dũng", "Tâm", "Hoa", "Phóng",
          "Sình", "Chứ", "Lả", "Ún", "Khánh", "Quyết", "Nguyên", "Thanh", "Hương", "Bình", "Long",
          "Sếnh", "Dinh", "Vần", "Kiên"]

ACTIVITIES = ["demonstration_model", "technology_transfer", "machinery", "typical_product",
              "trade_fair", "brand_registration", "training", "communication"]
ACTIVITY_WEIGHTS = [8, 8, 30, 10, 10, 12, 14, 8]
# probability that a project of this activity is in the national programme
NATIONAL_SHARE = [0.7, 0.6, 0.35, 0.1, 0.15, 0.1, 0.2, 0.1]

# title templates; {b} beneficiary, {c} commune, {p} product, {d} district
TITLES = {
    "demonstration_model": ["Mô hình trình diễn, xã {c}", "Mô hình sản xuất {p}",
                            "Mô hình trình diễn {p}"],
    "technology_transfer": ["Chuyển giao công nghệ, {d}", "Công nghệ chế biến {p}",
                            "Công nghệ sấy, bảo quản"],
    "machinery": ["Hỗ trợ máy móc, xã {c}", "Máy sản xuất {p}", "Máy sấy, máy đóng gói",
                  "Thiết bị, xã {c}", "Máy cưa, máy bào"],
    "typical_product": ["Sản phẩm tiêu biểu, {d}", "Sản phẩm {p} tiêu biểu"],
    "trade_fair": ["Hội chợ khu vực phía Bắc", "Hội chợ sản phẩm {p}", "Hội chợ, triển lãm"],
    "brand_registration": ['Nhãn hiệu "{p} {c}"', 'Nhãn hiệu "{p}", {d}', "Bao bì, nhãn mác {p}"],
    "training": ["Đào tạo nghề, xã {c}", "Đào tạo nghề {p}", "Tập huấn, xã {c}"],
    "communication": ["Tuyên truyền khuyến công", 'Phóng sự "Nghề {p}"', "Bản tin, {d}"],
}

# state support per activity, in millions of đồng: (low, high) for local, national x1.8
STATE_RANGE = {
    "demonstration_model": (120, 520), "technology_transfer": (100, 480), "machinery": (60, 560),
    "typical_product": (40, 180), "trade_fair": (20, 120), "brand_registration": (30, 160),
    "training": (25, 140), "communication": (15, 90),
}
# counterpart funds as a share of the state support, per activity (low, high)
COUNTERPART_SHARE = {
    "demonstration_model": (0.6, 1.1), "technology_transfer": (0.7, 1.3), "machinery": (0.9, 1.5),
    "typical_product": (0.4, 0.8), "trade_fair": (0.4, 0.9), "brand_registration": (0.3, 0.7),
    "training": (0.1, 0.3), "communication": (0.1, 0.25),
}

YEARS = [str(y) for y in range(2019, 2026)]
YEAR_WEIGHTS = [10, 11, 13, 14, 15, 16, 14]
STATUSES = ["completed", "in_progress", "cancelled", "suspended"]
STATUS_WEIGHTS = [78, 15, 5, 2]
TYPE_OF_PREFIX = [("HTX", "cooperative"), ("Công ty TNHH", "enterprise"),
                  ("Công ty CP", "enterprise"), ("DNTN", "enterprise"), ("THT", "group")]

LOTTERY = 1 << 19  # slots of the weighted beneficiary/activity/programme draw
POOL = 4096        # amounts drawn per (activity, programme) class
BATCH = 100_000    # rows per batch (fixed: part of what makes the output reproducible)


def csv_field(s):
    if any(ch in s for ch in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def build_pools(rng):
    """Beneficiaries, then (title, "program,activity,district,beneficiary,type,craft", class)."""
    beneficiaries = []  # (name, type, district, commune, craft, product-for-titles)
    for district, communes in DISTRICTS.items():
        for commune in communes:
            for craft, word, product in CRAFTS:
                for prefix, btype in TYPE_OF_PREFIX:
                    if rng.random() < 0.7:
                        beneficiaries.append((f"{prefix} {word} {commune}", btype, district,
                                              commune, craft, product))
            for _ in range(120):  # household businesses (hộ kinh doanh)
                name = f"Hộ KD {rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}"
                craft, _, product = rng.choice(CRAFTS[:9])
                beneficiaries.append((name, "household", district, commune,
                                      craft if rng.random() < 0.85 else "", product))
    beneficiaries = sorted(set(beneficiaries))
    rng.shuffle(beneficiaries)

    combos, weights = [], []
    for (name, btype, district, commune, craft, product) in beneficiaries:
        bweight = {"cooperative": 3.0, "household": 0.3}.get(btype, 1.0)
        for ai, activity in enumerate(ACTIVITIES):
            title = rng.choice(TITLES[activity]).format(b=name, c=commune, p=product or "địa phương",
                                                        d=district)
            tail = ",".join((activity, csv_field(district), csv_field(name), btype, craft))
            for pi, program in enumerate(("national", "local")):
                share = NATIONAL_SHARE[ai] if pi == 0 else 1 - NATIONAL_SHARE[ai]
                combos.append((csv_field(title), program + "," + tail, ai * 2 + pi))
                weights.append(ACTIVITY_WEIGHTS[ai] * share * bweight)
    # A "lottery": each combo repeated in proportion to its weight, so a weighted draw is a
    # uniform one (random.choices with cum_weights bisects 120,000 floats per row: 4x slower).
    total = sum(weights)
    lottery, acc, placed = [], 0.0, 0
    for combo, w in zip(combos, weights):
        acc += w
        upto = round(acc * LOTTERY / total)
        lottery.extend([combo] * (upto - placed))
        placed = upto

    amounts = []  # per (activity, programme) class: "state_support_vnd,counterpart_vnd"
    for activity in ACTIVITIES:
        lo, hi = STATE_RANGE[activity]
        slo, shi = COUNTERPART_SHARE[activity]
        for factor in (1.8, 1.0):  # national, local (same order as the combos' class)
            st, cp = [], []
            for _ in range(POOL):
                amount = rng.uniform(lo, hi) * factor * 1_000_000
                amount = min(int(amount / 50_000) * 50_000, 1_000_000_000)
                st.append(str(amount))
                if rng.random() < 0.05:
                    cp.append("")
                else:
                    cp.append(str(int(amount * rng.uniform(slo, shi) / 10_000) * 10_000))
            amounts.append([s + "," + c for s, c in zip(st, cp)])
    return lottery, amounts


def generate(rows, out, seed):
    rng = random.Random(seed)
    lottery, amounts = build_pools(rng)
    mmdd = [f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    branded = ["0"] * 80 + ["1"] * 8 + ["2"] * 5 + ["3"] * 4 + ["4"] * 2 + ["5"]
    jobs = [str(j) for j in range(0, 41)] + [str(j) for j in range(2, 20)] * 2 + [""] * 3
    # products_branded and jobs_created are independent: draw them as one pre-joined field
    branded_jobs = [b + "," + j for b in branded for j in jobs]
    choices, getrandbits = rng.choices, rng.getrandbits

    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write((HEADER + "\n").encode())
        done = 0
        while done < rows:
            n = min(BATCH, rows - done)
            years = choices(YEARS, weights=YEAR_WEIGHTS, k=n)
            lines = [f"KC{y[2:]}-{i},{c[0]},{y},{c[1]},{amounts[c[2]][getrandbits(12)]},{bj},{st},{y}-{md}\n"
                     for y, i, c, bj, st, md in zip(
                         years, range(done + 1, done + n + 1), choices(lottery, k=n),
                         choices(branded_jobs, k=n), choices(STATUSES, weights=STATUS_WEIGHTS, k=n),
                         choices(mmdd, k=n))]
            f.write("".join(lines).encode())
            done += n
    os.replace(tmp, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    if a.rows < 0:
        sys.exit("generate.py: ROWS must be >= 0")
    generate(a.rows, a.out, a.seed)


if __name__ == "__main__":
    main()

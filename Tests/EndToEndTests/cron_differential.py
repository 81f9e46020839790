#!/usr/bin/env python3
"""`reportd next` against cronsim (PyPI), which follows Debian cron, on random schedules.

Issue 24: random 5-field cron expressions (lists, ranges, steps, names, both day fields with and
without a leading `*`, L, LW, 5L, 1#2, 5/15) in zones with daylight saving and odd offsets
(Lord Howe's 30-minute shift, Chatham, Tehran, Apia's skipped day, Kathmandu, ...), from start
times placed mostly just before an offset change, so that the skipped and repeated hours are
crossed. Each case writes a config with one report, runs `reportd next NAME --count N --from T`
on the real binary, and compares the instants with cronsim's iteration from the same instant.
Both sides read the system's tzdata (Python's zoneinfo; Foundation on Linux).

Where the SPEC parts from cronsim, deliberately (each counted and printed, never compared):

- A skipped local time of a schedule whose minute or hour field starts with `*`: cronsim, ticking
  in UTC, never meets it and drops the slot; the SPEC runs every slot inside one skipped interval
  once, at the transition. reportd's run at a transition instant that cronsim does not name is
  left out of the comparison (a fixed-time schedule's skipped slot runs at the transition on both
  sides and is compared).
- Forms cronsim accepts and the SPEC refuses with a hint (`L/2`, `LW/3`): reportd must refuse
  them (checked); cronsim's answer is not compared.
- A schedule that never fires: the SPEC makes it a `validate` error; cronsim raises for some
  (`0 0 30 2 *`) and iterates 50 years for others. reportd must refuse it and cronsim must find
  nothing in 50 years.

Usage: cron_differential.py --reportd PATH [--cases N] [--seed S] [--count K] [--workdir DIR]
When the two disagree, a minute-by-minute scan of the SPEC's rule (`scan`) decides: a case where
reportd matches the scan and cronsim does not is counted as cronsim's (its minute and hour jumps
misstep across Lord Howe's 30-minute and Chatham's 45-minute shifts and St John's 00:01
transitions), and printed.

Exit 0 when every compared case agrees (or only cronsim departs from the rule), 1 otherwise (the disagreements are printed), 3 when
cronsim is missing.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

try:
    from cronsim import CronSim, CronSimError
except ImportError:
    print("cron_differential.py needs cronsim: python3 -m pip install cronsim", file=sys.stderr)
    sys.exit(3)

UTC = timezone.utc
ZONES = [
    "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Tehran",
    "Pacific/Apia", "Asia/Ho_Chi_Minh", "UTC", "Asia/Kathmandu", "America/Sao_Paulo",
    "America/Santiago", "Europe/London", "Australia/Adelaide", "America/St_Johns",
]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def plain(rng, low, high, names=None):
    """One list item of a numeric field: a value, a range, a step or `a/n`."""
    def v():
        x = rng.randint(low, high)
        if names and rng.random() < 0.3:
            return names[x - low] if x - low < len(names) else str(x)
        return str(x)
    kind = rng.random()
    if kind < 0.35:
        return v()
    if kind < 0.6:
        a, b = sorted(rng.sample(range(low, high + 1), 2))
        if names and rng.random() < 0.3 and b - low < len(names):
            return f"{names[a - low]}-{names[b - low]}"
        return f"{a}-{b}"
    if kind < 0.8:
        a, b = sorted(rng.sample(range(low, high + 1), 2))
        return f"{a}-{b}/{rng.randint(1, max(1, (b - a)))}"
    return f"{rng.randint(low, high)}/{rng.randint(1, max(1, (high - low) // 2))}"


def field(rng, low, high, names=None, star=0.35):
    r = rng.random()
    if r < star:
        return "*"
    if r < star + 0.15:
        return f"*/{rng.randint(2, max(2, (high - low) // 2))}"
    return ",".join(plain(rng, low, high, names) for _ in range(rng.choice([1, 1, 1, 2, 3])))


def minute_field(rng):
    return rng.choice(["*", "*/15", "*/30", "0", "30", "45", "*/20", "5/15", "0,30", None]) or field(rng, 0, 59)


def hour_field(rng):
    return rng.choice(["*", "*/2", "1", "2", "3", "0-3", "1-4/2", "*/6", "23", "0", None, None]) or field(rng, 0, 23)


def dom_field(rng):
    r = rng.random()
    if r < 0.35:
        return "*"
    if r < 0.45:
        return rng.choice(["*/2", "*/10", "*/3"])
    if r < 0.6:
        return rng.choice(["L", "LW", "1,L", "15,LW", "L,1-3"])
    return field(rng, 1, 31, star=0)


def dow_field(rng):
    r = rng.random()
    if r < 0.4:
        return "*"
    if r < 0.5:
        return rng.choice(["*/2", "*/3"])
    if r < 0.65:
        return rng.choice(["5L", "1#2", "mon#2", "0#1,5L", "6#5", "1#1", "fri#3,1L"])
    return field(rng, 0, 7, DAYS + ["sun"], star=0)


def expression(rng):
    month = "*" if rng.random() < 0.6 else field(rng, 1, 12, MONTHS, star=0)
    return " ".join([minute_field(rng), hour_field(rng), dom_field(rng), month, dow_field(rng)])


def transitions(zone, year):
    """The instants in `year` at which `zone`'s UTC offset changes."""
    tz = ZoneInfo(zone)
    out = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    while t < end:
        if t.astimezone(tz).utcoffset() != (t + step).astimezone(tz).utcoffset():
            lo, hi = t, t + step
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            out.append(hi.replace(microsecond=0))
        t += step
    return out


def start_time(rng, zone):
    year = rng.choice([2011, 2011, 2016, 2019, 2022, 2026, 2027, 2031, 2040])
    if zone == "Pacific/Apia" and rng.random() < 0.4:
        # The skipped day: 2011-12-30 did not happen in Apia.
        return datetime(2011, 12, 29, 0, 0, tzinfo=UTC) + timedelta(minutes=30 * rng.randint(0, 60))
    found = transitions(zone, year)
    if found and rng.random() < 0.75:
        return rng.choice(found) - timedelta(minutes=15 * rng.randint(1, 100))
    return datetime(year, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * rng.randint(0, 35000))


def write_config(folder, zone, schedule):
    os.makedirs(os.path.join(folder, "reports.d"), exist_ok=True)
    with open(os.path.join(folder, "reportd.yaml"), "w") as f:
        f.write(
            f"timezone: {zone}\nreports: reports.d\nstate: state\noutput: {{root: out}}\n"
            "datasets:\n  things:\n    format: csv\n    path: data.csv\n    schema: schema.yaml\n")
    with open(os.path.join(folder, "schema.yaml"), "w") as f:
        f.write("columns:\n  a: {type: string}\n")
    with open(os.path.join(folder, "data.csv"), "w") as f:
        f.write("a\nx\n")
    with open(os.path.join(folder, "reports.d", "r.yaml"), "w") as f:
        f.write(
            f'name: r\ndataset: things\nschedule: "{schedule}"\n' + "metrics:\n  - {name: rows, calc: count}\n")


def reportd_next(binary, folder, start, count):
    """reportd's slots as UTC datetimes, or None when it refuses the schedule (with its message)."""
    out = subprocess.run(
        [binary, "next", "r", "--config", os.path.join(folder, "reportd.yaml"), "--count", str(count),
         "--from", start.strftime("%Y-%m-%dT%H:%M:%SZ")],
        capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return None, out.stderr.strip()
    slots = []
    for line in out.stdout.splitlines():
        utc = line.split("(")[1].rstrip(")").rstrip("Z")
        slots.append(datetime.fromisoformat(utc).replace(tzinfo=UTC))
    return slots, ""


def cronsim_slots(expr, zone, start, until, limit):
    it = CronSim(expr, start.astimezone(ZoneInfo(zone)))
    out = []
    try:
        for _ in range(limit):
            t = next(it).astimezone(UTC)
            if t > until:
                break
            out.append(t)
    except StopIteration:
        pass
    return out


def is_transition(t, zone):
    tz = ZoneInfo(zone)
    return (t - timedelta(seconds=1)).astimezone(tz).utcoffset() != t.astimezone(tz).utcoffset()


def elapsed(expr):
    minute, hour = expr.split()[:2]
    return minute.startswith("*") or hour.startswith("*")


def scan(expr, zone, start, end):
    """The SPEC's slots in (start, end], found by looking at every UTC minute: the arbiter when
    reportd and cronsim disagree. A minute whose local time matches is a slot, on the second pass
    of a repeated hour only for a schedule with `*` in its minute or hour field; a skipped
    interval holding a matching local time is one slot at its transition. Uses cronsim's parsed
    fields and day rule (they agree with reportd on every day in the compared cases)."""
    fields = CronSim(expr, datetime(2000, 1, 1))
    tz = ZoneInfo(zone)
    both_passes = elapsed(expr)

    def matches(local):
        return (local.minute in fields.minutes and local.hour in fields.hours and local.month in fields.months
                and fields.match_day(local.date()))

    out = []
    t = start.replace(second=0) + timedelta(minutes=1)
    while t <= end:
        before, now = (t - timedelta(seconds=1)).astimezone(tz), t.astimezone(tz)
        if now.utcoffset() > before.utcoffset():
            # A skipped interval: the local times from the old clock's reading to the new one's.
            wall = t.replace(tzinfo=None) + before.utcoffset()
            end_wall = t.replace(tzinfo=None) + now.utcoffset()
            while wall < end_wall and not matches(wall):
                wall += timedelta(minutes=1)
            if wall < end_wall or matches(now):
                out.append(t)
                t += timedelta(minutes=1)
                continue
        if matches(now) and (both_passes or now.fold == 0):
            out.append(t)
        t += timedelta(minutes=1)
    return out


# Forms the SPEC refuses and cronsim accepts (or reads otherwise): reportd must refuse them.
REFUSED = ["0 0 L/2 * *", "0 0 LW/3 * *", "+5 * * * *", "0 0 ? * mon", "0 0 15W * *", "0 0 L-3 * *",
           "0 0 * * 1#6", "0 0 1-L * *", "0 0 * * 1-5L", "0 0 30 2 *", "0 0 31 4,6,9,11 *",
           "0 0 */31 * 1#2"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reportd", required=True)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = args.workdir or tempfile.mkdtemp(prefix="reportd-cron-")
    folder = os.path.join(workdir, "case")

    compared = agreed = slots_compared = excluded_transitions = 0
    disagreements = []
    cronsim_wrong = []
    for case in range(args.cases):
        expr = expression(rng)
        zone = rng.choice(ZONES)
        start = start_time(rng, zone)
        write_config(folder, zone, expr)
        ours, message = reportd_next(args.reportd, folder, start, args.count)
        try:
            CronSim(expr, start.astimezone(ZoneInfo(zone)))
            cron_error = None
        except CronSimError as e:
            cron_error = str(e)
        if ours is None:
            if cron_error is None:
                theirs = cronsim_slots(expr, zone, start, start + timedelta(days=366 * 50), 1)
                if theirs:
                    disagreements.append(f"{expr!r} in {zone}: reportd refuses ({message}), cronsim fires at {theirs[0]}")
                    continue
            compared += 1
            agreed += 1
            continue
        if cron_error is not None:
            disagreements.append(f"{expr!r} in {zone}: cronsim refuses ({cron_error}), reportd accepts")
            continue
        compared += 1
        if not ours:
            disagreements.append(f"{expr!r} in {zone} from {start}: reportd prints no slot")
            continue
        all_ours = ours
        theirs = cronsim_slots(expr, zone, start, ours[-1], args.count * 2 + 10)
        if elapsed(expr):
            kept = [t for t in ours if t in theirs or not is_transition(t, zone)]
            excluded_transitions += len(ours) - len(kept)
            ours = kept
        slots_compared += len(ours)
        if ours == theirs:
            agreed += 1
        elif all_ours[-1] - start <= timedelta(days=60) and scan(expr, zone, start, all_ours[-1]) == all_ours:
            # cronsim is the one that departs from the rule (its minute and hour jumps across a
            # shift of 30 or 45 minutes, or a transition off the hour, skip or repeat local times).
            cronsim_wrong.append(f"{expr!r} in {zone} from {start.isoformat()}")
        else:
            first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
            tz = ZoneInfo(zone)
            def show(ts):
                return [t.astimezone(tz).isoformat() for t in ts[max(0, first - 1):first + 3]]
            disagreements.append(
                f"{expr!r} in {zone} from {start.isoformat()}: slot {first}: reportd {show(ours)} cronsim {show(theirs)}")

    refused_ok = 0
    for expr in REFUSED:
        write_config(folder, "Europe/Berlin", expr)
        ours, message = reportd_next(args.reportd, folder, datetime(2027, 1, 1, tzinfo=UTC), 3)
        if ours is None:
            refused_ok += 1
        else:
            disagreements.append(f"{expr!r}: the SPEC refuses it, reportd accepts it")

    print(f"cron differential: seed {args.seed}, {args.cases} random cases + {len(REFUSED)} refusals")
    print(f"  compared {compared} cases ({slots_compared} slots): {agreed} agree")
    print(f"  left out deliberately: {excluded_transitions} skipped-hour runs at a transition (elapsed-time schedules)")
    print(f"  refused as the SPEC says: {refused_ok} of {len(REFUSED)}")
    print(f"  cronsim departs from the rule, reportd matches a minute-by-minute scan: {len(cronsim_wrong)}")
    for line in cronsim_wrong[:20]:
        print("   ", line)
    kinds = {
        "slots differ": sum(": slot " in d for d in disagreements),
        "reportd refuses, cronsim fires": sum("reportd refuses" in d for d in disagreements),
        "cronsim refuses, reportd accepts": sum("cronsim refuses" in d for d in disagreements),
        "reportd accepts what the SPEC refuses": sum("the SPEC refuses it" in d for d in disagreements),
        "reportd prints no slot": sum("prints no slot" in d for d in disagreements),
    }
    print(f"  disagreements: {len(disagreements)}" + "".join(f"; {k}: {v}" for k, v in kinds.items() if v))
    for line in disagreements[:60]:
        print("   ", line)
    sys.exit(0 if not disagreements else 1)


if __name__ == "__main__":
    main()

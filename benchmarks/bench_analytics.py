"""Time the analytics on a large generated store: `fbss summary` / `fbss events` queries.

    .venv/bin/python benchmarks/bench_analytics.py --cases 1000000

Builds (or reuses) benchmarks/out/analytics-<cases>-<seed>.duckdb from
pipelines.sample.generate, inserting the frames straight into a schema-created store,
then building the per-case facts in it as `fbss load` does (timed beside the insert of
the records). Then, in-process, it times each query with a grouping and a filter beside
its floor measured in the same run (open the store read_only, count the facts, close),
median of --repeat runs after one warm-up run. Goal: every summary/events median under
0.5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.events import events_summary, km_curves  # noqa: E402
from analytics.filters import Filters  # noqa: E402
from analytics.outcomes import (  # noqa: E402
    change_distribution,
    followup_completion,
    funnel,
    summary,
    trajectory,
)
from analytics.overview import headline  # noqa: E402
from pipelines import facts, sample, store  # noqa: E402
from pipelines.migrate import migrate  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
BUDGET_S = 0.5


def build_store(path: Path, n_cases: int, seed: int) -> tuple[float, float]:
    """Generate the cases, insert them into a fresh store and build its facts; seconds
    taken by the records (generating included) and by the facts."""
    started = time.perf_counter()
    frames = sample.generate(n_cases, seed, AS_OF)
    staging = path.with_name(path.name + ".building")
    staging.unlink(missing_ok=True)
    con = store.connect(staging, read_only=False)
    try:
        store.create_schema(con)
        con.register("new_cases", frames["cases"])
        # The contract's cases lack the derived pathway: take it from the reference table.
        con.execute(
            "insert into cases by name "
            "select n.*, t.pathway from new_cases as n "
            "join ref_treatments as t on t.code = n.treatment"
        )
        for table in ("assessments", "events"):
            con.register("new_rows", frames[table])
            con.execute(f"insert into {table} by name select * from new_rows")
            con.unregister("new_rows")
        con.execute("checkpoint")
        records = time.perf_counter() - started
        started = time.perf_counter()
        facts.build(con)  # what every load does in its staged copy
        con.execute("checkpoint")
        built = time.perf_counter() - started
    finally:
        con.close()
    os.replace(staging, path)
    return records, built


def floor(db: Path) -> None:
    """The least any query costs: open the store read_only, scan the facts once, close."""
    with store.reader(db) as con:
        con.execute(f"select count(*) from {facts.TABLE}").fetchall()


def median_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (all threads) of `repeat` runs after a warm-up.

    CPU time shows the work itself when other jobs share the two cores.
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def load_average() -> str:
    """The 1-minute load average: over 2 means other jobs compete for the two cores."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a summary/events median is over 0.5 s"
    )
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / f"analytics-{args.cases}-{args.seed}.duckdb"
    if db.exists():
        print(f"store       : {db} (reused)")
        if migrate(db):
            print("facts       : rebuilt (the cached store was written by an older version)")
    else:
        records, built = build_store(db, args.cases, args.seed)
        print(f"store       : {db} (generated and inserted in {records:.1f} s)")
        print(f"facts build : {built:.2f} s, inside the store (part of every load)")
    with store.reader(db) as con:
        counts = {
            t: con.execute(f"select count(*) from {t}").fetchone()[0]  # type: ignore[index]
            for t in store.RECORD_TABLES
        }
    print(f"rows        : {counts}")
    print(f"cpu cores   : {os.cpu_count()}, load average {load_average()}")

    since_2022 = Filters(treatment_from=dt.date(2022, 1, 1))
    scar_causes = Filters(cause=("epidural_fibrosis", "arachnoiditis"))
    women = Filters(sex=("female",))
    older = Filters(age_band=("60-74",))
    timed: list[tuple[str, bool, Callable[[], object]]] = [
        (
            "summary --by cause,pathway --from 2022-01-01",
            True,
            lambda: summary(db, by=["cause", "pathway"], filters=since_2022, as_of=AS_OF),
        ),
        (
            "summary --by clinic --responder pain_relief_50 --cause (2)",
            True,
            lambda: summary(
                db, by=["clinic"], responder="pain_relief_50", filters=scar_causes, as_of=AS_OF
            ),
        ),
        (
            "summary --by physician --age-band 60-74 --timepoint 24m",
            True,
            lambda: summary(db, by=["physician"], timepoint="24m", filters=older, as_of=AS_OF),
        ),
        (
            "events --by pathway --from 2022-01-01",
            True,
            lambda: events_summary(db, by=["pathway"], filters=since_2022),
        ),
        (
            "events --by treatment --sex female",
            True,
            lambda: events_summary(db, by=["treatment"], filters=women),
        ),
        (
            "events --by cause,pathway --cause (2)",
            True,
            lambda: events_summary(db, by=["cause", "pathway"], filters=scar_causes),
        ),
        (
            "dashboard: followup_completion --by clinic",
            False,
            lambda: followup_completion(db, by=["clinic"], filters=since_2022, as_of=AS_OF),
        ),
        (
            "dashboard: trajectory odi --by pathway",
            False,
            lambda: trajectory(db, measure="odi", by=["pathway"], filters=scar_causes),
        ),
        (
            "dashboard: change_distribution odi --by pathway",
            False,
            lambda: change_distribution(db, by=["pathway"], filters=scar_causes),
        ),
        (
            "dashboard: km_curves reoperation --by pathway",
            False,
            lambda: km_curves(db, by=["pathway"], filters=scar_causes),
        ),
        (
            "dashboard: funnel --unit physician",
            False,
            lambda: funnel(db, unit="physician", filters=since_2022, as_of=AS_OF),
        ),
        ("dashboard: headline", False, lambda: headline(db, filters=since_2022, as_of=AS_OF)),
    ]
    over = []
    print(
        f"median of {args.repeat} runs (after one warm-up), in-process: wall, cpu, and the "
        "floor (open, count the facts, close) measured right before each"
    )
    for label, budgeted, fn in timed:
        base, _ = median_seconds(lambda: floor(db), args.repeat)
        seconds, cpu = median_seconds(fn, args.repeat)
        mark = ""
        if budgeted:
            mark = "  ok" if seconds < BUDGET_S else "  OVER 0.5 s"
            if seconds >= BUDGET_S:
                over.append(label)
        print(f"  {label:58s} {seconds:6.3f} s  cpu {cpu:6.3f} s  floor {base:6.3f} s{mark}")
    verdict = "yes" if not over else f"no ({len(over)} over)"
    print(f"all summary/events queries under {BUDGET_S} s: {verdict}")
    print(f"load average at the end: {load_average()}")
    return 1 if (args.check and over) else 0


if __name__ == "__main__":
    sys.exit(main())

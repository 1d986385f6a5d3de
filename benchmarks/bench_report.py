"""Time `fbss report` on large generated stores: a clinic's year and the whole network.

    .venv/bin/python benchmarks/bench_report.py --clinic-store-cases 34000 --cases 1000000

Two stores from pipelines.sample.generate (built once, reused from --out): one where the
largest clinic holds about 10,000 cases (its 2025 report is timed: goal < 10 s) and one
of --cases cases (the network's 2025 report: goal < 30 s). Each report is timed end to
end in-process (figures, charts rendered by vl-convert, PDF by WeasyPrint), after one
warm-up run that pays the first imports' caches and vl-convert's start; the median of
--repeat runs is printed, with the figures/rendering split, the process's CPU time (all
threads: what the report costs when the machine is shared) and the page count.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import overview  # noqa: E402
from benchmarks.bench_analytics import build_store, load_average  # noqa: E402
from reports.content import build_report  # noqa: E402
from reports.periods import parse_period  # noqa: E402
from reports.render import render_pdf  # noqa: E402
from reports.scope import Scope  # noqa: E402

GOALS = {"clinic": 10.0, "network": 30.0}


def store_of(out: Path, n_cases: int, seed: int) -> Path:
    """A generated store with its facts built in (as every load leaves it), reused."""
    db = out / f"report-{n_cases}-{seed}.duckdb"
    if db.exists():
        print(f"store        : {db} (reused)")
    else:
        records, facts_s = build_store(db, n_cases, seed)
        print(f"store        : {db} (records {records:.1f} s, facts {facts_s:.1f} s)")
    return db


def time_report(db: Path, scope: Scope, period: str, repeat: int) -> None:
    options = overview.filter_options(db)
    runs: list[tuple[float, float, int, float]] = []
    for i in range(repeat + 1):  # the first is the warm-up
        started, cpu = time.perf_counter(), time.process_time()
        report = build_report(db, scope, parse_period(period), options=options)
        figures = time.perf_counter() - started
        rendered = render_pdf(report)
        total = time.perf_counter() - started
        if i == 0:
            print(f"  warm-up    : {total:.2f} s (first report of the process)")
            continue
        runs.append((total, figures, rendered.n_pages, time.process_time() - cpu))
    total = statistics.median(r[0] for r in runs)
    figures = statistics.median(r[1] for r in runs)
    cpu = statistics.median(r[3] for r in runs)
    goal = GOALS[scope.kind if scope.kind == "network" else "clinic"]
    print(
        f"  {scope.kind:<10} : median {total:.2f} s (figures {figures:.2f} s, rendering "
        f"{total - figures:.2f} s; CPU {cpu:.2f} s), {runs[0][2]} pages, goal < {goal:.0f} s, "
        f"{repeat} runs, load average {load_average()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinic-store-cases", type=int, default=34_000)  # ~10,000 in one
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--period", default="2025")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    db = store_of(args.out, args.clinic_store_cases, args.seed)
    sizes = overview.cases_by_period(db, by=("clinic",), period="year", min_cell=0)
    per_clinic = sizes.groupby("clinic")["n_cases"].sum().sort_values()
    clinic = str(per_clinic.index[-1])
    print(f"clinic       : {clinic}, {int(per_clinic.iloc[-1]):,} cases")
    time_report(db, Scope("clinic", clinic), args.period, args.repeat)

    if args.cases:
        db = store_of(args.out, args.cases, args.seed)
        time_report(db, Scope("network"), args.period, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

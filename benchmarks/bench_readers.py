"""CPU of one page's analytics with per-query connections against shared ones (issue 7).

    .venv/bin/python benchmarks/bench_readers.py --db /tmp/pc-1m.duckdb --against /tmp/before
    .venv/bin/python benchmarks/bench_readers.py --db STORE --threads 1 --rounds 3

Runs the Compare pathways page's nine figures (adjusted comparison, two summaries,
Kaplan–Meier, events, two trajectories, change distribution, the count of cases) for
filter sets of 2, 3, 4, 5 and 6 physicians (each a set no call has seen), on `--threads`
threads as the dashboard's query pool does (4) or one after the other (1), in a fresh
process per side and round: this tree with the dashboard's shared connection
(`readers.keep_open()`), and with `--against` an older tree as it is. Prints each
side's median process CPU and wall seconds per filter set, and its peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PHYSICIANS = (
    "Dr A. Lindqvist",
    "Dr C. Halvorsen",
    "Dr E. Fairweather",
    "Dr B. Okafor",
    "Dr D. Nakamura",
    "Dr F. Moreau",
)


def _figures(db: str, physicians: tuple[str, ...]) -> list[Callable[[], Any]]:
    from analytics import events, outcomes, overview, trajectories
    from analytics.adjust import pathways
    from analytics.filters import Filters

    f, by = Filters(physician=physicians), ("pathway",)
    return [
        lambda: pathways.compare(db, timepoint="12m", responder="odi_mic", filters=f),
        lambda: outcomes.summary(db, by=by, timepoint="12m", filters=f),
        lambda: outcomes.summary(db, by=by, timepoint="12m", responder="opioid_mme:50%", filters=f),
        lambda: events.km_curves(db, event="reoperation", by=by, filters=f),
        lambda: events.events_summary(db, by=by, filters=f),
        lambda: trajectories.trajectory(db, measure="odi", by=by, filters=f),
        lambda: trajectories.trajectory(db, measure="opioid_mme", by=by, filters=f),
        lambda: outcomes.change_distribution(db, measure="odi", timepoint="12m", by=by, filters=f),
        lambda: overview.cases_by_period(db, by=(), period="year", min_cell=0, filters=f),
    ]


def child(db: str, threads: int, shared: bool) -> None:
    """Run the figures in this process and print one line: cpu wall peak_mib."""
    if shared:
        from analytics import readers

        readers.keep_open(60)
    pool = ThreadPoolExecutor(threads)
    cpu, wall = [], []
    for n in range(2, len(PHYSICIANS) + 1):
        c, w = time.process_time(), time.perf_counter()
        for future in [pool.submit(fn) for fn in _figures(db, PHYSICIANS[:n])]:
            future.result()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{statistics.median(cpu):.3f} {statistics.median(wall):.3f} {peak:.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--against", type=Path, help="an older source tree to compare with")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=("shared", "plain"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(str(args.db), args.threads, args.child == "shared")
        return 0
    sides = [("this tree, shared connection", ROOT, "shared")]
    if args.against:
        sides.append((f"{args.against}", args.against.resolve(), "plain"))
    results: dict[str, list[list[float]]] = {label: [] for label, _, _ in sides}
    print(f"store {args.db}, {args.threads} thread(s), load average {os.getloadavg()[0]:.2f}")
    for _ in range(args.rounds):
        for label, tree, mode in sides:
            code = (
                "import sys; sys.path.insert(0, sys.argv[1]); "
                "sys.argv = sys.argv[1:]; import runpy; "
                f"runpy.run_path({str(Path(__file__).resolve())!r}, run_name='__main__')"
            )
            out = subprocess.run(
                [sys.executable, "-c", code, str(tree), "--db", str(args.db), "--threads",
                 str(args.threads), "--child", mode],
                capture_output=True, text=True, check=True, cwd=tree,
            )  # fmt: skip
            results[label].append([float(x) for x in out.stdout.split()[-3:]])
    for label, rows in results.items():
        cpu = statistics.median(r[0] for r in rows)
        wall = statistics.median(r[1] for r in rows)
        peak = statistics.median(r[2] for r in rows)
        runs = ", ".join(f"{r[0]:.2f}" for r in rows)
        print(f"{label}: CPU per filter set {cpu:.2f} s (rounds {runs}), wall {wall:.2f} s, "
              f"peak {peak:.0f} MiB")  # fmt: skip
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

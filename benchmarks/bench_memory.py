"""Peak memory of one figure in a fresh process, beside the same figure from older code.

    .venv/bin/python benchmarks/bench_memory.py --db /tmp/am/100k.duckdb --db /tmp/am/1m.duckdb
    git archive 7767c02 | tar -x -C /tmp/am/before      # the code before, same venv
    .venv/bin/python benchmarks/bench_memory.py --db /tmp/am/1m.duckdb --against /tmp/am/before

Issue 7 asks for the dashboard server's memory to be flat in the number of cases. The
server's peak is the largest figure it computes, so each figure here runs alone in a new
Python process: imports and one small query first (DuckDB started, a connection opened
and closed), then the peak resident set (VmHWM, /proc/self/status) and the process CPU
time are read before and after the figure. Printed: the peak's growth during the figure
(MiB), what stays resident after it, CPU and wall seconds, medians of --repeat rounds;
each round runs every (code, store, figure) once in the same order, so old and new share
the machine's conditions. Every figure is asked with no filter (all cases in view, as a
page's first open) unless --physician names some. The store is only read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIGURES = {
    "frame": "from analytics.adjust import data\n"
    "data.case_frame(db, timepoint='12m', responder='odi:30%', filters=f)",
    "compare": "from analytics.adjust import pathways\npathways.compare(db, filters=f)",
    "providers": "from analytics.adjust import providers\n"
    "providers.providers(db, adjusted=True, filters=f)",
    "completeness": "from analytics import overview\noverview.completeness(db, filters=f)",
    "followup": "from analytics import outcomes\noutcomes.followup_completion(db, filters=f)",
    "km": "from analytics import events\n"
    "events.km_curves(db, event='reoperation', by=('pathway',), filters=f)",
}

# The child: `exec`s one figure between two readings of its own /proc/self/status.
CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
db, physicians, code = sys.argv[2], [p for p in sys.argv[3].split("|") if p], sys.argv[4]
from analytics import overview
from analytics.filters import Filters

def status():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

# DuckDB loaded and one connection opened and closed: the server's state between pages.
overview.cases_by_period(db, by=(), filters=Filters(physician=("nobody",)))
f = Filters(physician=tuple(physicians))
rss0, hwm0 = status()
cpu0, wall0 = time.process_time(), time.perf_counter()
exec(code, {"db": db, "f": f})
cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
rss1, hwm1 = status()
print(json.dumps({"base": hwm0, "peak": hwm1 - hwm0, "after": rss1 - rss0,
                  "cpu": cpu, "wall": wall}))
"""


def run_child(src: Path, db: str, physicians: list[str], figure: str) -> dict[str, float]:
    """One figure in a new process on the code at `src`."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), db, "|".join(physicians), FIGURES[figure]],
        capture_output=True,
        text=True,
        cwd=src,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"{figure} on {db} with {src} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", required=True, help="store (repeatable)")
    parser.add_argument("--against", type=Path, help="an older source tree, same venv")
    parser.add_argument("--figure", action="append", choices=sorted(FIGURES))
    parser.add_argument("--physician", action="append", default=[], help="filter (repeatable)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = args.figure or ["frame", "compare", "completeness"]
    trees = [("this", ROOT)] + ([("before", args.against.resolve())] if args.against else [])
    runs: dict[tuple[str, str, str], list[dict[str, float]]] = {}
    for round_ in range(args.repeat):
        for db in args.db:
            for figure in figures:
                for name, src in trees:
                    runs.setdefault((db, figure, name), []).append(
                        run_child(src, db, args.physician, figure)
                    )
        print(f"round {round_ + 1} done, load average {os.getloadavg()[0]:.1f}", flush=True)
    view = ", ".join(args.physician) or "all cases"
    print(f"\nin view: {view}; medians of {args.repeat} fresh processes each")
    print("| store | figure | code | peak growth MiB | resident after MiB | CPU s | wall s |")
    print("|---|---|---|---:|---:|---:|---:|")
    for (db, figure, name), results in runs.items():
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        print(
            f"| {Path(db).name} | {figure} | {name} | {med['peak']:.0f} | {med['after']:.0f} "
            f"| {med['cpu']:.2f} | {med['wall']:.2f} |"
        )


if __name__ == "__main__":
    main()

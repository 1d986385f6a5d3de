"""Time the case-mix adjusted figures: `fbss compare` and `fbss providers --adjusted`.

    .venv/bin/fbss sample --cases 100000 --seed 1 --out /tmp/s100k
    .venv/bin/fbss load /tmp/s100k --db /tmp/100k.duckdb
    .venv/bin/python benchmarks/bench_adjust.py --db /tmp/100k.duckdb [--repeat 5]

Times, after one warm-up run (which also builds the facts sidecar once per store):
the analysis frame alone (the DuckDB query), compare(), providers(adjusted=True) and
similar() in-process, median wall and CPU seconds of --repeat runs; then the two commands
end to end as a user runs them (`fbss compare --format json`, a new process each time:
Python start-up and imports included). Goal: under 1 s at 100,000 cases in view, under
5 s at 1,000,000.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.adjust import data  # noqa: E402
from analytics.adjust.pathways import compare  # noqa: E402
from analytics.adjust.providers import providers  # noqa: E402
from analytics.adjust.similar import similar  # noqa: E402


def median_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `repeat` runs after a warm-up run."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def command_seconds(argv: list[str], repeat: int) -> float:
    """Median wall seconds of a `fbss` command in a fresh process."""
    fbss = str(Path(sys.executable).with_name("fbss"))
    subprocess.run([fbss, *argv], check=True, capture_output=True)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([fbss, *argv], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="a store loaded with `fbss load`")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    db = Path(args.db)
    frame = data.case_frame(db, timepoint="12m", responder="odi_mic").cases
    print(f"store {db}: {len(frame):,} cases analysed at 12 months (ODI 30%)")
    jobs: dict[str, Callable[[], object]] = {
        "analysis frame (query)": lambda: data.case_frame(db, timepoint="12m", responder=None),
        "compare()": lambda: compare(db),
        "providers(adjusted=True)": lambda: providers(db, by="physician", adjusted=True),
        "similar(k=50)": lambda: similar(
            db, {"cause": "pseudarthrosis", "age": 60, "baseline_odi": 50}
        ),
    }
    print(f"{'in-process':28} {'median wall':>12} {'median CPU':>12}")
    for name, job in jobs.items():
        wall, cpu = median_seconds(job, args.repeat)
        print(f"{name:28} {wall:11.3f}s {cpu:11.3f}s")
    print(f"{'command, new process':28} {'median wall':>12}")
    for argv in (
        ["compare", "--db", str(db), "--format", "json"],
        ["providers", "--db", str(db), "--by", "physician", "--adjusted", "--format", "json"],
    ):
        print(f"{'fbss ' + argv[0]:28} {command_seconds(argv, args.repeat):11.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

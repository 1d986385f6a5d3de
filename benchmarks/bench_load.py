"""Load benchmark: DuckDB's bare CSV read against a full validated `fbss load`.

    .venv/bin/python benchmarks/bench_load.py --cases 1000000 --repeat 3

Generates the sample with `fbss sample` (cached under benchmarks/out/), then, in the
same run, alternates the two jobs --repeat times, each in a fresh process, and prints
medians, their ratio and each job's peak resident memory (from the child's rusage).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

BARE = """
import sys, duckdb
folder, db = sys.argv[1], sys.argv[2]
off = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
con = duckdb.connect(db, config=off)
for t in ("cases", "assessments", "events"):
    con.execute(f"create table {t} as select * from read_csv('{folder}/{t}.csv', header=true)")
con.execute("checkpoint")
con.close()
"""


def _run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out", help="work folder")
    args = ap.parse_args()

    out = args.out / f"load-{args.cases}"
    data = out / "data"
    if not (data / "events.csv").exists():
        t0 = time.perf_counter()
        subprocess.run(
            [
                str(BIN / "fbss"),
                "sample",
                "--cases",
                str(args.cases),
                "--seed",
                str(args.seed),
                "--as-of",
                "2026-11-01",
                "--out",
                str(data),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"generated {args.cases:,} cases in {time.perf_counter() - t0:.1f} s")
    rows = {p.stem: p.read_bytes().count(b"\n") - 1 for p in sorted(data.glob("*.csv"))}
    size = sum(p.stat().st_size for p in data.glob("*.csv")) / 2**20
    print(f"input: {rows} rows, {size:.0f} MiB of CSV")

    bare_t, bare_m, load_t, load_m = [], [], [], []
    for _ in range(args.repeat):
        for db in out.glob("*.duckdb*"):
            db.unlink()
        s, m = _run([sys.executable, "-c", BARE, str(data), str(out / "bare.duckdb")])
        bare_t.append(s)
        bare_m.append(m)
        s, m = _run([str(BIN / "fbss"), "load", str(data), "--db", str(out / "fbss.duckdb")])
        load_t.append(s)
        load_m.append(m)
    b, ld = statistics.median(bare_t), statistics.median(load_t)
    print(
        f"DuckDB bare read : median {b:6.2f} s  (runs {', '.join(f'{x:.2f}' for x in bare_t)}), "
        f"peak {max(bare_m):,.0f} MiB"
    )
    print(
        f"fbss load        : median {ld:6.2f} s  (runs {', '.join(f'{x:.2f}' for x in load_t)}), "
        f"peak {max(load_m):,.0f} MiB"
    )
    # Each load runs right after its bare read, so the ratio of a pair shares the
    # machine's load at that moment; the median of pair ratios is the steadier figure.
    pairs = sorted(x / y for x, y in zip(load_t, bare_t, strict=True))
    print(
        f"ratio load / bare: {ld / b:.2f}x of medians, {statistics.median(pairs):.2f}x median "
        f"of pairs ({', '.join(f'{r:.2f}' for r in pairs)})  (goal: within 3x, peak under 4096 MiB)"
    )


if __name__ == "__main__":
    main()

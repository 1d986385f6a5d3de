"""Load benchmark: DuckDB's bare CSV read against a full validated `fbss load`.

    .venv/bin/python benchmarks/bench_load.py --cases 1000000 --repeat 3
    .venv/bin/python benchmarks/bench_load.py --data /tmp/speed-1m --repeat 3

Generates the sample with `fbss sample` (cached under --out, default benchmarks/out/;
or uses the CSVs in --data), then, in the same run, alternates the jobs --repeat times,
each in a fresh process: DuckDB's bare read, a full `fbss load` into an empty store (the
per-case facts included), then a fresh `fbss summary` on that store beside its own
baseline, a fresh Python that imports DuckDB and counts the cases. Prints medians side
by side with their baselines, the ratios and each job's peak resident memory (rusage).
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

# The floor under any fresh `fbss summary`: start Python, import DuckDB, open, count.
FLOOR = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("select count(*) from cases").fetchone()
con.close()
"""


# The 1M export's assessments file (219 MB, 4.1 M rows) is beyond the default input
# limits (pipelines/limits.py), which the load enforces since issue 10: raise them.
LIMITS = ["--max-file-mb", "100000", "--max-rows", "1000000000"]


def _run(
    cmd: list[str], src: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process (`src`: code to run instead)."""
    if src or env:
        env = {**os.environ, **(env or {}), **({"PYTHONPATH": str(src)} if src else {})}
    started = time.perf_counter()
    # In the older tree's folder: `python -m` puts the working folder first on sys.path,
    # before PYTHONPATH, so from this repository it would import this code instead.
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=src or None
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    _cpu.append(usage.ru_utime + usage.ru_stime)  # CPU seconds: steadier on a busy machine
    return seconds, usage.ru_maxrss / 1024


_cpu: list[float] = []  # CPU seconds of each child, in the order they ran


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", type=Path, help="a folder of cases/assessments/events CSVs to use")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument(
        "--against",
        type=Path,
        help="the source tree of an older version (e.g. from `git archive`): its load and "
        "first summary are run in the same rounds, for a before/after in the same conditions",
    )
    ap.add_argument(
        "--checked",
        action="store_true",
        help="also run this code's checked path (FBSS_LOAD_PATH=checked: no fast path) "
        "in the same rounds",
    )
    args = ap.parse_args()

    # absolute: the older code's jobs run in its own folder (see _run)
    out = (args.out / (f"load-{args.data.name}" if args.data else f"load-{args.cases}")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = args.data.resolve() if args.data else out / "data"
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
    floor_t, summary_t = [], []
    old_load_t, old_load_m, old_summary_t = [], [], []
    old_load_c: list[float] = []
    checked_t, checked_m = [], []
    bare_c: list[float] = []
    load_c: list[float] = []
    db = out / "fbss.duckdb"
    fbss = [sys.executable, "-m", "fbss.cli"]
    for _ in range(args.repeat):
        for old in set(out.glob("*.duckdb*")) | set(out.glob(".*.duckdb*")):
            old.unlink(missing_ok=True)
        if args.against:
            older = out / "against.duckdb"
            s, m = _run(
                [*fbss, "load", str(data), "--db", str(older), *LIMITS],
                args.against,
                {"FBSS_LOAD_PATH": "fast"},  # an older version without a fast path ignores it
            )
            old_load_t.append(s)
            old_load_c.append(_cpu[-1])
            old_load_m.append(m)
            old_summary_t.append(_run([*fbss, "summary", "--db", str(older)], args.against)[0])
        s, m = _run([sys.executable, "-c", BARE, str(data), str(out / "bare.duckdb")])
        bare_t.append(s)
        bare_c.append(_cpu[-1])
        bare_m.append(m)
        if args.checked:
            checked_db = out / "checked.duckdb"
            s, m = _run(
                [str(BIN / "fbss"), "load", str(data), "--db", str(checked_db), *LIMITS],
                env={"FBSS_LOAD_PATH": "checked"},
            )
            checked_t.append(s)
            checked_m.append(m)
        s, m = _run(
            [str(BIN / "fbss"), "load", str(data), "--db", str(db), *LIMITS],
            env={"FBSS_LOAD_PATH": "fast"},  # fails rather than fall back to the checked path
        )
        load_t.append(s)
        load_c.append(_cpu[-1])
        load_m.append(m)
        # Right after the load, each in a fresh process: the summary, then its floor.
        summary_t.append(_run([str(BIN / "fbss"), "summary", "--db", str(db)])[0])
        floor_t.append(_run([sys.executable, "-c", FLOOR, str(db)])[0])
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
        f"of pairs ({', '.join(f'{r:.2f}' for r in pairs)})  (goal: within 1.5x, peak under "
        "2048 MiB)"
    )
    cpairs = sorted(x / y for x, y in zip(load_c, bare_c, strict=True))
    print(
        f"CPU seconds      : bare median {statistics.median(bare_c):.2f} "
        f"(runs {', '.join(f'{x:.2f}' for x in bare_c)}), load median "
        f"{statistics.median(load_c):.2f} (runs {', '.join(f'{x:.2f}' for x in load_c)}); "
        f"{statistics.median(cpairs):.2f}x median of pairs "
        f"({', '.join(f'{r:.2f}' for r in cpairs)})"
    )
    if args.checked:
        cp = sorted(x / y for x, y in zip(checked_t, bare_t, strict=True))
        print(
            f"checked path     : median {statistics.median(checked_t):6.2f} s  "
            f"(runs {', '.join(f'{x:.2f}' for x in checked_t)}), peak {max(checked_m):,.0f} MiB;"
            f" {statistics.median(cp):.2f}x median of pairs ({', '.join(f'{r:.2f}' for r in cp)})"
        )
    f, sm = statistics.median(floor_t), statistics.median(summary_t)
    print(
        f"fbss summary     : median {sm:6.2f} s  (runs {', '.join(f'{x:.2f}' for x in summary_t)})"
        f"  beside python+duckdb count: median {f:.2f} s  (goal: summary within 2 s)"
    )
    if args.against:
        # the older load ran in the same rounds, just before the bare read: its pairs
        # with the bare read and with this code's load, wall and CPU
        op = sorted(x / y for x, y in zip(old_load_t, bare_t, strict=True))
        ocp = sorted(x / y for x, y in zip(old_load_c, bare_c, strict=True))
        new_old = sorted(x / y for x, y in zip(load_c, old_load_c, strict=True))
        print(
            f"older code / bare: {statistics.median(op):.2f}x wall "
            f"({', '.join(f'{r:.2f}' for r in op)})"
            f", {statistics.median(ocp):.2f}x CPU ({', '.join(f'{r:.2f}' for r in ocp)}); "
            f"older load CPU median {statistics.median(old_load_c):.2f} s "
            f"(runs {', '.join(f'{x:.2f}' for x in old_load_c)}); this load's CPU / the older's: "
            f"{statistics.median(new_old):.2f}x ({', '.join(f'{r:.2f}' for r in new_old)})"
        )
        print(
            f"older code       : load median {statistics.median(old_load_t):6.2f} s "
            f"(runs {', '.join(f'{x:.2f}' for x in old_load_t)}), peak {max(old_load_m):,.0f} "
            f"MiB; first summary median {statistics.median(old_summary_t):.2f} s "
            f"(runs {', '.join(f'{x:.2f}' for x in old_summary_t)})  [{args.against}]"
        )


if __name__ == "__main__":
    main()

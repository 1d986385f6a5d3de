"""Fresh `fbss summary`, `fbss events` and `fbss --help` processes beside their floor.

    .venv/bin/python benchmarks/bench_fresh.py --db /tmp/fresh-1m.duckdb --repeat 7
    git archive 32eec74 | tar -x -C /tmp/fresh-old      # the code before, same venv
    .venv/bin/python benchmarks/bench_fresh.py --db /tmp/fresh-1m.duckdb --against /tmp/fresh-old

Issue 7 asks for `fbss summary` as a fresh process right after a load within 2 s at a
million cases. Each round runs every command once, each in a new process, in the same
order, so the medians share the machine's conditions: the floor (a fresh Python that
imports DuckDB and counts the cases), this code's commands, and (with --against) the
same commands from an older source tree run on the same interpreter and store. The
store is only read. Prints the median wall and CPU seconds (user + system, from the
child's rusage: steadier than wall on a shared machine) and the 1-minute load average.

The children run as an installed fbss runs: Python caches the bytecode of the project's
modules (pip compiled the libraries' at install), and one untimed round writes it first.
`--no-bytecode-cache` keeps PYTHONDONTWRITEBYTECODE when it is set (as on the machine
where this was written: every run then compiles the project's ~50 modules, about 0.1 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent

# The floor under any fresh `fbss summary`: start Python, import DuckDB, open, count.
FLOOR = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("select count(*) from cases").fetchone()
con.close()
"""


ENV = dict(os.environ)


def run(cmd: list[str], src: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one child process (`src`: an older source tree to run)."""
    env = {**ENV, "PYTHONPATH": str(src)} if src else ENV
    started = time.perf_counter()
    # `python -m` puts the working folder first on sys.path: run the older tree from itself.
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=src
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime


def commands(db: Path, src: Path | None) -> dict[str, list[str]]:
    """The timed commands; with `src`, the same run from that tree's fbss.cli."""
    fbss = [str(BIN / "fbss")] if src is None else [sys.executable, "-m", "fbss.cli"]
    return {
        "fbss --help": [*fbss, "--help"],
        "fbss summary": [*fbss, "summary", "--db", str(db)],
        "fbss summary --by cause,pathway": [
            *fbss,
            "summary",
            "--db",
            str(db),
            "--by",
            "cause,pathway",
        ],
        "fbss events": [*fbss, "events", "--db", str(db)],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="a store written by `fbss load`")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--against", type=Path, help="the source tree of an older version")
    ap.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE if set (default: children cache bytecode)",
    )
    args = ap.parse_args(argv)
    if not args.no_bytecode_cache:
        ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    if not args.db.is_file():
        ap.error(f"no store at {args.db}: build one with `fbss load FOLDER --db {args.db}`")

    jobs: dict[str, tuple[list[str], Path | None]] = {
        "floor: python + duckdb count": ([sys.executable, "-c", FLOOR, str(args.db)], None)
    }
    jobs.update({name: (cmd, None) for name, cmd in commands(args.db, None).items()})
    if args.against:
        older = commands(args.db, args.against.resolve())
        jobs.update({f"{name} [before]": (cmd, args.against) for name, cmd in older.items()})
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in jobs}
    for cmd, src in jobs.values():  # untimed: writes the bytecode caches, warms the files
        run(cmd, src)
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeat):
        for name, (cmd, src) in jobs.items():
            times[name].append(run(cmd, src))
        loads.append(os.getloadavg()[0])
    print(
        f"{args.db} | {args.repeat} rounds | load average {min(loads):.1f}-{max(loads):.1f} "
        f"| {os.cpu_count()} cores | bytecode cache "
        f"{'off' if ENV.get('PYTHONDONTWRITEBYTECODE') else 'on'}"
    )
    print("| command (fresh process) | median wall | median CPU | wall runs |\n|---|---:|---:|---|")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        listed = ", ".join(f"{w:.2f}" for w, _ in runs)
        print(f"| {name} | {wall:.2f} s | {cpu:.2f} s | {listed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

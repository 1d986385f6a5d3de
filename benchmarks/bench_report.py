"""Time `fbss report` on large generated stores: a clinic's year and the whole network.

    .venv/bin/python benchmarks/bench_report.py --clinic-store-cases 34000 --cases 1000000
    .venv/bin/python benchmarks/bench_report.py --fresh 5 --network-db /tmp/fresh-1m.duckdb \
        --against /tmp/fresh-old        # new `fbss report` processes, older code alongside

Two stores from pipelines.sample.generate (built once, reused from --out): one where the
largest clinic holds about 10,000 cases (its 2025 report is timed: goal < 10 s) and one
of --cases cases (the network's 2025 report: goal < 30 s). Each report is timed end to
end in-process (figures, charts rendered by vl-convert, PDF by WeasyPrint), after one
warm-up run that pays the first imports' caches and vl-convert's start; the median of
--repeat runs is printed, with the figures/rendering split, the process's CPU time (all
threads: what the report costs when the machine is shared) and the page count.

`--fresh N` instead times N new `fbss report` processes per report, as a user runs it
(imports, WeasyPrint's and vl-convert's start included): wall and CPU seconds (user +
system, the child's rusage), medians. `--network-db` uses a store `fbss load` wrote
instead of the generated one; `--against` runs an older source tree's `fbss report`
(same interpreter, same stores) in the same rounds, for a before/after in one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
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


def _fresh(cmd: list[str], src: Path | None) -> tuple[float, float]:
    """Wall and CPU seconds of one new process (`src`: an older source tree to run)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached after one run
    if src is not None:
        env["PYTHONPATH"] = str(src)
    started = time.perf_counter()
    proc = subprocess.Popen(  # cwd: `python -m` puts the working folder first on sys.path
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=src
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime


def time_fresh(
    reports: dict[str, list[str]], repeat: int, against: Path | None, goals: dict[str, float]
) -> None:
    """Each report as a new `fbss report` process, --repeat rounds (after one untimed)."""
    jobs: dict[str, tuple[list[str], Path | None]] = {}
    for name, argv in reports.items():
        jobs[name] = ([str(Path(sys.executable).with_name("fbss")), "report", *argv], None)
        if against is not None:
            older = [sys.executable, "-m", "fbss.cli", "report", *argv]
            jobs[f"{name} [before]"] = (older, against.resolve())
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in jobs}
    loads = []
    for round_ in range(repeat + 1):
        for name, (cmd, src) in jobs.items():
            result = _fresh(cmd, src)
            if round_:
                runs[name].append(result)
        loads.append(os.getloadavg()[0])
    print(f"fresh processes, {repeat} rounds, load average {min(loads):.1f}-{max(loads):.1f}")
    print("| report (new process) | median wall | median CPU | goal | wall runs |")
    print("|---|---:|---:|---:|---|")
    for name, times in runs.items():
        wall = statistics.median(w for w, _ in times)
        cpu = statistics.median(c for _, c in times)
        goal = goals[name.split()[0]]
        listed = ", ".join(f"{w:.1f}" for w, _ in times)
        print(f"| {name} | {wall:.2f} s | {cpu:.2f} s | < {goal:.0f} s | {listed} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinic-store-cases", type=int, default=34_000)  # ~10,000 in one
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--period", default="2025")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--fresh", type=int, default=0, metavar="N", help="N new processes each")
    parser.add_argument("--network-db", type=Path, help="the network report's store (loaded)")
    parser.add_argument("--against", type=Path, help="with --fresh: an older source tree")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    db = store_of(args.out, args.clinic_store_cases, args.seed)
    sizes = overview.cases_by_period(db, by=("clinic",), period="year", min_cell=0)
    per_clinic = sizes.groupby("clinic")["n_cases"].sum().sort_values()
    clinic = str(per_clinic.index[-1])
    print(f"clinic       : {clinic}, {int(per_clinic.iloc[-1]):,} cases")
    network = args.network_db or (store_of(args.out, args.cases, args.seed) if args.cases else None)
    if args.fresh:
        with tempfile.TemporaryDirectory() as tmp:
            period = ["--period", args.period, "--out", f"{tmp}/r.pdf"]
            reports = {"clinic": ["--clinic", clinic, *period, "--db", str(db)]}
            if network is not None:
                reports["network"] = ["--network", *period, "--db", str(network)]
            time_fresh(reports, args.fresh, args.against, GOALS)
        return 0
    time_report(db, Scope("clinic", clinic), args.period, args.repeat)
    if network is not None:
        time_report(network, Scope("network"), args.period, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

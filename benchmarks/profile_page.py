"""Where one dashboard page's time goes after a filter change, server-side (no browser).

    .venv/bin/python benchmarks/profile_page.py compare --db /tmp/fresh-1m.duckdb
    .venv/bin/python benchmarks/profile_page.py quality --db STORE --cprofile 25

Runs the app under Streamlit's AppTest in this process, opens the page, then twice picks
one more physician (a filter set the page has not seen, so nothing comes from the cache)
and prints for each change: the process's CPU and wall seconds for the whole script run,
how many DuckDB connections it opened, and every analytics call it made (wall seconds,
and the CPU of the thread that ran it — DuckDB's own worker threads are not in that
figure, only in the process's). With
`--cprofile N` it also prints the N costliest functions of the script thread (cProfile),
where Streamlit's and Altair's share shows. Physician names are the generator's.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHYSICIANS = ("Dr A. Lindqvist", "Dr C. Halvorsen", "Dr E. Fairweather", "Dr B. Okafor")
PAGES = ("overview", "causes", "compare", "providers", "quality")


def _timed_registry(log: list[tuple[str, float, float]]) -> None:
    """Wrap every cached analytics function of dashboard.data so its calls are timed."""
    from dashboard import data

    for key, fn in list(data._REGISTRY.items()):

        def timed(*args: Any, _fn: Any = fn, _key: str = key, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return _fn(*args, **kwargs)
            finally:
                name = ".".join(_key.split(".")[-2:])
                log.append((name, time.perf_counter() - wall, time.thread_time() - cpu))

        data._REGISTRY[key] = timed


def _counted_connects(counts: dict[str, int]) -> None:
    """Count every DuckDB connection opened (pipelines.store.connect: every reader path)."""
    from pipelines import store

    original = store.connect

    def connect(path: Any, *, read_only: bool) -> Any:
        counts["connections"] = counts.get("connections", 0) + 1
        return original(path, read_only=read_only)

    store.connect = connect  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", choices=PAGES)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--cprofile", type=int, default=0, help="print the N costliest functions")
    args = parser.parse_args(argv)
    os.environ["FBSS_DB"] = str(args.db)

    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    log: list[tuple[str, float, float]] = []
    _timed_registry(log)
    counts: dict[str, int] = {}
    _counted_connects(counts)
    profile = cProfile.Profile()
    if args.cprofile:
        original = script_runner.ScriptRunner._run_script

        def profiled(self: Any, *a: Any, **k: Any) -> Any:
            profile.enable()
            try:
                return original(self, *a, **k)
            finally:
                profile.disable()

    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=600)
    at.run()
    if args.page != "overview":
        at.switch_page(f"app_pages/{args.page}.py").run()
    at.multiselect(key="w_physician").set_value(list(PHYSICIANS[:2])).run()
    if args.cprofile:
        script_runner.ScriptRunner._run_script = profiled  # type: ignore[method-assign]
    for n in (3, 4):
        log.clear()
        counts.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        at.multiselect(key="w_physician").set_value(list(PHYSICIANS[:n])).run()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"{args.page}, {n} physicians: script run {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"{counts.get('connections', 0)} DuckDB connections opened"
        )
        for name, call_wall, call_cpu in sorted(log, key=lambda r: -r[1]):
            print(f"    {name:36s} {call_wall:6.3f} s wall  {call_cpu:6.3f} s thread CPU")
        if at.exception:
            print("    exception:", at.exception[0].value)
    if args.cprofile:
        stats = pstats.Stats(profile)
        print("script thread, both changes together:")
        for label, seconds in split(stats).items():
            print(f"    {label:58s} {seconds:6.2f} s")
        stats.sort_stats("tottime").print_stats(args.cprofile)
    return 0


def split(stats: pstats.Stats) -> dict[str, float]:
    """The script thread's time by kind (cumulative seconds of the entry points; the
    kinds do not overlap: charts are built in dashboard/charts, sent by ui.chart)."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]

    def entry(path_part: str, name: str | None = None) -> float:
        """Cumulative time of functions under `path_part` called from outside it."""
        total = 0.0
        for (file, _line, func), (_cc, _nc, _tt, _ct, callers) in table.items():
            if path_part not in file or (name is not None and func != name):
                continue
            for (caller_file, _l, _f), (_c, _n, _t, caller_ct) in callers.items():
                if path_part not in caller_file:
                    total += caller_ct
        return total

    run = sum(ct for (f, _l, func), (_c, _n, _t, ct, _) in table.items() if func == "_run_script")
    waiting = sum(tt for (_f, _l, func), (_c, _n, tt, _ct, _) in table.items() if "acquire" in func)
    built = entry("/dashboard/charts/")
    sent = entry("/dashboard/ui.py", "chart")
    tables = entry("/dashboard/ui.py", "table")
    return {
        "whole script run": run,
        "waiting for the analytics (query pool, cache)": waiting,
        "building charts (dashboard.charts: Altair objects)": built,
        "sending charts (ui.chart: Streamlit's spec + Arrow)": sent,
        "tables (ui.table: st.dataframe)": tables,
        "the rest (page code, widgets, Streamlit)": run - waiting - built - sent - tables,
    }


if __name__ == "__main__":
    raise SystemExit(main())

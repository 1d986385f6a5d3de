"""Where a load's time and memory go: each stage of `load_paths`, timed in one process.

    .venv/bin/python benchmarks/load_stages.py /tmp/speed-1m /tmp/speed-stages.duckdb
    .venv/bin/python benchmarks/load_stages.py /tmp/speed-1m /tmp/speed-stages.duckdb --fast
    .venv/bin/python benchmarks/load_stages.py /tmp/speed-1m /tmp/s.db --fast --profile /tmp/prof

Runs the same stages as `pipelines.load.load_paths` (into a fresh store at the given
path; the checked path, or with --fast the fast path of pipelines/fastpath.py) and
prints, after each, wall and CPU seconds, resident memory and its peak so far,
and what Arrow's memory pool holds. CPU seconds stay meaningful on a busy machine.

With --profile DIR (fast path), DuckDB's profile of each big statement (the three
inserts, the facts table) is written to DIR as JSON and printed as an operator tree with
each operator's time (summed over threads: compare shares, not seconds).
"""

from __future__ import annotations

import concurrent.futures
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow

from pipelines import facts, fastpath, load, store
from pipelines.crosscheck import cross_check
from pipelines.limits import MB, Limits
from pipelines.readers import read_paths
from pipelines.validate import validate_batch

_last = [time.perf_counter(), time.process_time()]


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def lap(stage: str) -> None:
    now, cpu = time.perf_counter(), time.process_time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{stage:16s} wall {now - _last[0]:6.2f} s  cpu {cpu - _last[1]:6.2f} s  "
        f"rss {_rss_mib():6,.0f} MiB  peak {peak:6,.0f} MiB  "
        f"arrow {pyarrow.total_allocated_bytes() / 2**20:6,.0f} MiB",
        flush=True,
    )
    _last[:] = [now, cpu]


# the 1M export is beyond the default input limits (see bench_load.py)
LIMITS = Limits(max_file_bytes=100_000 * MB, max_rows=10**9)


class Profiled:
    """A connection whose big statements (inserts, the facts table) DuckDB profiles into
    DIR/<n>-<what>.json; the other statements' profiles go to a scratch file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, folder: Path) -> None:
        self.con, self.folder, self.n = con, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        con.execute("pragma enable_profiling = 'json'")
        self._to(folder / "scratch.json")

    def _to(self, path: Path) -> None:
        self.con.execute(f"pragma profiling_output = '{path}'")

    def execute(self, sql: str, *args: Any) -> Any:
        reads = sql.startswith("insert into") and "read_csv(" in sql
        big = reads or sql.startswith(f"create table {facts.TABLE} ")
        if not big:
            return self.con.execute(sql, *args)
        self.n += 1
        path = self.folder / f"{self.n}-{sql.split()[2]}.json"
        self._to(path)
        rows = self.con.execute(sql, *args).fetchall()  # before the next statement
        self._to(self.folder / "scratch.json")
        show(path)
        return Fetched(rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


class Fetched:
    """A big statement's result rows, fetched before the profile's output was switched."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


def show(path: Path) -> None:
    """The operator tree of a DuckDB JSON profile, each operator's time and rows."""
    profile = json.loads(path.read_text())
    cpu = profile.get("query", profile).get("cpu_time", 0.0)
    print(f"  {path.name}: query CPU (DuckDB's count, all threads) {cpu:.2f} s")

    def walk(node: dict[str, Any], depth: int) -> None:
        name = node.get("operator_name") or node.get("name") or node.get("operator_type")
        timing = node.get("operator_timing", node.get("timing", 0.0))
        rows = node.get("operator_cardinality", node.get("intermediate_rows"))
        print(f"  {'  ' * depth}{name} {timing:.3f} s, {rows} rows")
        for child in node.get("children", []):
            walk(child, depth + 1)

    for top in profile.get("children", profile.get("operator", [])):
        walk(top, 0)


def fast(data: Path, db: Path) -> None:
    lap("start")
    batch = fastpath.plan([data], LIMITS)
    assert batch is not None, "the fast path declines this export"
    lap("plan (headers)")
    with (
        concurrent.futures.ThreadPoolExecutor(1) as pool,
        store.write_lock(db),
        store.staged_copy(db) as (con, commit),
    ):
        vetted = pool.submit(fastpath.vet, batch, LIMITS)  # beside DuckDB, as load_paths
        lap("copy")
        if "--keep-order" not in sys.argv:  # as load_paths does
            con.execute("set preserve_insertion_order = false")
        con.execute("set memory_limit = '1536MB'")  # as load_paths does
        run: Any = con
        if "--profile" in sys.argv:
            run = Profiled(con, Path(sys.argv[sys.argv.index("--profile") + 1]))
        fastpath.write(run, batch, replace=False, merge=load._merge)
        con.execute("reset memory_limit")
        lap("read+type+check+write")
        load._build_facts(run, lambda _: None)
        lap("facts")
        fastpath.verify(con, batch, vetted.result())
        lap("verify (+vet)")
        commit[0] = True
    lap("checkpoint+swap")


def main() -> None:
    data, db = Path(sys.argv[1]), Path(sys.argv[2])
    for old in db.parent.glob(db.name + "*"):
        old.unlink()
    if "--fast" in sys.argv:
        fast(data, db)
        return
    lap("start")
    batch = read_paths([data], LIMITS)
    lap("read")
    checked = validate_batch(batch)
    lap("validate")
    del batch
    with store.write_lock(db), store.staged_copy(db) as (con, commit):
        lap("copy")
        cross_check(con, checked.frames, checked.origin, replace=False)
        lap("cross-check")
        load._apply(con, checked, replace=False)
        checked.frames.clear()
        checked.origin.clear()
        lap("write")
        con.execute("set memory_limit = '1GB'")  # as load_paths does
        facts.build(con)
        con.execute("reset memory_limit")
        lap("facts")
        commit[0] = True
    lap("checkpoint+swap")


if __name__ == "__main__":
    main()

"""Where a load's time and memory go: each stage of `load_paths`, timed in one process.

    .venv/bin/python benchmarks/load_stages.py /tmp/speed-1m /tmp/speed-stages.duckdb
    .venv/bin/python benchmarks/load_stages.py /tmp/speed-1m /tmp/speed-stages.duckdb --fast

Runs the same stages as `pipelines.load.load_paths` (into a fresh store at the given
path; the checked path, or with --fast the fast path of pipelines/fastpath.py) and
prints, after each, wall and CPU seconds, resident memory and its peak so far,
and what Arrow's memory pool holds. CPU seconds stay meaningful on a busy machine.
"""

from __future__ import annotations

import concurrent.futures
import resource
import sys
import time
from pathlib import Path

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
        fastpath.write(con, batch, replace=False, merge=load._merge)
        lap("read+type+check+write")
        load._build_facts(con, lambda _: None)
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

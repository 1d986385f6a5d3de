"""Validate a batch and load it into the store: strict, idempotent, crash-safe.

Strict: any problem and no record is written. Idempotent: rows are upserted by key and
a row equal to the stored one is not rewritten. Crash-safe: the batch is applied to a
copy of the store that replaces the live file in one `os.replace()` (see `store.py`);
the per-case facts the analytics read are rebuilt in that copy too (see `facts.py`).

Over 300 lines: both load paths (the fast path's gate in fastpath.py, the checked path
here) share the upsert, the load log and the staged-copy sequence; they are kept in one
place so the two paths cannot drift apart in what they write.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pipelines import facts, fastpath, store
from pipelines import problems as P
from pipelines.limits import Limits
from pipelines.problems import Problem
from pipelines.vocabulary import TREATMENTS

if TYPE_CHECKING:
    # The checked path's modules import pandas, pyarrow and pandera (about 1 s of CPU):
    # imported where the checked path runs, so a load down the fast path never loads them.
    import pandas as pd

    from pipelines.readers import Batch
    from pipelines.validate import Validated

Progress = Callable[[str], None]
_PATHWAY_OF = {treatment: pathway for treatment, (pathway, _) in TREATMENTS.items()}


@dataclass
class LoadResult:
    """What a validation or a load found and did."""

    accepted: bool
    problems: list[Problem]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    files: list[dict[str, object]] = field(default_factory=list)
    load_id: int | None = None
    fast: bool = False  # written by the fast path (fastpath.py), not the checked path


def _quiet(_: str) -> None:
    pass


def validate_paths(
    paths: Sequence[Path],
    db_path: Path | None = None,
    progress: Progress = _quiet,
    *,
    limits: Limits | None = None,
    clinics: Sequence[str] | None = None,
) -> LoadResult:
    """Every problem the batch has, checked against the store when it exists; writes nothing.

    `clinics` (None: any) limits the batch to those clinics' records (pipelines/clinic_scope.py).
    """
    from pipelines.readers import read_paths
    from pipelines.validate import validate_batch

    progress("reading files")
    batch = read_paths(paths, limits)
    progress("validating")
    checked = validate_batch(batch)
    problems = list(checked.problems)
    progress("checking against the store")
    if db_path is not None and db_path.exists():
        with store.reader(db_path) as con:
            problems += _store_checks(con, checked, replace=False, clinics=clinics)
    else:
        con = store.connect(":memory:", read_only=False)
        try:
            store.create_schema(con)
            problems += _store_checks(con, checked, replace=False, clinics=clinics)
        finally:
            con.close()
    return LoadResult(
        not problems,
        problems,
        dropped=checked.dropped,
        ignored=batch.ignored,
        files=_file_list(batch, checked),
    )


def _store_checks(
    con: duckdb.DuckDBPyConnection,
    checked: Validated,
    *,
    replace: bool,
    clinics: Sequence[str] | None,
) -> list[Problem]:
    """The batch against the store: cross-table rules, and the importer's clinics.

    When a clinic-scoped batch touches another clinic's records, only that is reported:
    the cross-table messages quote stored values (a case's treatment date), which must not
    reach someone who may not see that clinic.
    """
    from pipelines.clinic_scope import outside_clinics
    from pipelines.crosscheck import cross_check

    outside = outside_clinics(con, checked.frames, checked.origin, clinics)
    if outside:
        return list(outside)
    return list(
        cross_check(
            con, checked.frames, checked.origin, replace=replace, incomplete=checked.incomplete
        )
    )


def load_paths(
    paths: Sequence[Path],
    db_path: Path,
    *,
    replace: bool = False,
    progress: Progress = _quiet,
    limits: Limits | None = None,
    lock_timeout: float | None = None,
    fast: bool | None = None,
    clinics: Sequence[str] | None = None,
) -> LoadResult:
    """Validate and, when nothing is wrong, upsert the batch into the store at `db_path`.

    A plain CSV export goes the fast path first (fastpath.py); anything it cannot vouch
    for goes the checked path below. `fast=False` (or FBSS_LOAD_PATH=checked, for tests
    and benchmarks) skips the fast path; FBSS_LOAD_PATH=fast (benchmarks) fails the load
    rather than fall back.

    `clinics` (None: any) limits the batch to those clinics' records (pipelines/clinic_scope.py);
    such a batch always goes the checked path, where that rule is applied.
    """
    forced = os.environ.get("FBSS_LOAD_PATH", "")
    if fast is None:
        fast = forced != "checked"
    if fast and clinics is None:
        done = _load_fast(
            paths,
            db_path,
            replace=replace,
            progress=progress,
            limits=limits,
            lock_timeout=lock_timeout,
        )
        if done is not None:
            return done
        if forced == "fast":  # benchmarks: be sure of what is measured
            raise RuntimeError("FBSS_LOAD_PATH=fast, but the fast path declined the batch")
    from pipelines.readers import read_paths
    from pipelines.validate import validate_batch

    started = dt.datetime.now()
    progress("reading files")
    batch = read_paths(paths, limits)
    progress("validating")
    checked = validate_batch(batch)
    problems = list(checked.problems)
    if replace and not problems:
        missing = [t for t in ("cases", "assessments") if t not in checked.frames]
        problems += [
            Problem(
                ", ".join(map(str, paths)),
                None,
                None,
                None,
                f"--replace needs a full export, but the batch has no {t} file",
                P.FILE,
            )
            for t in missing
        ]
    result = LoadResult(
        False,
        problems,
        dropped=checked.dropped,
        ignored=batch.ignored,
        files=_file_list(batch, checked),
    )
    del batch  # the cells as text (a gigabyte at a million cases) are not needed any more
    # A rejected batch is logged too, even into a new (empty) store: the data-quality
    # page then shows its report, and the log tells that it was tried.
    with store.write_lock(db_path, lock_timeout), store.staged_copy(db_path) as (con, commit):
        if not problems:
            progress("checking against the store")
            problems += _store_checks(con, checked, replace=replace, clinics=clinics)
        if not problems:
            progress("writing")
            result.counts = _apply(con, checked, replace=replace)
            checked.frames.clear()  # stored now: free them before the facts are built
            checked.origin.clear()
        result.accepted = not problems
        result.problems = problems
        result.load_id = _log(con, result, started, replace)
        if result.accepted or not facts.is_current(con):
            # In the staged copy, so the store and its facts are swapped in together
            # (a rejected batch still brings an older store's facts up to date).
            _build_facts(con, progress)
        commit[0] = True
    return result


def _build_facts(con: duckdb.DuckDBPyConnection, progress: Progress) -> None:
    progress("building the per-case facts")
    # Python still holds the allocator's share of the batch's frames: cap DuckDB
    # so the pivot's hash tables spill rather than add to the peak (at 1M cases:
    # peak 2,194 -> 1,955 MiB, measured with benchmarks/load_stages.py).
    con.execute("set memory_limit = '1GB'")
    try:
        facts.build(con)
    except duckdb.OutOfMemoryException:  # a store far larger: build it uncapped
        con.execute("reset memory_limit")
        facts.build(con)
    con.execute("reset memory_limit")


def _load_fast(
    paths: Sequence[Path],
    db_path: Path,
    *,
    replace: bool,
    progress: Progress,
    limits: Limits | None,
    lock_timeout: float | None,
) -> LoadResult | None:
    """The fast path (fastpath.py): the load's result, or None when it cannot vouch for
    the batch (its staged copy is then dropped and the checked path runs)."""
    started = dt.datetime.now()
    progress("reading files")
    batch = fastpath.plan(paths, limits or Limits())
    if batch is None:
        return None
    result = LoadResult(True, [], ignored=batch.ignored, fast=True)
    # The files' bytes are checked and hashed in a thread while DuckDB reads them.
    with (
        concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="vet") as pool,
        store.write_lock(db_path, lock_timeout),
        store.staged_copy(db_path) as (con, commit),
    ):
        vetted = pool.submit(fastpath.vet, batch, limits or Limits())
        progress("reading, checking and writing")
        try:
            # DuckDB streams the files into the tables: 1.5 GB is ample (peak 985 MiB at
            # 1M cases) and keeps the load under 2 GB; out of memory -> the checked path
            con.execute("set memory_limit = '1536MB'")
            # Row order in the store is no part of the contract (every reader sorts or
            # groups; the differential test compares sorted rows): letting DuckDB's
            # threads write in any order saves it re-sequencing their chunks.
            con.execute("set preserve_insertion_order = false")
            result.counts = fastpath.write(con, batch, replace=replace, merge=_merge)
            con.execute("reset memory_limit")
            _build_facts(con, progress)
            con.execute("reset preserve_insertion_order")
            fastpath.verify(con, batch, vetted.result())
        except (fastpath.Doubt, duckdb.Error):  # any doubt at all: the checked path decides
            vetted.cancel()
            return None  # commit[0] stays False: the copy is deleted, the store untouched
        result.files = fastpath.files_of(batch)
        result.load_id = _log(con, result, started, replace)
        commit[0] = True
    return result


def _file_list(batch: Batch, checked: Validated) -> list[dict[str, object]]:
    files: list[dict[str, object]] = [
        {
            "path": f.label,
            "table": f.table,
            "sha256": f.sha256,
            "rows": checked.rows.get(f.label, 0),
        }
        for f in batch.files
    ]
    read = {str(f.path) for f in batch.files}
    files += [  # files that were read but could not be used: hash, no rows
        {"path": path, "table": None, "sha256": digest, "rows": None}
        for path, digest in batch.file_hashes.items()
        if path not in read
    ]
    return files


def _apply(
    con: duckdb.DuckDBPyConnection, checked: Validated, *, replace: bool
) -> dict[str, dict[str, int]]:
    import pandas as pd

    from pipelines.schemas import MODELS

    counts = {}
    for table in store.RECORD_TABLES:
        frame = checked.frames.get(table)
        if frame is None and not replace:
            continue
        if frame is None:
            frame = pd.DataFrame(columns=list(MODELS[table].to_schema().columns))
        counts[table] = _upsert(con, table, frame, replace=replace)
    return counts


def _upsert(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, *, replace: bool
) -> dict[str, int]:
    import pyarrow

    if table == "cases":
        frame = frame.assign(pathway=frame["treatment"].map(_PATHWAY_OF))
    columns = [r[0] for r in con.execute(f"describe {table}").fetchall()]
    # Arrow, not pandas objects: DuckDB scans it without touching Python strings.
    # (columns= picks them without first copying the frame)
    incoming = pyarrow.Table.from_pandas(frame, columns=columns, preserve_index=False)
    con.register("incoming_frame", incoming)
    if _one(con, f"select count(*) = 0 from {table}")[0]:
        # An empty table (a first load): nothing to compare with, so insert directly.
        con.execute(f"insert into {table} select * from incoming_frame")
        con.unregister("incoming_frame")
        out = {"inserted": len(frame), "updated": 0, "unchanged": 0}
        return {**out, "deleted": 0} if replace else out
    # A typed copy, so comparisons with the stored rows are type for type.
    con.execute(f"create or replace temp table incoming as select * from {table} limit 0")
    con.execute("insert into incoming select * from incoming_frame")
    con.unregister("incoming_frame")
    return _merge(con, table, replace)


def _merge(con: duckdb.DuckDBPyConnection, table: str, replace: bool) -> dict[str, int]:
    """Upsert the temp table `incoming` (the batch's rows, typed) into `table` and drop it.

    Shared by the checked path and the fast path (fastpath.py).
    """
    keys = store.KEYS[table]
    columns = [r[0] for r in con.execute(f"describe {table}").fetchall()]
    others = [c for c in columns if c not in keys]
    on = " and ".join(f"i.{k} = t.{k}" for k in keys)
    differs = " or ".join(f"i.{c} is distinct from t.{c}" for c in others)
    inserted, updated, unchanged = _one(
        con,
        f"""select count(*) filter (where t.{keys[0]} is null),
                   count(*) filter (where t.{keys[0]} is not null and ({differs})),
                   count(*) filter (where t.{keys[0]} is not null and not ({differs}))
            from incoming i left join {table} t on {on}""",
    )
    deleted = 0
    if replace:
        gone = f"from {table} t where not exists (select 1 from incoming i where {on})"
        deleted = _one(con, f"select count(*) {gone}")[0]
        con.execute(f"delete {gone}")
    # Changed rows are deleted and inserted anew; unchanged rows are never touched.
    con.execute(
        f"delete from {table} t where exists (select 1 from incoming i where {on} and ({differs}))"
    )
    con.execute(
        f"insert into {table} select i.* from incoming i "
        f"where not exists (select 1 from {table} t where {on})"
    )
    con.execute("drop table incoming")
    out = {"inserted": inserted, "updated": updated, "unchanged": unchanged}
    if replace:
        out["deleted"] = deleted
    return out


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The single row an aggregate query returns."""
    row = con.execute(sql).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row


def _log(
    con: duckdb.DuckDBPyConnection, result: LoadResult, started: dt.datetime, replace: bool
) -> int:
    """Record the attempt in load_log (no record values) and keep a rejected batch's report."""
    load_id = _one(con, "select coalesce(max(load_id), 0) + 1 from load_log")[0]
    con.execute(
        "insert into load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            started,
            dt.datetime.now(),
            "accepted" if result.accepted else "rejected",
            "replace" if replace else "upsert",
            json.dumps(result.files),
            json.dumps(result.counts),
            len(result.problems),
            json.dumps([{"file": f, "column": c} for f, c in result.dropped]),
        ],
    )
    if not result.accepted:
        # Where and what, never the offending value: a rejected batch's values stay out.
        con.execute("delete from last_rejection")
        con.executemany(
            "insert into last_rejection values (?, ?, ?, ?, ?, ?, ?)",
            [
                (load_id, p.file, p.row, p.column, None, p.value_free(), p.kind)
                for p in result.problems
            ],
        )
    return int(load_id)

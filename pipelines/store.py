"""The DuckDB file: schema, reference tables, short-lived readers and the atomic swap.

DuckDB lets one process hold a file for writing and then nobody else may open it, not
even read_only. So a load never writes the live file: it copies it, applies the batch
to the copy, checkpoints, closes and `os.replace()`s the copy over the live file.
Readers open short-lived read_only connections and see either the old or the new file.
A kill at any moment leaves the live file exactly as before or exactly as after.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from pipelines import vocabulary as vocab

DEFAULT_DB = Path("data/fbss.duckdb")
RECORD_TABLES: tuple[str, ...] = vocab.RECORD_TABLES  # the contract's tables, named once
KEYS: dict[str, tuple[str, ...]] = {
    "cases": ("case_id",),
    "assessments": ("case_id", "timepoint"),
    "events": ("case_id", "event_date", "event"),
}

# No internet at run time: never try to fetch an extension.
_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def db_path_from(value: str | os.PathLike[str] | None) -> Path:
    """The store path: explicit value, else $FBSS_DB, else data/fbss.duckdb."""
    if value:
        return Path(value)
    return Path(os.environ.get("FBSS_DB") or DEFAULT_DB)


def connect(path: str | os.PathLike[str], *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with extension downloads switched off."""
    return duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))


@contextlib.contextmanager
def reader(path: str | os.PathLike[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read_only connection; close it quickly so loads are never blocked."""
    con = connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def schema_sql() -> str:
    return resources.files("pipelines").joinpath("sql/schema.sql").read_text(encoding="utf-8")


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table (idempotent) and refresh the reference vocabulary tables."""
    con.execute(schema_sql())
    _write_reference(con)


def _write_reference(con: duckdb.DuckDBPyConnection) -> None:
    rows: dict[str, list[tuple[object, ...]]] = {
        "ref_causes": [(c, lbl, i) for i, (c, lbl) in enumerate(vocab.CAUSES.items())],
        "ref_pathways": [(c, lbl, i) for i, (c, lbl) in enumerate(vocab.PATHWAYS.items())],
        "ref_treatments": [
            (c, pw, lbl, i) for i, (c, (pw, lbl)) in enumerate(vocab.TREATMENTS.items())
        ],
        "ref_timepoints": [(t.code, t.label, t.days, t.order) for t in vocab.TIMEPOINTS.values()],
        "ref_measures": [
            (m.code, m.label, m.unit, m.low, m.high, m.higher_is_better, i)
            for i, m in enumerate(vocab.MEASURES.values())
        ],
        "ref_events": [(c, lbl, i) for i, (c, lbl) in enumerate(vocab.EVENTS.items())],
    }
    for table, values in rows.items():
        # Compare before writing so an unchanged vocabulary rewrites nothing.
        current = con.execute(f"select * from {table} order by sort").fetchall()
        if [tuple(r) for r in current] == values:
            continue
        con.execute(f"delete from {table}")
        marks = ", ".join("?" * len(values[0]))
        con.executemany(f"insert into {table} values ({marks})", values)


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Serialise loads of one store (a second load waits for the first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _staging_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.loading-{os.getpid()}")


def _remove_stale_staging(path: Path) -> None:
    for stale in path.parent.glob(f".{path.name}.loading-*"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


@contextlib.contextmanager
def staged_copy(path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[bool]]]:
    """Yield a writable connection on a copy of the store and a one-item `commit` flag.

    When the block sets ``commit[0] = True`` and ends without an exception, the copy is
    checkpointed, closed, fsynced and atomically moved over the live file. Otherwise the
    copy is deleted and the live file is untouched. Callers hold `write_lock`.
    """
    _remove_stale_staging(path)
    _checkpoint_stale_wal(path)
    staging = _staging_path(path)
    if path.exists():
        shutil.copyfile(path, staging)
    commit = [False]
    con = connect(staging, read_only=False)
    try:
        create_schema(con)
        yield con, commit
        if commit[0]:
            con.execute("checkpoint")
        con.close()
        if commit[0]:
            with open(staging, "rb") as fh:
                os.fsync(fh.fileno())
            if _PAUSE_BEFORE_SWAP:
                _pause_before_swap()
            os.replace(staging, path)
            _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(Exception):
            con.close()
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
        with contextlib.suppress(FileNotFoundError):
            staging.with_name(staging.name + ".wal").unlink()


def _checkpoint_stale_wal(path: Path) -> None:
    """Fold a write-ahead log left beside the live file into it before copying.

    Loads never leave one (they write a copy), but another program that opened the store
    for writing and crashed may have. Copied without it, the store would lose that work
    and could no longer be opened once the stale log met the new file.
    """
    wal = path.with_name(path.name + ".wal")
    if path.exists() and wal.exists():
        con = connect(path, read_only=False)  # opening replays the log
        try:
            con.execute("checkpoint")
        finally:
            con.close()


# Tests hold a load just before the swap (its lock held, its copy complete) to kill it
# there, or to read the store meanwhile: "stdin" waits for a line on standard input, a
# number sleeps that many seconds.
_PAUSE_BEFORE_SWAP = os.environ.get("FBSS_TEST_PAUSE_BEFORE_SWAP") or ""


def _pause_before_swap() -> None:
    print("fbss: paused before the swap", file=sys.stderr, flush=True)
    if _PAUSE_BEFORE_SWAP == "stdin":
        sys.stdin.readline()
    else:
        time.sleep(float(_PAUSE_BEFORE_SWAP))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The DuckDB file: schema, reference tables, short-lived readers and the atomic swap.

DuckDB lets one process hold a file for writing and then nobody else may open it, not
even read_only. So a load never writes the live file: it copies it, applies the batch
to the copy, checkpoints, closes and `os.replace()`s the copy over the live file.
Readers open short-lived read_only connections and see either the old or the new file.
A kill at any moment leaves the live file exactly as before or exactly as after.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import IO

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


class LockTimeout(Exception):
    """Another load held the store longer than the caller would wait; says who."""


DEFAULT_LOCK_TIMEOUT = 60.0
_LOCK_POLL = 0.2  # seconds between tries while another load holds the store


def _holder(fh: IO[bytes]) -> str:
    """Who holds the lock, as its holder wrote it: "process 123 (since 2026-12-01T23:40:00Z)"."""
    fh.seek(0)
    text = fh.read(200).decode("utf-8", "replace").strip()
    pid, _, since = text.partition(" ")
    if not pid.isdigit():
        return "another load"
    return f"process {pid}" + (f" (since {since})" if since else "")


@contextlib.contextmanager
def write_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Serialise loads of one store: a second load waits, at most `timeout` seconds.

    The holder writes its pid and start time into the lock file, so a waiting load can
    say who it waits for; a suspended holder makes the wait end with LockTimeout rather
    than hang for ever. The lock itself is flock's, released by the kernel when its
    holder dies, so a stale pid left in the file never blocks anyone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    wait = DEFAULT_LOCK_TIMEOUT if timeout is None else timeout
    with open(lock_path, "a+b") as fh:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    print(
                        f"fbss: waiting for {_holder(fh)}, which is loading {path.name} "
                        f"(at most {wait:g} s)",
                        file=sys.stderr,
                        flush=True,
                    )
                    told = True
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"{path.name} is being loaded by {_holder(fh)}; gave up after "
                        f"{wait:g} s. Try again later, or raise --lock-timeout"
                    ) from None
                time.sleep(_LOCK_POLL)
        try:
            since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()} {since}\n".encode())
            fh.flush()
            yield
        finally:
            with contextlib.suppress(OSError):
                fh.truncate(0)
            fcntl.flock(fh, fcntl.LOCK_UN)


def _staging_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.loading-{os.getpid()}")


def _remove_stale_staging(path: Path) -> None:
    """Delete the copies (and their logs) of loads whose process is gone.

    Callers hold the write lock, so no other load of this store is staging; a pid that
    still runs is left alone all the same.
    """
    for stale in path.parent.glob(f".{path.name}.loading-*"):
        pid = stale.name.removesuffix(".wal").rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@contextlib.contextmanager
def staged_copy(path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[bool]]]:
    """Yield a writable connection on a copy of the store and a one-item `commit` flag.

    When the block sets ``commit[0] = True`` and ends without an exception, the copy is
    checkpointed, closed, fsynced and atomically moved over the live file. Otherwise the
    copy is deleted and the live file is untouched. Callers hold `write_lock`.
    """
    _remove_stale_staging(path)
    staging = _staging_path(path)
    if path.exists():
        shutil.copyfile(path, staging)
        _copy_stale_wal(path, staging)
    commit = [False]
    con = connect(staging, read_only=False)  # opening replays a copied log into the copy
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
            _drop_stale_wal(path)  # its work is in the new file; it must not meet it
            _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(Exception):
            con.close()
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
        with contextlib.suppress(FileNotFoundError):
            staging.with_name(staging.name + ".wal").unlink()


def _copy_stale_wal(path: Path, staging: Path) -> None:
    """Carry a write-ahead log left beside the live file over to the copy.

    Loads never leave one (they write a copy), but another program that opened the store
    for writing and crashed may have. Opening the copy replays it there; the live file
    is never opened for writing, so readers never meet a write lock (issue 10: 1 of 54
    concurrent reads failed when the log was folded into the live file). After the swap
    the old log is removed: its work is in the new file.
    """
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, staging.with_name(staging.name + ".wal"))


def _drop_stale_wal(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.with_name(path.name + ".wal").unlink()


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

"""The per-case fact table (`case_facts`) every outcome figure reads, and where it lives.

Joining cases to assessments and events on text case ids costs DuckDB about 0.5 s per
query at a million cases on two cores, over the 0.5 s budget. So the join is done once
per store version: `case_facts` (sql/case_facts.sql, one row per case, measures pivoted
per timepoint, first date of each event type, last contact) goes into a sidecar file next
to the store, `.<store name>.facts-<version>-<inode>-<size>-<mtime>`. A load replaces the
store file (new inode), so the next query builds a fresh sidecar; queries then scan one
table with no joins. A build takes seconds at a million cases (once per load) and a few
milliseconds for a clinic-sized store.

When the sidecar cannot be written (read-only folder) or a caller passes its own
connection, `case_facts` is built as a temporary table in that connection instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from analytics import sql_files
from pipelines import store
from pipelines import vocabulary as vocab

TABLE = "case_facts"
# Text columns stored as DuckDB ENUMs in the sidecar: grouping on a one-byte code is about
# five times faster than on text at a million cases. Each type lists the values present.
ENUM_COLUMNS: tuple[str, ...] = (
    "cause", "pathway", "treatment", "index_surgery", "sex", "clinic", "physician",
)  # fmt: skip


def value_column(measure: str, timepoint: str) -> str:
    """Name of the fact column holding `measure` at `timepoint` (e.g. odi__12m)."""
    assert measure in vocab.MEASURES
    assert timepoint in vocab.TIMEPOINTS
    return f"{measure}__{timepoint}"


def has_column(timepoint: str) -> str:
    """Name of the fact column saying an assessment row exists at `timepoint`."""
    assert timepoint in vocab.FOLLOWUP_TIMEPOINTS
    return f"has__{timepoint}"


def date_column(timepoint: str) -> str:
    """Name of the fact column holding the assessment date at `timepoint` (as-of snapshots)."""
    assert timepoint in vocab.TIMEPOINTS
    return f"date__{timepoint}"


def event_column(event: str) -> str:
    """Name of the fact column holding the date of the first `event`."""
    assert event in vocab.EVENTS
    return f"first__{event}"


def build_sql(source: str) -> str:
    """sql/case_facts.sql with the vocabulary's pivot columns filled in."""
    q, lit = sql_files.quote, sql_files.literal
    measures = ",\n        ".join(
        f"max({q(m)}) filter (where timepoint = {lit(tp)}) as {q(value_column(m, tp))}"
        for m in vocab.MEASURES
        for tp in vocab.TIMEPOINTS
    )
    has = ",\n        ".join(
        f"bool_or(timepoint = {lit(tp)}) as {q(has_column(tp))}" for tp in vocab.FOLLOWUP_TIMEPOINTS
    )
    dates = ",\n        ".join(
        f"max(assessment_date) filter (where timepoint = {lit(tp)}) as {q(date_column(tp))}"
        for tp in vocab.TIMEPOINTS
    )
    events = ",\n        ".join(
        f"min(event_date) filter (where event = {lit(e)}) as {q(event_column(e))}"
        for e in vocab.EVENTS
    )
    return sql_files.fill(
        sql_files.text("case_facts"),
        {
            "measure_columns": measures,
            "has_columns": has,
            "date_columns": dates,
            "event_columns": events,
            "source": source,
        },
    )


@functools.cache
def version() -> str:
    """Changes whenever the fact table's definition (SQL, vocabulary, ENUMs) changes."""
    definition = build_sql("src") + repr(ENUM_COLUMNS)
    return hashlib.sha256(definition.encode()).hexdigest()[:12]


def sidecar_path(store_path: Path) -> Path:
    """Where the facts of this exact store file (inode, size, mtime) are kept."""
    st = store_path.stat()
    tag = f"{version()}-{st.st_ino}-{st.st_size}-{st.st_mtime_ns}"
    return store_path.with_name(f".{store_path.name}.facts-{tag}")


def _sidecar_prefix(store_path: Path) -> str:
    return f".{store_path.name}.facts-"


def ensure_sidecar(store_path: Path) -> Path | None:
    """The sidecar for the current store file, built if missing; None if it cannot be."""
    target = sidecar_path(store_path)
    if target.exists():
        return target
    lock_path = store_path.with_name(f".{store_path.name}.facts.lock")
    try:
        lock = open(lock_path, "a+b")  # noqa: SIM115 - held for the whole build
    except OSError:
        return None
    with lock:
        # One builder at a time; whoever waited finds the file already built.
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if target.exists():
                return target
            return _build_sidecar(store_path, target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build_sidecar(store_path: Path, target: Path) -> Path | None:
    staging = target.with_name(f"{target.name}.building-{os.getpid()}")
    try:
        con = store.connect(staging, read_only=False)
    except (duckdb.Error, OSError):
        return None
    try:
        con.execute("set enable_progress_bar = false")
        # Read the store through a read_only attachment, like any other reader.
        con.execute("attach $path as src (read_only)", {"path": str(store_path)})
        con.execute(f"create table {TABLE} as {build_sql('src')}")
        con.execute("detach src")
        _as_enums(con)
        con.execute("checkpoint")
        con.close()
        # A load that replaced the store meanwhile gave it a new name: the facts built
        # here stay under the old name, which nobody asks for any more.
        os.replace(staging, target)
    finally:
        with contextlib.suppress(Exception):
            con.close()
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    # Only the builder of the current version tidies up, so that a slow build of an
    # older version never deletes the newer sidecar.
    with contextlib.suppress(OSError):
        if sidecar_path(store_path) == target:
            _remove_stale(store_path, keep=target)
    return target


def _as_enums(con: duckdb.DuckDBPyConnection) -> None:
    """Turn the text group columns of the fact table into ENUMs of their own values."""
    q = sql_files.quote
    for column in ENUM_COLUMNS:
        kind = q(f"{column}_values")
        con.execute(
            f"create type {kind} as enum ("
            f"select distinct {q(column)} from {TABLE} where {q(column)} is not null "
            f"order by 1)"
        )
        con.execute(f"alter table {TABLE} alter {q(column)} set data type {kind}")


def _remove_stale(store_path: Path, *, keep: Path) -> None:
    """Delete older sidecars of this store, and builds left by processes that died."""
    prefix = re.escape(_sidecar_prefix(store_path))
    sidecar = re.compile(prefix + r"[0-9a-f]+-\d+-\d+-\d+$")
    building = re.compile(prefix + r"[0-9a-f]+-\d+-\d+-\d+\.building-(\d+)(\.wal)?$")
    for path in store_path.parent.glob(_sidecar_prefix(store_path) + "*"):
        stale = path != keep and sidecar.match(path.name) is not None
        orphan = building.match(path.name)
        if orphan is not None and not _alive(int(orphan[1])):
            stale = True
        if stale:
            # Unlinking is safe even if another process still reads it (POSIX).
            with contextlib.suppress(OSError):
                path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_temporary(con: duckdb.DuckDBPyConnection) -> None:
    """Make `case_facts` available in this connection (a temp table unless present)."""
    try:
        con.execute(f"select * from {TABLE} limit 0")
        return
    except duckdb.CatalogException:
        pass
    database = con.execute("select current_database()").fetchone()
    source = sql_files.quote(database[0] if database else "memory") + ".main"
    con.execute(f"create temp table {TABLE} as {build_sql(source)}")


# Read-only connections on sidecars, kept open between calls: a sidecar never changes
# once written and nobody writes to it, so holding it blocks no load (unlike the store
# itself), and it saves ~30 ms per query plus a cold cache. Each call gets a cursor.
_SHARED: dict[Path, duckdb.DuckDBPyConnection] = {}
_SHARED_LOCK = threading.Lock()


def _shared_cursor(sidecar: Path, store_path: Path) -> duckdb.DuckDBPyConnection:
    with _SHARED_LOCK:
        con = _SHARED.get(sidecar)
        if con is None:
            # an older version of the same store is no longer asked for: let it go
            prefix = _sidecar_prefix(store_path)
            for old in [p for p in _SHARED if p.parent == sidecar.parent]:
                if old.name.startswith(prefix):
                    with contextlib.suppress(Exception):
                        _SHARED.pop(old).close()
            con = store.connect(sidecar, read_only=True)
            con.execute("set enable_progress_bar = false")  # never draw on a terminal
            _SHARED[sidecar] = con
        return con.cursor()


def close_shared() -> None:
    """Close every kept sidecar connection (tests, or before deleting the files)."""
    with _SHARED_LOCK:
        while _SHARED:
            with contextlib.suppress(Exception):
                _SHARED.popitem()[1].close()


def _connect_sidecar(store_path: Path) -> duckdb.DuckDBPyConnection | None:
    """A cursor on the current sidecar, or None if no sidecar can be written."""
    for _ in range(2):
        sidecar = ensure_sidecar(store_path)
        if sidecar is None:
            return None
        try:
            return _shared_cursor(sidecar, store_path)
        except duckdb.IOException:
            # Another process cleaned it up after a newer load: look again.
            if sidecar.exists():
                raise
    return None


@contextlib.contextmanager
def open_facts(store_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection (cursor) in which `case_facts` can be queried, closed after use."""
    con = _connect_sidecar(store_path)
    if con is None:  # cannot write next to the store: build the facts for this connection
        con = store.connect(store_path, read_only=True)
        try:
            con.execute("set enable_progress_bar = false")  # never draw on a terminal
            ensure_temporary(con)
        except BaseException:
            con.close()
            raise
    try:
        yield con
    finally:
        con.close()

"""Where the read side finds the per-case facts (`case_facts`).

The load builds them inside the store file (see pipelines/facts.py), so a query takes a
cursor on the read_only connection analytics.readers keeps per store file version and
scans `case_facts` there: the first query after a load costs what any other does. Loads
write a copy and swap it in, so they are never blocked; a swapped file gets a new
connection, so nobody reads a replaced file.

A store written by an older fbss has no facts, or facts of an older definition. A reader
may not write the live file, so it builds them as a temp table in its own cursor
(correct answers, seconds slower per query at a million cases) and logs once per store
file that `fbss migrate` (or the next `fbss load`) rebuilds them in the file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from analytics import readers
from pipelines import facts as _facts

# The fact table's names, defined beside the SQL that makes them (pipelines/facts.py).
TABLE = _facts.TABLE
ENUM_COLUMNS = _facts.ENUM_COLUMNS
value_column = _facts.value_column
has_column = _facts.has_column
event_column = _facts.event_column
date_column = _facts.date_column
build_sql = _facts.build_sql
version = _facts.version

log = logging.getLogger(__name__)

OUTDATED = (
    "the store at {path} was written by an older version of fbss: its per-case facts are "
    "{state}, so every query rebuilds them in memory (slower). Run `fbss migrate --db {path}` "
    "(or load a batch) to rebuild them in the store."
)
_warned: set[tuple[str, int, int]] = set()
_warned_lock = threading.Lock()


def _has_temporary(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "select count(*) from duckdb_tables() where temporary and table_name = $t", {"t": TABLE}
    ).fetchone()
    return bool(row and row[0])


def ensure(con: duckdb.DuckDBPyConnection, path: object = "this connection") -> None:
    """Make current `case_facts` queryable in this connection.

    The store's own table when its version is current; otherwise a temp table built in
    this connection (reused by later calls on the same connection), with a message.
    """
    if _has_temporary(con):
        return
    stored = _facts.stored_version(con)
    if stored == _facts.version():
        return
    database = con.execute("select current_database()").fetchone()
    source = _facts.quote(database[0] if database else "memory") + ".main"
    _facts.build_temporary(con, source)  # a file without case tables fails here, unwarned
    _warn_outdated(path, "missing" if stored is None else "of an older definition")


# Kept for callers of the old name (a caller's own connection gets temporary facts).
ensure_temporary = ensure


def _warn_outdated(path: object, state: str) -> None:
    key: tuple[str, int, int] = (str(path), 0, 0)
    if isinstance(path, Path):
        with contextlib.suppress(OSError):
            st = path.stat()
            key = (str(path), st.st_ino, st.st_mtime_ns)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    if isinstance(path, Path):
        log.warning(OUTDATED.format(path=path, state=state))


# Store files (path, inode, size, mtime) whose stored facts are this code's version: a
# new connection to one of them needs no check (issue 7: the check's two catalog
# queries cost 10-30 ms of every query). A load replaces the file, so it gets a new key.
_current_files: set[tuple[str, int, int, int]] = set()


def _file_key(path: Path) -> tuple[str, int, int, int] | None:
    return readers.file_key(path)


@contextlib.contextmanager
def open_facts(store_path: str | os.PathLike[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read_only cursor on the store in which `case_facts` is current.

    The cursor is on the connection analytics.readers shares per store file version
    (closed when the file changes or after a few idle seconds), so a page's queries
    open the file once.
    """
    path = Path(store_path)
    with readers.shared.cursor(path) as (con, key):
        con.execute("set enable_progress_bar = false")  # never draw on a terminal
        # key: the file version the connection reads (None: changed while opening)
        if not (key is not None and key in _current_files):
            # a new cursor has no temporary facts: only the stored version matters
            if key is not None and _facts.stored_version(con) == _facts.version():
                _current_files.add(key)
            else:
                ensure(con, path)
        yield con

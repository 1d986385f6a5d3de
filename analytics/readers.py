"""Read-only connections on a store file, shared by the queries of a page run (issue 7).

Opening a DuckDB file costs 25-30 ms of CPU (DuckDB reads the store's catalog), and a
dashboard page ran 10-30 queries, each on a connection of its own. Here one read-only
connection per *file version* (path, inode, size, mtime_ns) is kept open and every query
gets its own cursor on it (a DuckDB connection must not be used by two threads at once;
cursors of one connection may run in parallel). The rules that keep it safe:

- **A reader never serves an old file.** Each use first takes the file's identity; a
  new identity (a load's `os.replace`, or any write, which moves mtime) retires the old
  connection, which closes once its last query is done, and opens the new file. If the
  file changes while it is being opened, that connection serves this one query only.
- **The file is ATTACHed in a private in-memory database**, not opened with
  `duckdb.connect(path)`: DuckDB keeps one database per path for the whole process and
  hands it to every later `connect()` of that path while any connection on it is open,
  so a connection held across a swap would make other readers (pipelines.settings,
  pipelines.windows, ...) see the replaced file. An attached file is this cache's alone.
- **Loads are never blocked**: they write a copy and swap it in (pipelines/store.py).
  A program opening the store *for writing* (in this process too: DuckDB refuses it
  while the file is attached) is blocked while a reader is open. So by default a
  connection closes as soon as its last concurrent query ends (queries running together
  still share it): right for the CLI, reports, tests and scripts, which may write the
  store next. The dashboard server calls `keep_open()`: an unused connection then stays
  open IDLE_SECONDS (3 s; $FBSS_READER_IDLE_SECONDS overrides) and a background thread
  closes it. 3 s because a page run's queries follow one another within 0.1-2 s and a
  user's next filter change often comes within a few seconds, so both reuse it, and a
  writer waits at most that long after the last page.
- **An unused connection holds its catalog, not the store's blocks**: when its last
  query ends, the blocks DuckDB cached while reading are given back (the server's
  memory must not grow with the store while it waits).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import store

FileKey = tuple[str, int, int, int]
# The catalog name of the attached store in a shared connection.
CATALOG = "store"
IDLE_SECONDS = 3.0


def file_key(path: Path) -> FileKey | None:
    """The identity of the file at `path` now (None when there is none)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_ino, st.st_size, st.st_mtime_ns)


def _idle_from_env() -> float:
    raw = os.environ.get("FBSS_READER_IDLE_SECONDS", "")
    try:
        return max(0.0, float(raw)) if raw.strip() else IDLE_SECONDS
    except ValueError:
        return IDLE_SECONDS


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    con = store.connect(":memory:", read_only=False)  # private: never in DuckDB's path cache
    try:
        con.execute(f"attach $path as {CATALOG} (read_only)", {"path": str(path)})
        con.execute(f"use {CATALOG}")
    except BaseException:
        con.close()
        raise
    return con


def _drop_cached_blocks(con: duckdb.DuckDBPyConnection) -> bool:
    """Give back the store blocks DuckDB keeps cached once read; keep the catalog.

    An unused connection kept open would otherwise hold every block its queries read
    (at a million cases up to the whole 235 MB file: the dashboard's peak rose from
    ~700 to 874 MiB). A memory limit of 0 makes DuckDB evict every unpinned block (7 ms;
    nothing is pinned with no query running), and `reset` restores its default. Best
    effort: DuckDB refuses the limit when something it cannot evict is left.

    False when the default could not be restored: `reset` itself sometimes fails with
    DuckDB's out-of-memory error under the limit of 0 (seen with two or more threads
    querying, a few times in thousands of drops: review of 2026-12-02). The caller then
    closes the connection rather than hand out one whose queries would all fail.
    """
    # Refused when something not evictable is left (e.g. a temp table's pages): the rest
    # was evicted all the same.
    with contextlib.suppress(duckdb.OutOfMemoryException):
        con.execute("set memory_limit = '0MB'")
    for _ in range(3):
        try:
            con.execute("reset memory_limit")
            return True
        except duckdb.Error:
            continue
    return False


def _cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    cur = con.cursor()  # a cursor starts in the in-memory catalog: point it at the store
    cur.execute(f"use {CATALOG}")
    return cur


@dataclass(eq=False)
class _Entry:
    key: FileKey
    con: duckdb.DuckDBPyConnection
    last_used: float
    users: int = 0
    retired: bool = False  # no new users: the file changed, or it is being closed
    closed: bool = field(default=False)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.con.close()


class SharedReaders:
    """One read-only connection per store file version, handed out as cursors."""

    def __init__(
        self,
        idle_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        sweep: bool = True,
    ) -> None:
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._sweep = sweep
        self._cond = threading.Condition()
        self._entries: dict[str, _Entry] = {}  # the current version of each path
        self._sweeper: threading.Thread | None = None
        self.opened = 0  # connections opened so far (a count for tests and benchmarks)

    @contextlib.contextmanager
    def cursor(self, path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, FileKey | None]]:
        """A cursor on the file at `path`, and the file version it reads (None: one-off).

        The version is None when the file changed while it was being opened: that
        connection is used for this query only and closed after it.
        """
        key = file_key(path)
        entry = self._take(path, key) if key is not None else None
        if entry is None:
            with self._one_off(path, key) as pair:
                yield pair
            return
        try:
            with self._cond:
                cur = _cursor(entry.con)
        except BaseException:
            self._give_back(entry)
            raise
        try:
            yield cur, entry.key
        finally:
            with self._cond:
                cur.close()
            self._give_back(entry)

    @contextlib.contextmanager
    def _one_off(
        self, path: Path, key: FileKey | None
    ) -> Iterator[tuple[duckdb.DuckDBPyConnection, FileKey | None]]:
        con = _open(path)
        self.opened += 1
        same = key is not None and file_key(path) == key
        try:
            yield con, key if same else None
        finally:
            con.close()

    def _take(self, path: Path, key: FileKey) -> _Entry | None:
        with self._cond:
            entry = self._entries.get(str(path))
            if entry is not None and entry.key == key:
                entry.users += 1
                return entry
            if entry is not None:
                self._retire(entry)
            # Opened under the lock: the threads of a page run starting together wait
            # for one open (25-30 ms) instead of each opening the file.
            con = _open(path)
            self.opened += 1
            if file_key(path) != key:  # changed while opening: not this version's
                con.close()
                return None
            entry = _Entry(key=key, con=con, last_used=self._clock(), users=1)
            self._entries[str(path)] = entry
            self._start_sweeper()
            return entry

    def _retire(self, entry: _Entry) -> None:
        """No new users for `entry`; closed now if unused, else by its last user."""
        entry.retired = True
        if self._entries.get(entry.key[0]) is entry:
            del self._entries[entry.key[0]]
        if entry.users == 0:
            entry.close()

    def _give_back(self, entry: _Entry) -> None:
        with self._cond:
            entry.users -= 1
            entry.last_used = self._clock()
            if entry.users == 0 and (entry.retired or self.idle_seconds <= 0):
                self._retire(entry)
            elif entry.users == 0 and not _drop_cached_blocks(entry.con):
                self._retire(entry)  # its limit is stuck at 0: the next query opens anew
            self._cond.notify_all()

    def close_idle(self) -> int:
        """Close every connection unused for idle_seconds; how many were closed."""
        with self._cond:
            now = self._clock()
            idle = [
                e
                for e in self._entries.values()
                if e.users == 0 and now - e.last_used >= self.idle_seconds
            ]
            for entry in idle:
                self._retire(entry)
            return len(idle)

    def close_all(self) -> None:
        """Close every unused connection now; one in use closes when its query ends."""
        with self._cond:
            for entry in list(self._entries.values()):
                self._retire(entry)

    def open_versions(self) -> list[FileKey]:
        """The file versions with a connection held open (current ones only)."""
        with self._cond:
            return [e.key for e in self._entries.values()]

    def keep_open(self, idle_seconds: float | None = None) -> None:
        """Keep unused connections open `idle_seconds` (default: $FBSS_READER_IDLE_SECONDS or 3)."""
        with self._cond:
            self.idle_seconds = _idle_from_env() if idle_seconds is None else idle_seconds
            if self._entries:
                self._start_sweeper()
            self._cond.notify_all()

    def _start_sweeper(self) -> None:
        if self._sweep and self.idle_seconds > 0 and self._sweeper is None:
            self._sweeper = threading.Thread(
                target=self._sweep_forever, name="fbss-reader-sweeper", daemon=True
            )
            self._sweeper.start()

    def _sweep_forever(self) -> None:
        """Close connections as they pass their idle time (a daemon thread)."""
        while True:
            with self._cond:
                unused = [e.last_used for e in self._entries.values() if e.users == 0]
                if not unused:
                    self._cond.wait()  # woken when a query ends
                    continue
                due = min(unused) + self.idle_seconds - self._clock()
                if due > 0:
                    self._cond.wait(timeout=due)
                    continue
            self.close_idle()


# The process's shared readers; the dashboard server calls `shared.keep_open()`.
shared = SharedReaders()
keep_open = shared.keep_open

"""`fbss migrate`: bring a store written by an older fbss up to this version.

Today that means (re)building the per-case facts in the store file (pipelines/facts.py),
the same staged way a load writes: a copy is changed, then swapped in atomically, under
the load lock, so readers are never blocked and a crash leaves the store as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import facts, store


def migrate(db_path: Path) -> bool:
    """Rebuild what this version needs in the store; False when it was already current."""
    with store.reader(db_path) as con:
        if facts.is_current(con):  # no copy of a large file for nothing
            return False
    with store.write_lock(db_path), store.staged_copy(db_path) as (con, commit):
        if facts.is_current(con):
            return False
        facts.build(con)
        commit[0] = True
    return True


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "migrate",
        help="bring a store written by an older version of fbss up to date",
        description="Rebuild the store's per-case facts when it was written by an older "
        "version of fbss (queries still work without, only slower). Safe to run at any "
        "time: readers are not blocked, and nothing changes when the store is current.",
    )
    p.add_argument("--db", help="the store (default: $FBSS_DB, else data/fbss.duckdb)")
    p.set_defaults(func=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    db_path = store.db_path_from(args.db)
    if not db_path.is_file():
        print(f"fbss: no store at {db_path}: nothing to migrate", file=sys.stderr)
        return 1
    if migrate(db_path):
        print(f"{db_path}: per-case facts rebuilt for this version of fbss")
    else:
        print(f"{db_path}: already up to date, nothing changed")
    return 0

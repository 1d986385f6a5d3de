"""The app's reads of the store: the analytics API behind `st.cache_data`.

The cache key holds the store file's identity (path, inode, size, mtime), so a load,
which replaces the file, makes every figure recompute on the next rerun; nothing holds the
store open between queries (the analytics layer opens a short-lived read_only
connection per query). Only this module and the UI modules import streamlit.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

import analytics
from analytics import quality
from pipelines import store

# Results kept per function and arguments; old store versions age out.
_CACHE = {"max_entries": 512, "ttl": 6 * 3600, "show_spinner": False}


@dataclass(frozen=True)
class StoreFile:
    """One version of the store file: a new load gives a new inode, size or mtime."""

    path: str
    inode: int
    size: int
    mtime_ns: int


def configured_db(argv: Sequence[str] | None = None) -> Path:
    """The store path: `--db` after streamlit's `--`, else $FBSS_DB, else data/fbss.duckdb."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    known, _ = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    return store.db_path_from(known.db).expanduser().resolve()


def store_file(path: Path) -> StoreFile | None:
    """The store's current version, or None when there is no store file."""
    try:
        st_ = os.stat(path)
    except OSError:
        return None
    return StoreFile(str(path), st_.st_ino, st_.st_size, st_.st_mtime_ns)


@st.cache_data(**_CACHE)  # type: ignore[call-overload]
def _call(name: str, version: StoreFile, kwargs: tuple[tuple[str, Any], ...]) -> Any:
    return getattr(analytics, name)(version.path, **dict(kwargs))


def call(name: str, version: StoreFile, **kwargs: Any) -> Any:
    """analytics.<name>(store, **kwargs), cached per store version and arguments."""
    return _call(name, version, tuple(sorted(kwargs.items())))


@st.cache_data(**_CACHE)  # type: ignore[call-overload]
def _last_rejection(version: StoreFile) -> pd.DataFrame:
    return quality.last_rejection(version.path)


def last_rejection(version: StoreFile) -> pd.DataFrame:
    """The most recent rejected batch's report (analytics.quality), cached."""
    return _last_rejection(version)


def count_cases(version: StoreFile, filters: analytics.Filters) -> int:
    """Exact number of cases in view (used to choose an empty state, never shown if small)."""
    by_year = call("cases_by_period", version, by=(), period="year", min_cell=0, filters=filters)
    return int(pd.to_numeric(by_year["n_cases"]).fillna(0).sum())


# DuckDB releases the GIL while it scans, so a page's queries overlap with each other's
# pandas and lifelines work: a page's figures arrive in about the time of the slowest.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fbss-query")


def fetch(
    version: StoreFile, requests: Mapping[str, tuple[str, Mapping[str, Any]]]
) -> dict[str, Any]:
    """Several cached analytics calls at once: {key: (function name, kwargs)} -> {key: result}."""
    ctx = get_script_run_ctx()

    def run(name: str, kwargs: Mapping[str, Any]) -> Any:
        if ctx is not None:
            add_script_run_ctx(threading.current_thread(), ctx)
        return call(name, version, **kwargs)

    futures = {key: _POOL.submit(run, name, kwargs) for key, (name, kwargs) in requests.items()}
    return {key: future.result() for key, future in futures.items()}


def numbers_at_risk(curve: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """Numbers at risk under a Kaplan–Meier chart (analytics.numbers_at_risk, not cached)."""
    return analytics.numbers_at_risk(curve, by=(group,) if group else ())

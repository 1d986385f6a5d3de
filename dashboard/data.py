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
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from access.scope import Scope
from analytics import events, lost_to_followup, outcomes, overview, quality, trajectories, windows
from analytics import worklist as worklist_module
from analytics.adjust import pathways as adjust_pathways
from analytics.adjust import providers as adjust_providers
from analytics.adjust import similar as adjust_similar
from analytics.filters import Filters
from analytics.published import (
    PUBLISHED_BASE,
    published_compare,
    published_providers,
    rounded_headline,
)
from analytics.suppression import round_counts
from pipelines import store

PUBLISHED_ROUNDING = PUBLISHED_BASE  # OpenSAFELY's base, issue 10

P = ParamSpec("P")
R = TypeVar("R")


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


# Every analytics function the pages use, by a key of module and name. One cached
# function runs them all: `st.cache_data` keys a cache by the decorated function's code,
# so one decorated closure per analytics function would share (and mix up) one cache.
_REGISTRY: dict[str, Callable[..., Any]] = {}


@st.cache_data(max_entries=512, ttl=6 * 3600, show_spinner=False)
def _run(
    key: str, version: StoreFile, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
) -> Any:
    result = _REGISTRY[key](version.path, *args, **dict(kwargs))
    return _published(result, dict(kwargs), key)


def _published(result: Any, kwargs: dict[str, Any], key: str = "") -> Any:
    """Counts rounded to 5 (rates from the rounded counts) for every role but admin.

    Exact internal counts (min_cell=0, as count_cases asks for) stay exact: they only
    choose an empty state and are never shown.
    """
    filters = kwargs.get("filters")
    scope = getattr(filters, "scope", None)
    if scope is None or scope.is_everything or kwargs.get("min_cell") == 0:
        return result
    # the adjusted figures name their counts differently (n, n_analysed): their own rules
    if key == f"{adjust_providers.__name__}.providers" and isinstance(result, pd.DataFrame):
        return published_providers(result, PUBLISHED_ROUNDING)
    if key == f"{adjust_pathways.__name__}.compare" and isinstance(result, dict):
        return published_compare(result, PUBLISHED_ROUNDING)
    if isinstance(result, pd.DataFrame):
        return round_counts(result, PUBLISHED_ROUNDING)
    if isinstance(result, overview.Headline):
        return rounded_headline(result, PUBLISHED_ROUNDING)
    return result


def _cached(fn: Callable[Concatenate[str, P], R]) -> Callable[Concatenate[StoreFile, P], R]:
    """`fn(store path, ...)` as `fn(store version, ...)`, cached per version and arguments,
    with `fn`'s own signature so mypy checks every page's call."""
    key = f"{fn.__module__}.{fn.__qualname__}"
    _REGISTRY[key] = fn

    def call(version: StoreFile, /, *args: P.args, **kwargs: P.kwargs) -> R:
        result: R = _run(key, version, args, tuple(sorted(kwargs.items())))
        return result

    call.__doc__ = f"{key}, cached per store version (see its own docstring)."
    return call


# The typed seam between pages and analytics: one cached function per figure.
summary = _cached(outcomes.summary)
followup_completion = _cached(outcomes.followup_completion)
trajectory = _cached(trajectories.trajectory)
change_distribution = _cached(outcomes.change_distribution)
funnel = _cached(outcomes.funnel)
events_summary = _cached(events.events_summary)
km_curves = _cached(events.km_curves)
headline = _cached(overview.headline)
cases_by_period = _cached(overview.cases_by_period)
completeness = _cached(overview.completeness)
filter_options = _cached(overview.filter_options)
load_history = _cached(overview.load_history)
last_rejection = _cached(quality.last_rejection)
# The Overview's worklist: its first rows and counts are cached, never the whole list,
# which is case-level (tens of thousands of rows per filter at a million cases).
worklist_head = _cached(worklist_module.worklist_head)
capture_rules = _cached(events.capture_rules)
dropout = _cached(lost_to_followup.dropout)
out_of_window = _cached(windows.out_of_window)
# Case-mix adjusted figures (issue 9): each fit is cached per store version and filters.
compare_adjusted = _cached(adjust_pathways.compare)
providers_adjusted = _cached(adjust_providers.providers)
similar_patients = _cached(adjust_similar.similar)


def worklist(
    version: StoreFile,
    *,
    clinics: Sequence[str] = (),
    physicians: Sequence[str] = (),
    scope: Scope | None = None,
) -> pd.DataFrame:
    """The whole worklist (analytics.worklist), not cached: made for its CSV download only,
    when clicked, so the server's memory does not grow with the cases per filter."""
    return worklist_module.worklist(
        version.path, clinics=clinics, physicians=physicians, scope=scope
    )


def count_cases(version: StoreFile, filters: Filters) -> int:
    """Exact number of cases in view (used to choose an empty state, never shown if small)."""
    by_year = cases_by_period(version, by=(), period="year", min_cell=0, filters=filters)
    return int(pd.to_numeric(by_year["n_cases"]).fillna(0).sum())


# DuckDB releases the GIL while it scans, so a page's queries overlap with each other's
# pandas and lifelines work: a page's figures arrive in about the time of the slowest.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fbss-query")


def submit(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
    """Start `fn(*args, **kwargs)` (a cached figure above) on the query pool; the page
    submits all its figures first, then reads each `.result()`, fully typed."""
    ctx = get_script_run_ctx()

    def run() -> R:
        if ctx is not None:  # lets the worker thread use this session's cache and widgets
            add_script_run_ctx(threading.current_thread(), ctx)
        return fn(*args, **kwargs)

    return _POOL.submit(run)


def numbers_at_risk(curve: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """Numbers at risk under a Kaplan–Meier chart (analytics.numbers_at_risk, not cached)."""
    return events.numbers_at_risk(curve, by=(group,) if group else ())

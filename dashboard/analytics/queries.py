"""Running the SQL in sql/*.sql: connections, whitelisted fragments and bound parameters.

Values only ever reach DuckDB as bound parameters (`$name`). The few identifiers a query
needs (group columns, a measure column) are substituted into `{{marker}}`s, and only from
the vocabulary or `definitions.GROUP_COLUMNS`, never from user text.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.analytics.definitions import (
    AGE_BANDS,
    GROUP_COLUMNS,
    SEVERITY_BANDS,
    SEVERITY_MISSING,
    AnalyticsError,
)
from dashboard.analytics.filters import Filters
from pipelines import store
from pipelines import vocabulary as vocab

Db = str | os.PathLike[str] | duckdb.DuckDBPyConnection

_MARKER = re.compile(r"\{\{(\w+)\}\}")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


class StoreMissingError(RuntimeError):
    """The store file is absent or holds no case tables yet."""


@contextlib.contextmanager
def connection(db: Db) -> Iterator[duckdb.DuckDBPyConnection]:
    """The given connection, or a short-lived read_only one on the store file."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        yield db
        return
    path = Path(db)
    if not path.is_file():
        raise StoreMissingError(
            f"no store at {path}: load case records first with `fbss load FILES --db {path}`"
        )
    try:
        con = store.connect(path, read_only=True)
    except duckdb.Error as exc:
        raise StoreMissingError(f"cannot open the store at {path}: {exc}") from exc
    try:
        yield con
    except duckdb.CatalogException as exc:
        raise StoreMissingError(
            f"the store at {path} has no case tables yet: load case records with `fbss load`"
        ) from exc
    finally:
        con.close()


@functools.cache
def sql_text(name: str) -> str:
    """The text of sql/<name>.sql."""
    return (
        resources.files("dashboard.analytics").joinpath(f"sql/{name}.sql").read_text("utf-8")
    )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    # Only for constants defined in code (band names), never for user input.
    return "'" + text.replace("'", "''") + "'"


def age_band_sql() -> str:
    """CASE expression turning c.age into the AGE_BANDS code."""
    arms = " ".join(f"when c.age <= {high} then {_literal(code)}" for code, _, high in AGE_BANDS)
    return f"(case {arms} end)"


def severity_sql() -> str:
    """CASE expression turning the baseline ODI (alias sev) into a severity band."""
    arms = " ".join(f"when sev.odi <= {high} then {_literal(code)}" for code, high in SEVERITY_BANDS)
    return f"(case when sev.odi is null then {_literal(SEVERITY_MISSING)} {arms} end)"


def cohort_sql(needs_severity: bool) -> str:
    """The cohort query with its constant fragments filled in."""
    fragments = {
        "age_band": age_band_sql(),
        "baseline_severity": severity_sql() if needs_severity else "null::varchar",
        "severity_join": (
            "left join assessments as sev "
            "on sev.case_id = c.case_id and sev.timepoint = 'baseline'"
            if needs_severity
            else ""
        ),
    }
    return _fill(sql_text("cohort"), fragments)


def _fill(text: str, fragments: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return fragments[match[1]]

    return _MARKER.sub(replace, text)


def render(
    name: str,
    *,
    filters: Filters,
    group_cols: Sequence[str] = (),
    measure: str | None = None,
) -> str:
    """sql/<name>.sql with the cohort, group columns and measure column filled in."""
    for col in group_cols:
        if col not in GROUP_COLUMNS:  # defence in depth: callers check first
            raise AnalyticsError(f"cannot group by {col!r}")
    if measure is not None and measure not in vocab.MEASURES:
        raise AnalyticsError(f"unknown measure {measure!r}")
    fragments = {
        "cohort": cohort_sql(filters.needs_baseline_odi or "baseline_severity" in group_cols),
        "group_cols": "".join(f"{_quote(c)}, " for c in group_cols),
        "measure": _quote(measure) if measure else "",
    }
    return _fill(sql_text(name), fragments)


def bind(sql: str, params: Mapping[str, object]) -> dict[str, object]:
    """The parameters the statement uses (DuckDB rejects extra ones)."""
    used = dict.fromkeys(_PARAM.findall(sql))
    missing = [p for p in used if p not in params]
    if missing:
        raise KeyError(f"query parameters not supplied: {', '.join(missing)}")
    return {p: params[p] for p in used}


def run(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]
) -> pd.DataFrame:
    """Execute a rendered statement with bound parameters and return a DataFrame."""
    return con.execute(sql, bind(sql, params)).df()


def query(
    db: Db,
    name: str,
    *,
    filters: Filters,
    params: Mapping[str, object],
    group_cols: Sequence[str] = (),
    measure: str | None = None,
) -> pd.DataFrame:
    """Render sql/<name>.sql, bind the filters and params, run it, return the frame."""
    sql = render(name, filters=filters, group_cols=group_cols, measure=measure)
    with connection(db) as con:
        return run(con, sql, {**filters.params(), **params})


def timepoint_params(codes: Sequence[str]) -> dict[str, object]:
    """Bound lists of timepoint codes and their nominal days, from the vocabulary."""
    return {
        "tp_codes": list(codes),
        "tp_days": [vocab.TIMEPOINTS[c].days for c in codes],
    }

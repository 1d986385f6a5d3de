"""Running the SQL in sql/*.sql against the per-case facts, with bound parameters.

Values only ever reach DuckDB as bound parameters (`$name`). The few identifiers a query
needs (group columns, fact columns of a measure, timepoint or event) are put into
`{{marker}}`s from the vocabulary and `definitions.GROUP_COLUMNS`, never from user text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from analytics import facts
from analytics.definitions import (
    AGE_BANDS,
    GROUP_COLUMNS,
    SEVERITY_BANDS,
    SEVERITY_MISSING,
    AnalyticsError,
)
from analytics.filters import Filters
from analytics.sql_files import fill, literal, quote, text
from pipelines import store
from pipelines import vocabulary as vocab

Db = str | os.PathLike[str] | duckdb.DuckDBPyConnection

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_COMMENT = re.compile(r"--[^\n]*")
# The tables whose physician column peer_name_sql renames (the only callers' arguments).
_PEER_TABLES = ("case_facts", "cases")


class StoreMissingError(RuntimeError):
    """The store file is absent or holds no case tables yet."""


def _store_path(db: str | os.PathLike[str]) -> Path:
    path = Path(db)
    if not path.is_file():
        raise StoreMissingError(
            f"no store at {path}: load case records first with `fbss load FILES --db {path}`"
        )
    return path


@contextlib.contextmanager
def _explain_missing_tables(path: object) -> Iterator[None]:
    try:
        yield
    except duckdb.CatalogException as exc:
        raise StoreMissingError(
            f"the store at {path} has no case tables yet: load case records with `fbss load`"
        ) from exc


@contextlib.contextmanager
def connection(db: Db, *, with_store: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in which `case_facts` can be queried (short-lived for a path).

    The store's own tables are reachable in it too, under raw_schema(con); `with_store`
    is kept for callers that say they need them.
    """
    del with_store  # the facts live in the store file: every connection sees both
    if isinstance(db, duckdb.DuckDBPyConnection):
        with _explain_missing_tables("this connection"):
            facts.ensure(db)
            yield db
        return
    path = _store_path(db)
    with _explain_missing_tables(path), facts.open_facts(path) as con:
        yield con


def raw_schema(con: duckdb.DuckDBPyConnection) -> str:
    """The quoted schema holding the store's cases, assessments and events."""
    current = con.execute("select current_database()").fetchone()
    return quote(str(current[0] if current else "memory")) + ".main"


@contextlib.contextmanager
def store_connection(db: Db) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection on the store's own tables (load log, raw records)."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        yield db
        return
    path = _store_path(db)
    with _explain_missing_tables(path), store.reader(path) as con:
        yield con


def age_band_sql() -> str:
    """CASE expression turning c.age into its AGE_BANDS code."""
    arms = " ".join(f"when c.age <= {high} then {literal(code)}" for code, _, high in AGE_BANDS)
    return f"(case {arms} end)"


def severity_sql() -> str:
    """CASE expression turning the baseline ODI into its severity band."""
    odi = "c." + quote(facts.value_column("odi", "baseline"))
    arms = " ".join(f"when {odi} <= {high} then {literal(code)}" for code, high in SEVERITY_BANDS)
    return f"(case when {odi} is null then {literal(SEVERITY_MISSING)} {arms} end)"


def snapshot_sql() -> str:
    """REPLACE list blanking every fact recorded after $as_of (values, dates, events)."""
    parts = []
    for tp in vocab.TIMEPOINTS:
        date = quote(facts.date_column(tp))
        known = f"{date} <= $as_of::date"
        for m in vocab.MEASURES:
            col = quote(facts.value_column(m, tp))
            parts.append(f"case when {known} then {col} end as {col}")
        parts.append(f"case when {known} then {date} end as {date}")
        if tp in vocab.FOLLOWUP_TIMEPOINTS:
            parts.append(f"coalesce({known}, false) as {quote(facts.has_column(tp))}")
    for e in vocab.EVENTS:
        col = quote(facts.event_column(e))
        parts.append(f"case when {col} <= $as_of::date then {col} end as {col}")
    return ",\n        ".join(parts)


def last_assessment_sql() -> str:
    """The latest assessment date on or before $as_of (greatest() skips nulls)."""
    dates = ", ".join(
        f"case when {quote(facts.date_column(tp))} <= $as_of::date "
        f"then {quote(facts.date_column(tp))} end"
        for tp in vocab.TIMEPOINTS
    )
    return f"greatest({dates})"


def peer_name_sql(table: str) -> str:
    """The physician as a physician-viewer may see it: their own name, others "Peer N".

    N numbers the other physicians of the whole store by a keyed hash of their name,
    SHA-256 of $s_peer_key (a deployment secret, access.peer_key, not in the store) and
    the name: stable from view to view for one key, neither alphabetical nor by size, and
    not something the staff list alone gives back. With $s_peers_of null (admins,
    managers) the name is unchanged.
    """
    if not re.fullmatch(r"[a-z_]+", table):  # defence in depth: callers pass a constant
        raise AnalyticsError(f"not a table name: {table!r}")
    return (
        f"coalesce((select 'Peer ' || p.n from (select q.physician, "
        f"row_number() over (order by sha256($s_peer_key::varchar || q.physician::varchar)) as n "
        f"from (select distinct physician from {table} "
        f"where physician::varchar <> $s_peers_of::varchar) as q) as p "
        f"where p.physician::varchar = {table}.physician::varchar), {table}.physician::varchar)"
    )


def for_viewer(sql: str, params: Mapping[str, object]) -> str:
    """`sql` without the peer renaming when nobody's peers are hidden ($s_peers_of null).

    The renaming then gives every name back unchanged (its subquery finds no row), but
    DuckDB still runs it: a distinct over the whole store and a join of every case, about
    a third of a filtered query's time at a million cases (issue 7). Admins and managers
    get the plain name, cast to text as the renaming returns it, so results are the same
    (tests/analytics/test_for_viewer.py compares both formulations).
    """
    if params.get("s_peers_of") is not None:
        return sql
    for table in _PEER_TABLES:
        sql = sql.replace(peer_name_sql(table), f"{table}.physician::varchar")
    return sql


def cohort_sql() -> str:
    """The cohort query (sql/cohort.sql) with its snapshot and band expressions filled in."""
    return fill(
        text("cohort"),
        {
            "age_band": age_band_sql(),
            "baseline_severity": severity_sql(),
            "snapshot": snapshot_sql(),
            "last_assessment": last_assessment_sql(),
            "peer_name": peer_name_sql("case_facts"),
        },
    )


def fact(column: str) -> str:
    """A fact column of the cohort row `c`, quoted."""
    return "c." + quote(column)


def value_at(measure: str, timepoints: Sequence[str]) -> str:
    """CASE picking `measure` at t.timepoint among the given timepoints."""
    arms = " ".join(
        f"when {literal(tp)} then {fact(facts.value_column(measure, tp))}" for tp in timepoints
    )
    return f"case t.timepoint {arms} end"


def has_at(timepoints: Sequence[str]) -> str:
    """Whether any assessment row exists at t.timepoint (false when none)."""
    arms = " ".join(f"when {literal(tp)} then {fact(facts.has_column(tp))}" for tp in timepoints)
    return f"coalesce(case t.timepoint {arms} end, false)"


def first_event_at(events: Sequence[str]) -> str:
    """CASE picking the first date of t.event among the given event types."""
    arms = " ".join(f"when {literal(e)} then {fact(facts.event_column(e))}" for e in events)
    return f"case t.event {arms} end"


def due_days(timepoint: str) -> int:
    """Days after treatment after which `timepoint` is due: its visit window's last day."""
    window = vocab.VISIT_WINDOWS.get(timepoint)
    return window.closes if window else vocab.TIMEPOINTS[timepoint].days


def timepoint_counts(measure: str, timepoints: Sequence[str]) -> str:
    """Aggregates n_due__<tp>, n_followup_returned__<tp> and n_assessed__<tp> of `measure`.

    Due: the visit window has closed by $as_of, or an assessment at it exists already.
    Returned: due with a follow-up value (baseline or not); assessed: both values.
    """
    baseline = fact(facts.value_column(measure, "baseline"))
    parts = []
    for tp in timepoints:
        has = fact(facts.has_column(tp))
        value = fact(facts.value_column(measure, tp))
        due = f"(c.treatment_date + {due_days(tp)} <= $as_of::date or coalesce({has}, false))"
        parts.append(f"count(*) filter (where {due}) as {quote('n_due__' + tp)}")
        parts.append(
            f"count(*) filter (where {due} and {value} is not null) "
            f"as {quote('n_followup_returned__' + tp)}"
        )
        parts.append(
            f"count(*) filter (where {baseline} is not null and {value} is not null) "
            f"as {quote('n_assessed__' + tp)}"
        )
    return ",\n        ".join(parts)


def render(
    name: str, *, group_cols: Sequence[str] = (), fragments: Mapping[str, str] | None = None
) -> str:
    """sql/<name>.sql with the cohort, group columns and other fragments filled in."""
    for col in group_cols:
        if col not in GROUP_COLUMNS:  # defence in depth: callers have checked already
            raise AnalyticsError(f"cannot group by {col!r}")
    return fill(
        text(name),
        {
            "cohort": cohort_sql(),
            "group_cols": "".join(f"{quote(c)}, " for c in group_cols),
            **(fragments or {}),
        },
    )


def bind(sql: str, params: Mapping[str, object]) -> dict[str, object]:
    """The parameters the statement uses (DuckDB rejects extra ones; a `$name` in a
    comment is not a use)."""
    used = dict.fromkeys(_PARAM.findall(_COMMENT.sub("", sql)))
    missing = [p for p in used if p not in params]
    if missing:
        raise KeyError(f"query parameters not supplied: {', '.join(missing)}")
    return {p: params[p] for p in used}


def run(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]) -> pd.DataFrame:
    """Execute a rendered statement with bound parameters and return a DataFrame."""
    sql = for_viewer(sql, params)
    frame = con.execute(sql, bind(sql, params)).df()
    # ENUM group columns of the facts arrive as pandas categoricals: hand back plain text.
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(object)
    return frame


def query(
    db: Db,
    name: str,
    *,
    filters: Filters,
    as_of: dt.date,
    params: Mapping[str, object],
    group_cols: Sequence[str] = (),
    fragments: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Render sql/<name>.sql, bind the filters, snapshot day and params, run it on the facts."""
    sql = render(name, group_cols=group_cols, fragments=fragments)
    with connection(db) as con:
        return run(con, sql, {**filters.params(), "as_of": as_of, **params})


def timepoint_params(codes: Sequence[str]) -> dict[str, object]:
    """Bound lists of timepoint codes, their nominal days and the day each falls due."""
    return {
        "tp_codes": list(codes),
        "tp_days": [vocab.TIMEPOINTS[c].days for c in codes],
        "tp_due_days": [due_days(c) for c in codes],
    }

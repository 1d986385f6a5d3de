"""Overview and data-quality figures: headline numbers, new cases per period, completeness.

Small queries live here as named constants; identifiers in `completeness` come from the
store's own catalog, never from user text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import pandas as pd

from access.scope import Scope
from analytics import frames, queries
from analytics.definitions import (
    DEFAULT_MIN_CELL,
    DEFAULT_RESPONDER,
    DEFAULT_TIMEPOINT,
    AnalyticsError,
    ResponderDefinition,
    check_group_columns,
    check_min_cell,
    parse_responder,
)
from analytics.events import events_summary
from analytics.filters import Filters
from analytics.outcomes import summary
from analytics.sql_files import quote
from analytics.suppression import apply_suppression
from pipelines import store

PERIODS: tuple[str, ...] = ("month", "quarter", "year")

# The sidebar's choices within the viewer's scope; a physician sees peers as "Peer N".
_OPTIONS_SQL = """
select
    list(distinct clinic order by clinic) as clinic,
    list(distinct physician order by physician) as physician,
    min(treatment_date) as first_treatment,
    max(treatment_date) as last_treatment,
    count(*) as n_cases
from (
    select clinic, {peer_name} as physician, treatment_date
    from cases
    where (len($s_clinics::varchar[]) = 0 or list_contains($s_clinics::varchar[], clinic))
        and ($s_physician::varchar is null or physician = $s_physician::varchar)
)
"""

_LOAD_LOG_SQL = """
select load_id, started_at, finished_at, outcome, mode, n_problems, files, counts,
    dropped_columns
from load_log
order by load_id desc
limit $limit
"""


@dataclass(frozen=True)
class Headline:
    """The overview page's headline figures; None where suppressed or undefined."""

    as_of: dt.date
    n_cases: int | None
    n_recent: int | None  # treated in the `recent_days` days up to as_of
    recent_days: int
    timepoint: str
    followup_due: int | None
    followup_returned: int | None  # the follow-up rate's numerator (baseline or not)
    followup_assessed: int | None  # with a baseline too (paired)
    followup_rate: float | None
    followup_ci: tuple[float, float] | None
    responder_label: str
    responder_measure: str
    responder_n: int | None  # n_assessed - n_excluded
    responders: int | None
    responder_rate: float | None
    responder_ci: tuple[float, float] | None
    reoperation_free_12m: float | None
    reoperation_free_12m_ci: tuple[float, float] | None


def _value(row: pd.Series, col: str) -> object:
    value = row[col]
    if pd.isna(value):
        return None
    return int(value) if col.startswith(("n_", "responders")) else float(value)


def _pair(row: pd.Series, low: str, high: str) -> tuple[float, float] | None:
    if pd.isna(row[low]) or pd.isna(row[high]):
        return None
    return (float(row[low]), float(row[high]))


def _recent(db: queries.Db, params: dict[str, object]) -> pd.DataFrame:
    with queries.connection(db) as con:
        return queries.run(con, queries.render("recent_cases"), params)


def headline(
    db: queries.Db,
    *,
    filters: Filters | None = None,
    responder: str | ResponderDefinition | None = DEFAULT_RESPONDER,
    timepoint: str = DEFAULT_TIMEPOINT,
    as_of: dt.date | str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    recent_days: int = 90,
) -> Headline:
    """Cases in view, recent treatments, follow-up, responder rate, reoperation-free at 12m.

    The responder figures use the definition's first criterion (its first measure).
    """
    filters = filters or Filters()
    day = frames.snapshot_day(as_of)
    min_cell = check_min_cell(min_cell)
    definition = parse_responder(responder)
    first = definition.criteria[0]
    parts: tuple[Callable[[queries.Db], pd.DataFrame], ...] = (
        lambda d: summary(
            d,
            timepoint=timepoint,
            responder=definition,
            min_cell=min_cell,
            as_of=day,
            filters=filters,
        ),
        lambda d: events_summary(
            d, events="reoperation", min_cell=min_cell, as_of=day, filters=filters
        ),
        lambda d: _recent(d, {**filters.params(), "as_of": day, "recent_days": recent_days}),
    )
    if isinstance(db, duckdb.DuckDBPyConnection):
        rows, ev, recent = (part(db) for part in parts)
    else:
        # Issue 7: the three queries side by side, each on its own cursor of the store's
        # shared connection (analytics/readers.py); one after the other they were the
        # Overview's slowest figure.
        with ThreadPoolExecutor(len(parts), thread_name_prefix="fbss-headline") as pool:
            rows, ev, recent = (f.result() for f in [pool.submit(p, db) for p in parts])
    row = rows[rows["measure"] == first.measure].iloc[0]
    reop = ev.iloc[0]
    n_recent = int(recent["n_recent"].iloc[0])
    if 0 < n_recent < min_cell:
        n_recent_shown: int | None = None
    else:
        n_recent_shown = n_recent
    return Headline(
        as_of=day,
        n_cases=_value(row, "n_cases"),  # type: ignore[arg-type]
        n_recent=n_recent_shown,
        recent_days=recent_days,
        timepoint=timepoint,
        followup_due=_value(row, "n_due"),  # type: ignore[arg-type]
        followup_returned=_value(row, "n_followup_returned"),  # type: ignore[arg-type]
        followup_assessed=_value(row, "n_assessed"),  # type: ignore[arg-type]
        followup_rate=_value(row, "followup_rate"),  # type: ignore[arg-type]
        followup_ci=_pair(row, "followup_ci_low", "followup_ci_high"),
        responder_label=definition.label,
        responder_measure=first.measure,
        responder_n=(
            None if pd.isna(row["n_assessed"]) else int(row["n_assessed"]) - int(row["n_excluded"])
        ),
        responders=_value(row, "responders"),  # type: ignore[arg-type]
        responder_rate=_value(row, "responder_rate"),  # type: ignore[arg-type]
        responder_ci=_pair(row, "responder_ci_low", "responder_ci_high"),
        reoperation_free_12m=_value(reop, "km_free_12m"),  # type: ignore[arg-type]
        reoperation_free_12m_ci=_pair(reop, "km_free_12m_ci_low", "km_free_12m_ci_high"),
    )


def cases_by_period(
    db: queries.Db,
    *,
    by: Sequence[str] | str | None = ("cause",),
    period: str = "quarter",
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """New cases per calendar period (by treatment date) and group.

    Columns: period_start (first day of the period), group columns, n_cases, suppressed.
    Periods and groups count as table dimensions for the secondary suppression step.
    """
    keys = check_group_columns(by)
    if period not in PERIODS:
        raise AnalyticsError(f"period must be one of {', '.join(PERIODS)}")
    min_cell = check_min_cell(min_cell)
    out = queries.query(
        db, "cases_by_period", filters=filters or Filters(), as_of=frames.snapshot_day(as_of),
        params={"period": period}, group_cols=keys,
    )  # fmt: skip
    out = frames.as_int(out, ("n_cases",))
    out = apply_suppression(
        out,
        keys=("period_start", *keys),
        denominator="n_cases",
        min_cell=min_cell,
        value_columns=("n_cases",),
    )
    return out[["period_start", *keys, "n_cases", "suppressed"]]


# The date that places a record in time, for the as-of snapshot of each record table.
_RECORD_DATES: dict[str, str] = {
    "cases": "treatment_date",
    "assessments": "assessment_date",
    "events": "event_date",
}


def completeness(
    db: queries.Db, *, as_of: dt.date | str | None = None, filters: Filters | None = None
) -> pd.DataFrame:
    """Share of rows with a value in each column of cases, assessments and events in view
    (records dated on or before `as_of`, default today).

    Columns: table, column, n_rows, n_present, share_present.
    """
    filters = filters or Filters()
    day = frames.snapshot_day(as_of)
    rows: list[dict[str, object]] = []
    with queries.connection(db, with_store=True) as con:
        schema = queries.raw_schema(con)
        for table in store.RECORD_TABLES:
            # Column names come from the store's catalog, not from anyone's input.
            names = [
                r[0]
                for r in con.execute(
                    "select column_name from duckdb_columns() "
                    "where table_name = $table and schema_name = 'main' "
                    "and database_name = $database order by column_index",
                    {"table": table, "database": schema.split(".")[0].strip('"')},
                ).fetchall()
            ]
            if not names:
                continue
            counts = ", ".join(f"count(t.{quote(n)}) as {quote(n)}" for n in names)
            sql = (
                f"with cohort as not materialized ({queries.cohort_sql()}) "
                f"select count(*) as _n_rows, {counts} from {schema}.{table} as t "
                "where t.case_id in (select case_id from cohort) "
                f"and t.{quote(_RECORD_DATES[table])} <= $as_of::date"
            )
            result = queries.run(con, sql, {**filters.params(), "as_of": day}).iloc[0]
            n_rows = int(result["_n_rows"])
            for name in names:
                present = int(result[name])
                rows.append(
                    {
                        "table": table,
                        "column": name,
                        "n_rows": n_rows,
                        "n_present": present,
                        "share_present": present / n_rows if n_rows else float("nan"),
                    }
                )
    return pd.DataFrame(rows, columns=["table", "column", "n_rows", "n_present", "share_present"])


def filter_options(db: queries.Db, scope: Scope | None = None) -> dict[str, object]:
    """Values for the sidebar: clinics and physicians present within `scope`, date range."""
    with queries.store_connection(db) as con:
        sql = _OPTIONS_SQL.format(peer_name=queries.peer_name_sql("cases"))
        row = con.execute(sql, (scope or Scope.everything()).params()).fetchone()
    clinics, physicians, first, last, n_cases = row if row else ([], [], None, None, 0)
    return {
        "clinic": list(clinics or []),
        "physician": list(physicians or []),
        "first_treatment": first,
        "last_treatment": last,
        "n_cases": int(n_cases or 0),
    }


def load_history(db: queries.Db, *, limit: int = 50) -> pd.DataFrame:
    """The most recent loads from load_log, newest first (it never holds record values)."""
    with queries.store_connection(db) as con:
        return queries.run(con, _LOAD_LOG_SQL, {"limit": int(limit)})

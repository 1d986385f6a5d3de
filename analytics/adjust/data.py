"""The case-level analysis frame behind the adjusted figures: one row per analysed case.

A case is *analysed* for a measure at a timepoint when it has the measure at baseline and
at the timepoint and is not excluded from the responder rate (no room to improve by the
threshold) — the same denominator as `fbss summary`'s responder rate. The risk factors
come from the store's `cases` table; a factor the store does not have yet (an older
store, before the contract gained it) arrives as an all-missing column, which the
design step then drops and names, exactly like a factor nobody recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics import facts, frames, queries
from analytics.definitions import (
    AnalyticsError,
    Criterion,
    ResponderDefinition,
    check_timepoint,
    parse_responder,
)
from analytics.filters import Filters
from analytics.sql_files import quote
from pipelines import vocabulary as vocab

# Risk factors read from `cases` when present (QOD's list, McGirt 2017, as far as the
# contract carries them). Numbers enter the models as they are; flags as 0/1.
NUMERIC_FACTORS: tuple[str, ...] = ("bmi", "prior_surgeries", "asa_grade", "symptom_months")
FLAG_FACTORS: tuple[str, ...] = (
    "smoker",
    "diabetes",
    "workers_compensation",
    "litigation",
    "depression",
)
RISK_FACTORS: tuple[str, ...] = (*NUMERIC_FACTORS, *FLAG_FACTORS)
# Group columns that always exist (not null in the contract).
CATEGORIES: tuple[str, ...] = ("sex", "cause", "index_surgery")


@dataclass(frozen=True)
class CaseFrame:
    """The analysed cases with their outcome and covariates, and what defined them."""

    cases: pd.DataFrame
    criterion: Criterion
    definition: ResponderDefinition
    timepoint: str
    absent_factors: tuple[str, ...]  # risk factors the store has no column for


def single_criterion(responder: str | ResponderDefinition | None) -> ResponderDefinition:
    """A responder definition with exactly one measure (adjusted figures need one outcome)."""
    definition = parse_responder(responder)
    if len(definition.criteria) != 1 or not isinstance(definition.criteria[0], Criterion):
        raise AnalyticsError(
            "adjusted comparisons need a single-measure responder definition, "
            f"e.g. odi:30% or leg_pain:50% (got {definition.code!r})"
        )
    return definition


def _present_columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The columns of the store's `cases` table (the schema queries.raw_schema names),
    with their DuckDB types."""
    rows = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = current_database() "
        "and schema_name = 'main' and table_name = 'cases'"
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


# Whole numbers travel as themselves and flags as one byte (1 / 0 / NULL), not as doubles:
# DuckDB's ORDER BY holds every row of the result (at 475,085 analysed cases 90 MiB with
# all doubles, 74 MiB with one-byte flags, 49 MiB with the physician as an ENUM too);
# pandas widens them to float64 afterwards.
_WHOLE = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")


def _physician_sql(con: duckdb.DuckDBPyConnection, values: dict[str, object]) -> str:
    """c.physician, as the facts' ENUM when that is safe (see sql/adjust_cases.sql).

    The cohort hands the physician over as text (renamed "Peer N" for a physician
    viewer). For anyone else every name is one of the stored facts' ENUM, which the load
    made from the same cases; facts built in memory for an older store have text only.
    """
    if values.get("s_peers_of") is not None:
        return "c.physician"
    rows = con.execute(
        "select (select count(*) from duckdb_types() where type_name = $type "
        "and database_name = current_database()), "
        "(select count(*) from duckdb_tables() where temporary and table_name = $table)",
        {"type": _PHYSICIAN_TYPE, "table": facts.TABLE},
    ).fetchall()  # fetchall: DuckDB 2 refuses a new query while a result is unfinished
    if rows != [(1, 0)]:
        return "c.physician"
    return f"c.physician::{quote(_PHYSICIAN_TYPE)}"


# The ENUM type the load gives the facts' physician column (pipelines/facts.py).
_PHYSICIAN_TYPE = f"{facts.TABLE}_physician"


def _risk_sql(present: dict[str, str]) -> str:
    """The risk-factor select list: k.<factor> in a narrow type, each followed by a comma."""
    out = []
    for f in RISK_FACTORS:  # identifiers from code, never from the store or a user
        if f not in present:
            continue
        if f in FLAG_FACTORS:
            kind = "boolean::utinyint"
        else:
            kind = present[f] if present[f] in _WHOLE else "double"
        out.append(f"k.{quote(f)}::{kind} as {quote(f)},\n")
    return "".join(out)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> pd.DataFrame:
    """The query's rows as a DataFrame, through Arrow (issue 7: the server's memory).

    `.df()` builds every column in a NumPy array, then pandas copies same-typed columns
    into one block, and each text cell becomes its own Python string. Arrow's conversion
    frees each column of the Arrow table once converted (`self_destruct`), keeps the
    columns as they are (`split_blocks`) and makes one Python string per distinct text.
    Its arrays come from the C library's allocator, which gives large blocks back to the
    system when freed (pyarrow's default pool, mimalloc, kept ~10 MiB more at 100,000
    cases after the figure was done).
    Same frame: dtypes, categories and values (tests/analytics/test_adjust_frame.py).
    """
    table = con.sql(sql, params=params).to_arrow_table()
    if table.num_rows == 0:  # no batch, so no ENUM dictionary to take the categories from
        return con.execute(sql, params).df()
    frame = table.to_pandas(
        self_destruct=True, split_blocks=True, memory_pool=pa.system_memory_pool()
    )
    del table
    for column in frame.columns:
        # DuckDB's ENUMs are ordered (`.df()` says so); Arrow's dictionaries do not say.
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].cat.as_ordered()
    return frame


def case_frame(
    db: queries.Db,
    *,
    timepoint: str,
    responder: str | ResponderDefinition | None,
    filters: Filters | None = None,
    as_of: dt.date | str | None = None,
) -> CaseFrame:
    """The analysed cases in view (sql/adjust_cases.sql), ordered by case_id.

    As known on `as_of` (default today), like every other figure (sql/cohort.sql): only
    cases treated by then, and only assessments dated by then.

    Columns: pathway, treatment, clinic, physician, cause, index_surgery, sex (pandas
    categoricals when read from the facts sidecar), age, back_pain_baseline,
    leg_pain_baseline, baseline_value, followup_value, improvement (positive = better),
    is_responder, then RISK_FACTORS as floats (flags 1.0 / 0.0, NaN when missing).
    """
    definition = single_criterion(responder)
    criterion = definition.criteria[0]
    assert isinstance(criterion, Criterion)  # single_criterion refuses joint rules
    check_timepoint(timepoint)
    measure = vocab.MEASURES[criterion.measure]
    params = {
        "higher_is_better": measure.higher_is_better,
        "scale_low": float(measure.low),
        "scale_high": float(measure.high),
        "is_percent": criterion.is_percent,
        "threshold": float(criterion.threshold),
    }
    with queries.connection(db, with_store=True) as con:
        source = queries.raw_schema(con)
        present = _present_columns(con)
        risk = _risk_sql(present)
        pains = ",\n        ".join(
            f"{queries.fact(facts.value_column(m, 'baseline'))}::double as {quote(m + '_baseline')}"
            for m in ("back_pain", "leg_pain")
        )
        day = frames.snapshot_day(as_of)
        values = {**(filters or Filters()).params(), "as_of": day, **params}
        sql = queries.render(
            "adjust_cases",
            fragments={
                "baseline": queries.fact(facts.value_column(criterion.measure, "baseline")),
                "followup": queries.fact(facts.value_column(criterion.measure, timepoint)),
                "pain_baselines": pains,
                "risk_factors": risk,
                "physician": _physician_sql(con, values),
                "source": source,
            },
        )
        # Not queries.run: that turns the facts' ENUM columns into Python strings, which
        # took 1.2 s at half a million cases; pandas categoricals compare and group alike.
        sql = queries.for_viewer(sql, values)
        frame = _fetch(con, sql, queries.bind(sql, values))
    absent = tuple(f for f in RISK_FACTORS if f not in present)
    for factor in absent:
        frame[factor] = np.nan
    if isinstance(frame["physician"].dtype, pd.CategoricalDtype):
        # Back to text, as the cohort gives it: an array of references to 15-odd strings.
        frame["physician"] = frame["physician"].astype(object)
    for factor in RISK_FACTORS:
        # Arrow gives whole numbers with a NULL as float64 already; the others widen here
        # (exactly: integers and 0/1 are doubles without rounding).
        if frame[factor].dtype != np.float64:
            frame[factor] = frame[factor].astype(np.float64)
    return CaseFrame(frame, criterion, definition, timepoint, absent)

"""Stage three: rules between tables, checked against the store as it would be after
the load (the batch merged over what is stored, or the batch alone with --replace).

Runs in DuckDB (the merged tables are CTEs taking $replace) on a connection that sees
the stored tables, with the batch registered
as `batch_cases`, `batch_assessments`, `batch_events` (each with a `_src` row position).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines import problems as P
from pipelines.problems import Problem

# Merged views: batch rows win over stored rows with the same key.
_MERGED = """
with m_cases as (
    select case_id, cast(treatment_date as date) as treatment_date, _src from batch_cases
    union all
    select case_id, treatment_date, null from cases
    where not $replace
      and case_id not in (select case_id from batch_cases where case_id is not null)
), m_assessments as (
    select case_id, timepoint, cast(assessment_date as date) as assessment_date, _src
    from batch_assessments
    union all
    select s.case_id, s.timepoint, s.assessment_date, null from assessments s
    where not $replace and not exists (
        select 1 from batch_assessments b where b.case_id = s.case_id and b.timepoint = s.timepoint)
), m_events as (
    select case_id, cast(event_date as date) as event_date, event, _src from batch_events
    union all
    select s.case_id, s.event_date, s.event, null from events s
    where not $replace and not exists (
        select 1 from batch_events b
        where b.case_id = s.case_id and b.event_date = s.event_date and b.event = s.event)
)
"""

_UNKNOWN_CASES = (
    _MERGED
    + """
select '{table}' as tbl, r._src, r.case_id
from batch_{table} r
where r.case_id is not null
  and r.case_id not in (select case_id from m_cases where case_id is not null)
order by r._src
"""
)

# An assessment out of order with its case's treatment date. Either side may come from
# the batch: a new assessment, or a corrected treatment_date against stored assessments.
_ASSESSMENT_ORDER = (
    _MERGED
    + """
select a._src as a_src, c._src as c_src, a.case_id, a.timepoint, a.assessment_date, c.treatment_date
from m_assessments a join m_cases c using (case_id)
where (a._src is not null or c._src is not null)
  and a.timepoint in (select code from ref_timepoints)  -- an unknown one is reported already
  and case when a.timepoint = 'baseline' then a.assessment_date > c.treatment_date
           else a.assessment_date <= c.treatment_date end
order by a._src nulls last, c._src
"""
)

_EVENT_ORDER = (
    _MERGED
    + """
select e._src as e_src, c._src as c_src, e.case_id, e.event, e.event_date, c.treatment_date
from m_events e join m_cases c using (case_id)
where (e._src is not null or c._src is not null) and e.event_date < c.treatment_date
order by e._src nulls last, c._src
"""
)


def cross_check(
    con: duckdb.DuckDBPyConnection,
    frames: dict[str, pd.DataFrame],
    origin: dict[str, pd.DataFrame],
    *,
    replace: bool,
    incomplete: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every cross-table problem of the batch against the store after the load.

    When a cases file of the batch could not be used (`incomplete`), whether a case
    exists is not checked: every line would only repeat that file's own problem.
    """
    _register(con, frames)
    try:
        return _problems(con, origin, replace=replace, incomplete=incomplete)
    finally:
        for table in _tables():  # let go of the frames: the load frees them after writing
            con.unregister(f"batch_{table}")


def _tables() -> tuple[str, ...]:
    from pipelines.schemas import MODELS

    return tuple(MODELS)


def _problems(
    con: duckdb.DuckDBPyConnection,
    origin: dict[str, pd.DataFrame],
    *,
    replace: bool,
    incomplete: frozenset[str],
) -> list[Problem]:
    params = {"replace": replace}
    out: list[Problem] = []
    for table in () if "cases" in incomplete else ("assessments", "events"):
        for _, src, case_id in con.execute(_UNKNOWN_CASES.format(table=table), params).fetchall():
            file, row = _where(origin, table, src)
            out.append(
                Problem(
                    file,
                    row,
                    "case_id",
                    case_id,
                    "case_id is not in this batch's cases nor in the store",
                    P.UNKNOWN_CASE,
                )
            )
    for a_src, c_src, case_id, tp, a_date, t_date in con.execute(
        _ASSESSMENT_ORDER, params
    ).fetchall():
        rule = "on or before" if tp == "baseline" else "after"
        if a_src is not None:
            words = f"a {tp} assessment_date must be {rule} the case's treatment_date"
            out.append(
                _order(
                    origin,
                    "assessments",
                    a_src,
                    "assessment_date",
                    a_date,
                    f"{words} ({t_date})",
                    words,
                )
            )
        else:
            words = (
                f"this treatment_date would put the stored {tp} assessment of case {case_id} "
                f"(assessment_date {a_date}) out of order: it must be {rule} the treatment_date"
            )
            rule_words = "this treatment_date would put a stored assessment out of order"
            out.append(_order(origin, "cases", c_src, "treatment_date", t_date, words, rule_words))
    for e_src, c_src, case_id, event, e_date, t_date in con.execute(
        _EVENT_ORDER, params
    ).fetchall():
        if e_src is not None:
            words = "event_date must be on or after the case's treatment_date"
            out.append(
                _order(origin, "events", e_src, "event_date", e_date, f"{words} ({t_date})", words)
            )
        else:
            words = (
                f"this treatment_date would put the stored {event} event of case {case_id} "
                f"(event_date {e_date}) before the treatment"
            )
            rule_words = "this treatment_date would put a stored event before the treatment"
            out.append(_order(origin, "cases", c_src, "treatment_date", t_date, words, rule_words))
    return out


def _register(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
    from pipelines.schemas import MODELS

    for table, model in MODELS.items():
        frame = frames.get(table)
        if frame is None:  # no file for this table: an empty batch table of the right shape
            cols = list(model.to_schema().columns)
            frame = pd.DataFrame({c: pd.Series(dtype=_EMPTY_DTYPES.get(c, "object")) for c in cols})
        frame = frame.assign(_src=range(len(frame)))
        con.register(f"batch_{table}", frame)


_EMPTY_DTYPES = {
    "treatment_date": "datetime64[ns]",
    "assessment_date": "datetime64[ns]",
    "event_date": "datetime64[ns]",
}


def _order(
    origin: dict[str, pd.DataFrame],
    table: str,
    src: int,
    column: str,
    value: object,
    words: str,
    rule: str,
) -> Problem:
    """A dates-out-of-order problem on the batch row that caused it."""
    file, row = _where(origin, table, src)
    return Problem(file, row, column, str(value), words, P.ORDER, rule)


def _where(origin: dict[str, pd.DataFrame], table: str, src: int) -> tuple[str, int]:
    o = origin[table]
    return str(o.at[src, "file"]), int(o.at[src, "row"])

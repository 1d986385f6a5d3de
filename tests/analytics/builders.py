"""Hand-made stores for the analytics tests: rows written with bound parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipelines import schemas, store
from pipelines import vocabulary as vocab

DAY0 = dt.date(2023, 6, 1)  # the usual treatment date in these tests
AS_OF = dt.date(2025, 1, 1)  # 12 months after DAY0 is due; 24 months is not

# The contract's columns (the pandera models), plus the pathway the load derives.
CASE_COLUMNS = (*schemas.columns("cases"), *schemas.DERIVED_COLUMNS["cases"])
ASSESSMENT_COLUMNS = schemas.columns("assessments")
EVENT_COLUMNS = schemas.columns("events")


def days_after(start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=days)


def case(
    case_id: str,
    *,
    treatment: str = "spinal_cord_stimulation",
    cause: str = "epidural_fibrosis",
    clinic: str = "North Spine",
    physician: str = "Dr A",
    sex: str = "female",
    age: int = 55,
    treatment_date: dt.date = DAY0,
    index_surgery: str = "discectomy",
) -> dict[str, Any]:
    """A case row; the pathway is derived from the treatment, as the load does."""
    return {
        "case_id": case_id,
        "patient_id": f"P-{case_id}",
        "clinic": clinic,
        "physician": physician,
        "sex": sex,
        "age": age,
        "bmi": None,
        "smoker": None,
        "diabetes": None,
        "prior_surgeries": None,
        "index_surgery": index_surgery,
        "index_levels": None,
        "index_surgery_date": days_after(treatment_date, -400),
        "presentation_date": days_after(treatment_date, -30),
        "cause": cause,
        "treatment": treatment,
        "pathway": vocab.pathway_of(treatment),
        "treatment_date": treatment_date,
        # risk factors (issue 9): not recorded unless a test sets them
        "asa_grade": None,
        "symptom_months": None,
        "workers_compensation": None,
        "litigation": None,
        "depression": None,
    }


def assessment(
    case_id: str, timepoint: str, *, on: dt.date | None = None, **values: Any
) -> dict[str, Any]:
    """An assessment row; `on` defaults to DAY0 plus the timepoint's nominal days."""
    if on is None:
        nominal = vocab.TIMEPOINTS[timepoint].days
        on = days_after(DAY0, nominal if nominal else -7)
    row = dict.fromkeys(ASSESSMENT_COLUMNS)
    row.update(case_id=case_id, timepoint=timepoint, assessment_date=on, **values)
    return row


def event(case_id: str, kind: str, on: dt.date, detail: str | None = None) -> dict[str, Any]:
    return {"case_id": case_id, "event_date": on, "event": kind, "detail": detail}


def _insert(con: Any, table: str, columns: tuple[str, ...], rows: Iterable[dict]) -> None:
    rows = list(rows)
    if not rows:
        return
    marks = ", ".join("?" * len(columns))
    con.executemany(
        f"insert into {table} ({', '.join(columns)}) values ({marks})",
        [[row[c] for c in columns] for row in rows],
    )


def make_store(
    path: Path,
    cases: Iterable[dict[str, Any]],
    assessments: Iterable[dict[str, Any]] = (),
    events: Iterable[dict[str, Any]] = (),
) -> Path:
    """A store file at `path` holding exactly these rows (schema from pipelines.store)."""
    con = store.connect(path, read_only=False)
    try:
        store.create_schema(con)
        _insert(con, "cases", CASE_COLUMNS, cases)
        _insert(con, "assessments", ASSESSMENT_COLUMNS, assessments)
        _insert(con, "events", EVENT_COLUMNS, events)
    finally:
        con.close()
    return path


def row_of(frame: Any, **keys: Any) -> dict[str, Any]:
    """The single row of a result frame matching the given column values, as a dict."""
    mask = None
    for col, value in keys.items():
        hit = frame[col] == value
        mask = hit if mask is None else mask & hit
    rows = frame[mask] if mask is not None else frame
    assert len(rows) == 1, f"expected one row for {keys}, got {len(rows)}"
    return rows.iloc[0].to_dict()


def strip_facts(db: Path) -> None:
    """Make `db` look like a store written before the facts moved into it."""
    con = store.connect(db, read_only=False)
    try:
        con.execute("drop table case_facts")
        con.execute("drop table facts_meta")
    finally:
        con.close()

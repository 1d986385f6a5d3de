"""Small hand-made batches for the pipeline tests."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

CASE = {
    "case_id": "C1",
    "patient_id": "P1",
    "clinic": "North Spine",
    "physician": "Dr A. Berg",
    "sex": "female",
    "age": "54",
    "bmi": "27.5",
    "smoker": "no",
    "diabetes": "false",
    "prior_surgeries": "1",
    "index_surgery": "fusion",
    "index_levels": "L4-L5",
    "index_surgery_date": "2022-01-10",
    "presentation_date": "2023-02-01",
    "cause": "adjacent_segment_disease",
    "treatment": "platelet_rich_plasma",
    "treatment_date": "2023-03-01",
}
ASSESSMENT = {
    "case_id": "C1",
    "timepoint": "baseline",
    "assessment_date": "2023-02-20",
    "back_pain": "7",
    "leg_pain": "6",
    "odi": "44",
    "eq5d": "0.35",
    "opioid_mme": "30",
    "working": "no",
    "satisfaction": "",
}
EVENT = {
    "case_id": "C1",
    "event_date": "2023-09-01",
    "event": "complication",
    "detail": "Wound infection",
}


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def case(**changes: str) -> dict[str, str]:
    return {**CASE, **changes}


def assessment(**changes: str) -> dict[str, str]:
    return {**ASSESSMENT, **changes}


def event(**changes: str) -> dict[str, str]:
    return {**EVENT, **changes}


def batch(folder: Path, cases=None, assessments=None, events=None) -> Path:  # type: ignore[no-untyped-def]
    """A folder with the given tables as CSV (None = no file for that table)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows, template in (
        ("cases", cases, CASE),
        ("assessments", assessments, ASSESSMENT),
        ("events", events, EVENT),
    ):
        if rows is not None:
            write_csv(folder / f"{name}.csv", rows, list(template) if not rows else None)
    return folder


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every record table's rows, sorted, for before/after comparisons."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr)
            for t in ("cases", "assessments", "events")
        }
    finally:
        con.close()

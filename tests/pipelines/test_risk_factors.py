"""The optional risk-factor columns of `cases` (issue 9): stored typed, optional as
whole columns, and added to a store made before the contract had them."""

from __future__ import annotations

from pathlib import Path

from pipelines import store
from pipelines.load import load_paths
from tests.pipelines.helpers import assessment, batch, case

RISK = ("asa_grade", "symptom_months", "workers_compensation", "litigation", "depression")


def _risk_rows(db: Path) -> list[tuple]:
    with store.reader(db) as con:
        return con.execute(
            f"select case_id, {', '.join(RISK)} from cases order by case_id"
        ).fetchall()


def test_values_are_stored_typed_and_blanks_are_missing(tmp_path: Path) -> None:
    folder = batch(
        tmp_path / "b",
        cases=[
            case(
                asa_grade="3",
                symptom_months="18.0",
                workers_compensation="yes",
                litigation="0",
                depression="TRUE",
            ),
            case(
                case_id="C2",
                asa_grade="",
                symptom_months="",
                workers_compensation="",
                litigation="",
                depression="",
            ),
        ],
        assessments=[assessment(), assessment(case_id="C2")],
    )
    result = load_paths([folder], tmp_path / "s.duckdb")
    assert result.accepted, result.problems
    assert _risk_rows(tmp_path / "s.duckdb") == [
        ("C1", 3, 18, True, False, True),
        ("C2", None, None, None, None, None),
    ]


def test_a_clinic_may_leave_the_columns_out(tmp_path: Path) -> None:
    # helpers.CASE has none of the risk-factor columns: the file has no such header.
    folder = batch(tmp_path / "b", cases=[case()], assessments=[assessment()])
    assert "asa_grade" not in (folder / "cases.csv").read_text().splitlines()[0]
    result = load_paths([folder], tmp_path / "s.duckdb")
    assert result.accepted, result.problems
    assert _risk_rows(tmp_path / "s.duckdb") == [("C1", None, None, None, None, None)]


def test_an_older_store_gains_the_columns_on_the_next_load(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    first = batch(tmp_path / "first", cases=[case()], assessments=[assessment()])
    assert load_paths([first], db).accepted
    # Make it a store from before issue 9: the cases table without the risk factors.
    con = store.connect(db, read_only=False)
    try:
        for column in RISK:
            con.execute(f"alter table cases drop column {column}")
    finally:
        con.close()
    later = batch(
        tmp_path / "later",
        cases=[case(case_id="C2", asa_grade="2", depression="no")],
        assessments=[assessment(case_id="C2")],
    )
    result = load_paths([later], db)
    assert result.accepted, result.problems
    assert {t: c["inserted"] for t, c in result.counts.items()} == {
        "cases": 1,
        "assessments": 1,
    }
    assert _risk_rows(db) == [
        ("C1", None, None, None, None, None),
        ("C2", 2, None, None, None, False),
    ]
    with store.reader(db) as con:
        names = [r[0] for r in con.execute("describe cases").fetchall()]
    assert names[-len(RISK) :] == list(RISK)  # the same order as a new store's

"""A load limited to some clinics (a manager granted Import): other clinics' records refused.

Real files written from the sample and a real store; the check is the pipeline's own
(`load_paths(clinics=...)`, pipelines/clinic_scope.py), so every way in meets it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.clinic_scope import OUTSIDE
from pipelines.load import load_paths, validate_paths

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
MINE = "Lakeside Back Clinic"
OTHER = "Northgate Spine Centre"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("clinics") / "fbss.duckdb"
    assert load_paths([SAMPLE], db).accepted
    return db


@pytest.fixture
def db(stored: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copyfile(stored, copy)
    return copy


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "cases.csv", dtype=str, keep_default_na=False)


def _new_cases(cases: pd.DataFrame, clinics: list[str]) -> pd.DataFrame:
    """One new case per clinic named, copied from a sample case of that clinic."""
    rows = [cases[cases["clinic"] == c].iloc[[0]] for c in clinics]
    out = pd.concat(rows, ignore_index=True)
    out["case_id"] = [f"NEW{i:04d}" for i in range(len(out))]
    return out


def _write(folder: Path, **tables: pd.DataFrame) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def _count(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute("select count(*) from cases").fetchone()
    assert found is not None
    return int(found[0])


def test_own_clinic_loads(db: Path, cases: pd.DataFrame, tmp_path: Path) -> None:
    paths = _write(tmp_path / "b", cases=_new_cases(cases, [MINE, MINE]))
    before = _count(db)
    result = load_paths(paths, db, clinics=[MINE])
    assert result.accepted, result.problems
    assert _count(db) == before + 2


def test_a_case_of_another_clinic_is_refused_and_nothing_is_stored(
    db: Path, cases: pd.DataFrame, tmp_path: Path
) -> None:
    paths = _write(tmp_path / "b", cases=_new_cases(cases, [MINE, OTHER]))
    before = _count(db)
    for result in (
        validate_paths(paths, db, clinics=[MINE]),
        load_paths(paths, db, clinics=[MINE]),
    ):
        assert not result.accepted
        [problem] = result.problems
        assert (problem.file, problem.row, problem.column) == (str(paths[0]), 3, "clinic")
        assert problem.value == OTHER  # the file's own cell: the user typed it
        assert problem.kind == OUTSIDE
        assert f"not one of yours ({MINE})" in problem.problem
    assert _count(db) == before
    # the operator's load (no limit) takes the same file
    assert load_paths(paths, db).accepted


def test_records_for_a_stored_case_of_another_clinic_are_refused(
    db: Path, cases: pd.DataFrame, tmp_path: Path
) -> None:
    theirs = cases[cases["clinic"] == OTHER].iloc[0]
    assessments = pd.read_csv(SAMPLE / "assessments.csv", dtype=str, keep_default_na=False)
    added = assessments[assessments["case_id"] == theirs["case_id"]].iloc[[0]]
    # and a case row that would move their case into my clinic
    moved = cases[cases["case_id"] == theirs["case_id"]].assign(clinic=MINE)
    paths = _write(tmp_path / "b", assessments=added, cases=moved)
    result = validate_paths(paths, db, clinics=[MINE])
    assert not result.accepted
    outside = [(Path(p.file).name, p.column, p.value) for p in result.problems if p.kind == OUTSIDE]
    assert sorted(outside) == [
        ("assessments.csv", "case_id", theirs["case_id"]),
        ("cases.csv", "case_id", theirs["case_id"]),
    ]
    assert all(OTHER not in p.problem for p in result.problems)  # never names their clinic


def test_a_new_store_has_no_other_clinics_cases(cases: pd.DataFrame, tmp_path: Path) -> None:
    paths = _write(tmp_path / "b", cases=_new_cases(cases, [MINE, OTHER]))
    result = validate_paths(paths, tmp_path / "none.duckdb", clinics=[MINE])
    assert [p.value for p in result.problems] == [OTHER]


def test_records_of_another_clinic_never_quote_its_stored_values(
    db: Path, cases: pd.DataFrame, tmp_path: Path
) -> None:
    """An assessment dated before another clinic's stored case: refused as outside the
    importer's clinics only, never with the cross-table rule that quotes that case's
    treatment date (independent review F6)."""
    theirs = cases[cases["clinic"] == OTHER].iloc[0]
    assessments = pd.read_csv(SAMPLE / "assessments.csv", dtype=str, keep_default_na=False)
    early = assessments[assessments["case_id"] == theirs["case_id"]].iloc[[0]]
    early = early.assign(timepoint="24m", assessment_date="2000-01-01")
    paths = _write(tmp_path / "b", assessments=early)
    result = validate_paths(paths, db, clinics=[MINE])
    assert [p.kind for p in result.problems] == [OUTSIDE]
    assert all(theirs["treatment_date"] not in p.problem for p in result.problems)
    # the operator (no clinic limit) is told the cross-table problem with the date
    operator = validate_paths(paths, db)
    assert any(theirs["treatment_date"] in p.problem for p in operator.problems)

"""Accepted and rejected rows, one rule at a time (issue 2, section 2 and 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.load import validate_paths
from tests.pipelines.helpers import assessment, batch, case, event

# (changes to a valid case row, column blamed, words expected; None = accepted)
CASE_ROWS = [
    ({}, None, None),
    ({"case_id": "abc-DEF_1.2"}, None, None),
    ({"case_id": "has space"}, "case_id", "case_id must be 1–64 characters, only letters"),
    ({"case_id": "x" * 65}, "case_id", "case_id must be 1–64 characters"),
    ({"case_id": ""}, "case_id", "case_id is required"),
    ({"patient_id": "p" * 65}, "patient_id", "patient_id must be a pseudonymous id of 1–64"),
    ({"clinic": "  North Spine  "}, None, None),  # trimmed
    ({"clinic": "c" * 101}, "clinic", "clinic must be 1–100 characters"),
    ({"physician": ""}, "physician", "physician is required"),
    ({"sex": "FEMALE"}, None, None),  # vocabulary ignores case
    ({"sex": "f"}, "sex", "sex must be one of: female, male, other, unknown"),
    ({"age": "18"}, None, None),  # boundary
    ({"age": "110"}, None, None),
    ({"age": "54.0"}, None, None),  # spreadsheets export whole numbers so
    ({"age": "17"}, "age", "age must be a whole number of years from 18 to 110"),
    ({"age": "111"}, "age", "age must be a whole number of years from 18 to 110"),
    ({"age": "54.5"}, "age", "age must be a whole number of years from 18 to 110"),
    ({"age": "fifty"}, "age", "age must be a whole number of years from 18 to 110"),
    ({"age": ""}, "age", "age is required"),
    ({"bmi": ""}, None, None),  # optional
    ({"bmi": "12"}, None, None),
    ({"bmi": "80.1"}, "bmi", "bmi must be a number from 12 to 80"),
    ({"smoker": "YES"}, None, None),
    ({"smoker": "1"}, None, None),
    ({"smoker": "0"}, None, None),
    ({"smoker": "sometimes"}, "smoker", "smoker must be true/false, yes/no or 1/0"),
    ({"diabetes": "2"}, "diabetes", "diabetes must be true/false, yes/no or 1/0"),
    (
        {"prior_surgeries": "0"},
        "prior_surgeries",
        "prior_surgeries must be a whole number from 1 to 20",
    ),
    ({"prior_surgeries": "20"}, None, None),
    # Risk factors (issue 9): optional, validated like the rest.
    ({"asa_grade": "", "symptom_months": "", "depression": ""}, None, None),
    ({"asa_grade": "1"}, None, None),
    ({"asa_grade": "5"}, None, None),
    ({"asa_grade": "3.0"}, None, None),  # spreadsheets export whole numbers so
    ({"asa_grade": "0"}, "asa_grade", "asa_grade must be a whole number from 1 to 5"),
    ({"asa_grade": "6"}, "asa_grade", "asa_grade must be a whole number from 1 to 5"),
    ({"asa_grade": "II"}, "asa_grade", "asa_grade must be a whole number from 1 to 5"),
    ({"symptom_months": "0"}, None, None),
    ({"symptom_months": "600"}, None, None),
    (
        {"symptom_months": "601"},
        "symptom_months",
        "symptom_months must be a whole number of months from 0 to 600",
    ),
    (
        {"symptom_months": "2.5"},
        "symptom_months",
        "symptom_months must be a whole number of months from 0 to 600",
    ),
    ({"workers_compensation": "Yes"}, None, None),
    (
        {"workers_compensation": "pending"},
        "workers_compensation",
        "workers_compensation must be true/false, yes/no or 1/0",
    ),
    ({"litigation": "0"}, None, None),
    ({"litigation": "maybe"}, "litigation", "litigation must be true/false, yes/no or 1/0"),
    ({"depression": "TRUE"}, None, None),
    ({"depression": "anxiety"}, "depression", "depression must be true/false, yes/no or 1/0"),
    ({"index_surgery": "Decompression_Fusion"}, None, None),
    ({"index_surgery": "fusion surgery"}, "index_surgery", "index_surgery must be one of"),
    ({"index_levels": "L4-L5;L5-S1"}, None, None),
    ({"index_levels": "t12-l1 ; L1-L2"}, None, None),  # normalised to T12-L1;L1-L2
    ({"index_levels": "L5-L6"}, "index_levels", "index_levels must be lumbar levels"),
    ({"index_levels": "C5-C6"}, "index_levels", "index_levels must be lumbar levels"),
    (
        {"index_surgery_date": "10/01/2022"},
        "index_surgery_date",
        "must be a date written YYYY-MM-DD",
    ),
    (
        {"index_surgery_date": "2022-02-30"},
        "index_surgery_date",
        "must be a date written YYYY-MM-DD",
    ),
    (
        {"presentation_date": "2022-01-09"},
        "presentation_date",
        "must be on or after index_surgery_date",
    ),
    (
        {"presentation_date": "2022-01-10", "treatment_date": "2022-01-10"},
        None,
        None,
    ),  # same day ok
    ({"treatment_date": "2023-01-31"}, "treatment_date", "must be on or after presentation_date"),
    ({"treatment_date": "2099-01-01"}, "treatment_date", "must not be after the day of the load"),
    ({"cause": "Epidural_Fibrosis"}, None, None),
    ({"cause": "scar"}, "cause", "cause must be one of"),
    ({"treatment": "surgery"}, "treatment", "treatment must be one of"),
]


def _problems(tmp_path: Path, **tables) -> list:  # type: ignore[no-untyped-def]
    result = validate_paths([batch(tmp_path / "b", **tables)], db_path=None)
    return result.problems


@pytest.mark.parametrize(("changes", "column", "words"), CASE_ROWS)
def test_case_rules(tmp_path: Path, changes: dict, column: str | None, words: str | None) -> None:
    problems = _problems(tmp_path, cases=[case(**changes)], assessments=[])  # header only
    if words is None:
        assert problems == []
    else:
        assert [(p.row, p.column) for p in problems] == [(2, column)]
        assert words in problems[0].problem


ASSESSMENT_ROWS = [
    ({}, None, None),
    ({"timepoint": "6M", "assessment_date": "2023-04-15"}, None, None),
    ({"timepoint": "1y"}, "timepoint", "timepoint must be one of: baseline, 6w, 3m, 6m, 12m, 24m"),
    ({"back_pain": "0", "leg_pain": "10"}, None, None),
    ({"leg_pain": "11"}, "leg_pain", "leg_pain must be a whole number from 0 to 10"),
    ({"leg_pain": "6.5"}, "leg_pain", "leg_pain must be a whole number from 0 to 10"),
    ({"leg_pain": "-1"}, "leg_pain", "leg_pain must be a whole number from 0 to 10"),
    ({"odi": "100"}, None, None),
    ({"odi": "100.5"}, "odi", "odi must be a number from 0 to 100"),
    ({"eq5d": "-0.6"}, None, None),
    ({"eq5d": "-0.61"}, "eq5d", "eq5d must be a number from -0.6 to 1.0"),
    ({"eq5d": "1.01"}, "eq5d", "eq5d must be a number from -0.6 to 1.0"),
    ({"opioid_mme": "1000"}, None, None),
    ({"opioid_mme": "1001"}, "opioid_mme", "opioid_mme must be a number from 0 to 1000"),
    ({"working": "Yes"}, None, None),
    ({"working": "retired"}, "working", "working must be true/false, yes/no or 1/0"),
    ({"satisfaction": "Satisfied"}, None, None),
    ({"satisfaction": "happy"}, "satisfaction", "satisfaction must be one of"),
    # Only opioid use is not enough: a row needs one of the four outcome measures.
    ({"back_pain": "", "leg_pain": "", "odi": "", "eq5d": ""}, "back_pain", "at least one of"),
    ({"back_pain": "", "leg_pain": "", "odi": "", "eq5d": "0.2"}, None, None),
    (
        {"assessment_date": "2023-03-02"},
        "assessment_date",
        "baseline assessment_date must be on or before",
    ),
    ({"assessment_date": "2023-03-01"}, None, None),  # baseline on the treatment day
    (
        {"timepoint": "6w", "assessment_date": "2023-03-01"},
        "assessment_date",
        "6w assessment_date must be after",
    ),
    ({"case_id": "C9"}, "case_id", "case_id is not in this batch's cases nor in the store"),
]


@pytest.mark.parametrize(("changes", "column", "words"), ASSESSMENT_ROWS)
def test_assessment_rules(
    tmp_path: Path, changes: dict, column: str | None, words: str | None
) -> None:
    problems = _problems(tmp_path, cases=[case()], assessments=[assessment(**changes)])
    if words is None:
        assert problems == []
    else:
        assert [(p.file.endswith("assessments.csv"), p.row, p.column) for p in problems] == [
            (True, 2, column)
        ]
        assert words in problems[0].problem


EVENT_ROWS = [
    ({}, None, None),
    ({"event_date": "2023-03-01"}, None, None),  # on the treatment day
    (
        {"event_date": "2023-02-28"},
        "event_date",
        "event_date must be on or after the case's treatment_date",
    ),
    ({"event": "Reoperation"}, None, None),
    ({"event": "death"}, "event", "event must be one of: reoperation, crossover"),
    ({"detail": "d" * 200}, None, None),
    ({"detail": "d" * 201}, "detail", "detail must be text of at most 200 characters"),
    ({"detail": ""}, None, None),
    ({"event_date": "2099-01-01"}, "event_date", "must not be after the day of the load"),
]


@pytest.mark.parametrize(("changes", "column", "words"), EVENT_ROWS)
def test_event_rules(tmp_path: Path, changes: dict, column: str | None, words: str | None) -> None:
    problems = _problems(
        tmp_path, cases=[case()], assessments=[assessment()], events=[event(**changes)]
    )
    if words is None:
        assert problems == []
    else:
        assert [(p.row, p.column) for p in problems] == [(2, column)]
        assert words in problems[0].problem


def test_duplicates_name_every_row(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        cases=[case(), case(case_id="C2"), case()],
        assessments=[assessment(), assessment(), assessment(case_id="C2")],
    )
    lines = sorted((p.file.rsplit("/", 1)[1], p.row, p.problem) for p in problems)
    folder = str(tmp_path / "b")
    assert lines == [
        (
            "assessments.csv",
            2,
            f"duplicate record: the same case_id + timepoint is also in {folder}/assessments.csv row 3",
        ),
        (
            "assessments.csv",
            3,
            f"duplicate record: the same case_id + timepoint is also in {folder}/assessments.csv row 2",
        ),
        ("cases.csv", 2, f"duplicate record: the same case_id is also in {folder}/cases.csv row 4"),
        ("cases.csv", 4, f"duplicate record: the same case_id is also in {folder}/cases.csv row 2"),
    ]


def test_lazy_coercion_trap_reports_the_real_failures(tmp_path: Path) -> None:
    """A date that cannot be read must not crash the cross-column check that uses it,
    nor hide the other failures of the batch (the pandera lazy-mode trap)."""
    problems = _problems(
        tmp_path,
        cases=[
            case(presentation_date="soon", age="old"),
            case(case_id="C2", treatment_date="2020-01-01"),
        ],
        assessments=[assessment()],
    )
    got = sorted((p.row, p.column, p.problem) for p in problems)
    assert got == [
        (2, "age", "age must be a whole number of years from 18 to 110"),
        (2, "presentation_date", "presentation_date must be a date written YYYY-MM-DD"),
        (3, "treatment_date", "treatment_date must be on or after presentation_date"),
    ]


def test_every_failure_in_one_run(tmp_path: Path) -> None:
    rows = [case(case_id=f"C{i}", age="200") for i in range(1, 31)]
    problems = _problems(tmp_path, cases=rows, assessments=[assessment()])
    assert [p.row for p in problems] == list(range(2, 32))

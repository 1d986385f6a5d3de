"""The follow-up worklist on a hand-made store: window edges worked out by hand (issue 12).

Windows (vocabulary.VISIT_WINDOWS, days after treatment, both ends inclusive):
6 weeks 28-70, 3 months 63-140, 6 months 140-273, 12 months 273-548, 24 months 548-1095.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from analytics.worklist import due_count, worklist, worklist_head
from fbss.cli import main
from tests.analytics.builders import assessment, case, days_after, make_store

AS_OF = dt.date(2025, 1, 1)


def treated(days_ago: int) -> dt.date:
    return days_after(AS_OF, -days_ago)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    cases = [
        case("C1", treatment_date=treated(273)),  # 6m closes today, 12m opens today
        case("C2", treatment_date=treated(274)),  # 6m closed yesterday
        case("C3", treatment_date=treated(548)),  # 12m closes today (assessed), 24m opens
        case("C4", treatment_date=treated(272)),  # 12m opens tomorrow
        case("C5", treatment_date=treated(300), clinic="South"),  # assessed only tomorrow
        case("C6", treatment_date=treated(40), physician="Dr B"),  # 6 weeks open
        case("C7", treatment_date=treated(20)),  # nothing open yet
    ]
    assessments = [
        assessment("C3", "12m", on=AS_OF),  # on the as-of day: counts
        assessment("C5", "12m", on=days_after(AS_OF, 1)),  # after it: not yet
        assessment("C1", "baseline", on=treated(280)),
    ]
    return make_store(tmp_path / "fbss.duckdb", cases, assessments)


def test_open_windows_without_an_assessment_most_urgent_first(db: Path) -> None:
    rows = worklist(db, as_of=AS_OF)
    got = list(zip(rows["case_id"], rows["timepoint"], rows["days_left"], strict=True))
    assert got == [
        ("C1", "6m", 0),  # closes today: 273 - 273
        ("C4", "6m", 1),  # 273 - 272
        ("C6", "6w", 30),  # 70 - 40
        ("C5", "12m", 248),  # 548 - 300; its assessment is dated after the as-of day
        ("C2", "12m", 274),  # 548 - 274
        ("C1", "12m", 275),  # opened today: 548 - 273
        ("C3", "24m", 547),  # opened today: 1095 - 548 (12m was assessed today)
    ]
    first = rows.iloc[0]
    assert first["window_opens"] == days_after(treated(273), 140)
    assert first["window_closes"] == AS_OF
    assert first["patient_id"] == "P-C1"
    assert (first["clinic"], first["physician"]) == ("North Spine", "Dr A")


def test_within_clinic_and_physician_narrow_the_list(db: Path) -> None:
    soon = worklist(db, as_of=AS_OF, within=30)
    assert list(soon["case_id"]) == ["C1", "C4", "C6"]
    assert list(worklist(db, as_of=AS_OF, clinics=["South"])["case_id"]) == ["C5"]
    assert list(worklist(db, as_of=AS_OF, physicians=["Dr B"])["case_id"]) == ["C6"]
    assert due_count(db, as_of=AS_OF, within=30) == 3
    assert len(worklist(db, as_of=AS_OF, within=0)) == 1  # only what closes today


def test_a_day_later_the_edges_move(db: Path) -> None:
    later = worklist(db, as_of=days_after(AS_OF, 1))
    got = set(zip(later["case_id"], later["timepoint"], strict=True))
    assert ("C1", "6m") not in got  # its window closed yesterday
    assert ("C4", "12m") in got  # opened today
    assert ("C5", "12m") not in got  # assessed today


def test_cli_prints_csv_and_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["worklist", "--db", str(db), "--as-of", "2025-01-01", "--within", "30"]
    assert main([*args, "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
    assert [(r["case_id"], r["days_left"]) for r in table] == [
        ("C1", "0"),
        ("C4", "1"),
        ("C6", "30"),
    ]
    assert table[0]["window_closes"] == "2025-01-01"
    assert main([*args, "--format", "json", "--clinic", "North Spine"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["case_id"] for r in records] == ["C1", "C4", "C6"]


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--as-of", "01/02/2025"], 2, "is not a date; write it as YYYY-MM-DD"),
        (["--within", "-3"], 2, "--within must be 0 or more days"),
    ],
)
def test_cli_bad_input_is_a_plain_message(
    db: Path, capsys: pytest.CaptureFixture[str], extra: list[str], code: int, message: str
) -> None:
    assert main(["worklist", "--db", str(db), *extra]) == code
    assert message in capsys.readouterr().err


def test_cli_without_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worklist", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "fbss worklist:" in capsys.readouterr().err


def test_the_head_is_the_first_rows_with_the_counts_of_the_whole_list(db: Path) -> None:
    """What the Overview shows (issue 7): the 2 most urgent of the 7 rows above, of which
    3 close within 30 days (days left 0, 1 and 30)."""
    head = worklist_head(db, as_of=AS_OF, limit=2, soon=30)
    assert list(head.rows["case_id"]) == ["C1", "C4"]
    assert list(head.rows.columns) == list(worklist(db, as_of=AS_OF).columns)
    assert (head.total, head.due_soon) == (7, 3)
    everything = worklist_head(db, as_of=AS_OF, limit=100, soon=0)
    assert (len(everything.rows), everything.total, everything.due_soon) == (7, 7, 1)
    nobody = worklist_head(db, as_of=AS_OF, limit=5, soon=30, physicians=["Dr Nobody"])
    assert (len(nobody.rows), nobody.total, nobody.due_soon) == (0, 0, 0)

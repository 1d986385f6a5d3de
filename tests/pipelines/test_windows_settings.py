"""Issue 8 on the write side: out-of-window warnings in `fbss validate` / `fbss load`, and
the per-clinic event-capture setting (`fbss event-capture`), kept by `load --replace`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from fbss.cli import main
from pipelines import settings, store, windows
from tests.pipelines.helpers import assessment, batch, case


@pytest.fixture
def late_batch(tmp_path: Path) -> Path:
    """C1 treated 2023-03-01: a 6-week visit on day 42 (inside 28-70) and a '12m' visit
    on 2023-10-01, day 214 (outside 273-548)."""
    assert (dt.date(2023, 10, 1) - dt.date(2023, 3, 1)).days == 214
    return batch(
        tmp_path / "late",
        cases=[case()],
        assessments=[
            assessment(),
            assessment(timepoint="6w", assessment_date="2023-04-12"),
            assessment(timepoint="12m", assessment_date="2023-10-01"),
        ],
    )


def test_validate_warns_but_accepts(late_batch: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(late_batch), "--db", str(tmp_path / "none.duckdb")]) == 0
    out, err = capsys.readouterr()
    assert "OK: no problems" in out
    assert "1 warning (not problems: the batch can be loaded):" in err
    assert (
        "case C1, 12m assessment dated 214 days after treatment, outside its window "
        "(273–548 days); it still counts as 12m" in err
    )
    assert "row 4" in err  # the spreadsheet row of the 12m line (header is row 1)
    assert "6w assessment" not in err


def test_load_counts_the_stored_ones(late_batch: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "store.duckdb"
    assert main(["load", str(late_batch), "--db", str(db)]) == 0
    err = capsys.readouterr().err
    assert "Warning: 1 stored assessment is dated outside the timepoint's visit window" in err
    # a later batch of assessments only: the treatment date comes from the store
    only = batch(
        tmp_path / "more",
        assessments=[assessment(timepoint="24m", assessment_date="2023-12-01")],
    )
    assert main(["validate", str(only), "--db", str(db)]) == 0
    assert "case C1, 24m assessment dated 275 days after treatment" in capsys.readouterr().err


def test_event_capture_is_set_listed_and_kept_by_replace(
    late_batch: Path,
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    db = tmp_path / "store.duckdb"
    assert main(["load", str(late_batch), "--db", str(db)]) == 0
    assert main(["event-capture", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "North Spine: complete  (default)"
    before = db.stat().st_ino
    assert main(["event-capture", "North Spine", "at_contact", "--db", str(db)]) == 0
    # written like a load: a staged copy swapped in, so the live file is a new inode
    assert db.stat().st_ino != before
    assert main(["load", str(late_batch), "--db", str(db), "--replace"]) == 0
    capsys.readouterr()
    assert main(["event-capture", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "North Spine: at_contact"
    with store.reader(db) as con:
        assert settings.event_capture(con) == {"North Spine": "at_contact"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Elsewhere", "complete"], "clinic 'Elsewhere' has no cases in the store"),
        (["North Spine"], "give both a clinic and a rule"),
    ],
)
def test_event_capture_mistakes_are_plain_words(
    late_batch: Path,
    tmp_path: Path,
    capsys,
    argv: list[str],
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    db = tmp_path / "store.duckdb"
    assert main(["load", str(late_batch), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["event-capture", *argv, "--db", str(db)]) == 2
    assert message in capsys.readouterr().err
    with store.reader(db) as con:
        assert settings.event_capture(con) == {}


def test_the_stored_count_read_off_the_facts_is_the_joins(tmp_path: Path) -> None:
    """After a load the count comes from the per-case facts (no join of the assessments
    to the cases); it equals the join's, edges of the windows included, and a store
    without current facts still gets the join's count."""
    treated = dt.date(2023, 3, 1)

    def on(timepoint: str, day: int, case_id: str = "C1") -> dict[str, str]:
        when = (treated + dt.timedelta(days=day)).isoformat()
        return assessment(case_id=case_id, timepoint=timepoint, assessment_date=when)

    folder = batch(
        tmp_path / "edges",
        cases=[case(), case(case_id="C2", patient_id="P2")],
        assessments=[
            assessment(),  # baseline: no window
            on("6w", 70),  # the window's last day (28-70): inside
            on("3m", 62),  # a day before 63-140: outside
            on("6m", 274),  # a day after 140-273: outside
            on("12m", 273),  # the first day of 273-548: inside
            on("24m", 1096),  # a day after 548-1095: outside
            on("6w", 27, "C2"),  # a day before 28-70: outside
            on("12m", 548, "C2"),  # the last day: inside
        ],
    )
    db = tmp_path / "store.duckdb"
    assert main(["load", str(folder), "--db", str(db)]) == 0
    with store.reader(db) as con:
        joined = con.execute(windows._STORE_SQL, windows._window_params()).fetchone()
    assert joined == (4,)
    assert windows.store_count(db) == 4  # read off the facts
    with duckdb.connect(str(db)) as con:
        con.execute("update facts_meta set version = 'older'")
    assert windows.store_count(db) == 4  # facts not current: the join

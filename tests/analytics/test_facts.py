"""The per-case facts: built by the load in the store file, and older stores still answer.

Every test makes its own store under tmp_path and no connection outlives a query, so the
tests do not depend on their order (issue 7).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics import facts, queries
from analytics.definitions import AnalyticsError
from analytics.filters import Filters
from analytics.outcomes import summary
from fbss.cli import main
from pipelines import facts as built
from pipelines import store
from pipelines.load import load_paths
from pipelines.migrate import migrate
from tests.analytics.builders import AS_OF, strip_facts
from tests.pipelines.helpers import assessment, batch, case, event


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    # Not bit for bit: DuckDB sums in parallel, so a mean's last bit can vary between runs
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def _stored_facts(db: Path) -> dict[str, tuple]:
    with store.reader(db) as con:
        rows = con.execute(
            "select case_id, cause, pathway, odi__baseline, odi__12m, has__12m, "
            "first__complication from case_facts order by case_id"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _version(db: Path) -> str | None:
    with store.reader(db) as con:
        return built.stored_version(con)


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    """A store written by `fbss load`: C1 (less invasive, ODI 44 -> 20, a complication)
    and C2 (repeat surgery, baseline only)."""
    folder = batch(
        tmp_path / "batch",
        cases=[case(), case(case_id="C2", treatment="revision_fusion", cause="pseudarthrosis")],
        assessments=[
            assessment(),
            assessment(timepoint="12m", assessment_date="2024-03-05", odi="20"),
            assessment(case_id="C2", odi="60"),
        ],
        events=[event()],
    )
    db = tmp_path / "store.duckdb"
    assert load_paths([folder], db).accepted
    return db


def test_the_load_builds_the_facts_inside_the_store(loaded: Path) -> None:
    assert _version(loaded) == built.version()
    assert _stored_facts(loaded) == {
        "C1": ("adjacent_segment_disease", "less_invasive", 44.0, 20.0, True, dt.date(2023, 9, 1)),
        "C2": ("pseudarthrosis", "repeat_surgery", 60.0, None, False, None),  # baseline only
    }
    with store.reader(loaded) as con:
        types = dict(
            con.execute("select column_name, column_type from (describe case_facts)").fetchall()
        )
    assert types["cause"].startswith("ENUM")  # the group columns are one-byte codes
    assert types["clinic"].startswith("ENUM")


def test_the_next_load_changes_the_facts_with_the_records(loaded: Path, tmp_path: Path) -> None:
    more = batch(
        tmp_path / "more",
        cases=[case(case_id="C3", clinic="South Spine")],
        assessments=[assessment(case_id="C3", odi="30")],
    )
    assert load_paths([more], loaded).accepted
    got = _stored_facts(loaded)
    assert sorted(got) == ["C1", "C2", "C3"]
    assert got["C3"][2] == 30.0
    with store.reader(loaded) as con:
        clinics = con.execute("select enum_range(null::case_facts_clinic)").fetchone()
    assert clinics == (["North Spine", "South Spine"],)  # the ENUM was remade too


def test_a_rejected_load_leaves_the_facts_as_they_were(loaded: Path, tmp_path: Path) -> None:
    before = _stored_facts(loaded)
    bad = batch(tmp_path / "bad", cases=[case(case_id="C9", age="7")])
    assert not load_paths([bad], loaded).accepted
    assert _stored_facts(loaded) == before


def test_the_first_query_after_a_load_builds_nothing(
    loaded: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), queries.connection(loaded) as con:
        temporary = con.execute("select count(*) from duckdb_tables() where temporary").fetchone()
        assert temporary == (0,)  # the store's own case_facts is read, nothing is built
    assert caplog.records == []
    out = summary(loaded, as_of=dt.date(2025, 1, 1), min_cell=0)
    # C1: 44 -> 20 is a responder; C2 (treated 2023-03-01) is due at 12 months, not assessed
    assert (out.iloc[0]["n_cases"], out.iloc[0]["responders"]) == (2, 1)


def test_a_store_without_facts_answers_the_same_and_says_so(
    loaded: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = summary(loaded, by="pathway", as_of=AS_OF, min_cell=0)
    strip_facts(loaded)
    assert _version(loaded) is None
    with caplog.at_level(logging.WARNING):
        got = summary(loaded, by="pathway", as_of=AS_OF, min_cell=0)
        again = summary(loaded, by="pathway", as_of=AS_OF, min_cell=0)
    _same(got, expected)
    _same(again, expected)
    (record,) = caplog.records  # said once per store file, not once per query
    assert "written by an older version of fbss" in record.getMessage()
    assert f"fbss migrate --db {loaded}" in record.getMessage()
    assert _version(loaded) is None  # a reader never writes the live file


def test_facts_of_an_older_definition_are_not_used(
    loaded: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = summary(loaded, as_of=AS_OF, min_cell=0)
    con = store.connect(loaded, read_only=False)
    try:  # an older definition's table, with rows that would give other answers
        con.execute("update facts_meta set version = 'older'")
        con.execute("delete from case_facts where case_id = 'C2'")
    finally:
        con.close()
    with caplog.at_level(logging.WARNING):
        got = summary(loaded, as_of=AS_OF, min_cell=0)
    _same(got, expected)
    assert got.iloc[0]["n_cases"] == 2
    assert "of an older definition" in caplog.records[0].getMessage()


def test_migrate_rebuilds_the_facts_in_the_store(
    loaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _stored_facts(loaded)
    strip_facts(loaded)
    assert main(["migrate", "--db", str(loaded)]) == 0
    assert "per-case facts rebuilt" in capsys.readouterr().out
    assert _version(loaded) == built.version()
    assert _stored_facts(loaded) == before
    assert main(["migrate", "--db", str(loaded)]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert migrate(loaded) is False


def test_migrate_without_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no store at" in capsys.readouterr().err


def test_a_callers_connection_gets_temporary_facts(outcomes_db: Path) -> None:
    expected = summary(outcomes_db, by="pathway", as_of=AS_OF, min_cell=0)
    with store.reader(outcomes_db) as con:
        got = summary(con, by="pathway", as_of=AS_OF, min_cell=0)
        again = summary(con, by="pathway", as_of=AS_OF, min_cell=0)  # reuses the temp table
    _same(got, expected)
    _same(again, expected)


def test_a_file_without_tables_is_reported_as_missing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(queries.StoreMissingError, match="has no case tables yet"):
        summary(db)
    assert main(["events", "--db", str(db)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "has no case tables yet" in line
    assert caplog.records == []  # not called an older store


def test_sql_comments_hold_no_markers() -> None:
    # markers in comments would be filled in too and break the statement
    for package in ("analytics", "pipelines"):
        for path in resources.files(package).joinpath("sql").iterdir():
            if path.name.endswith(".sql"):
                for line in path.read_text("utf-8").splitlines():
                    if line.lstrip().startswith("--"):
                        assert not re.search(r"\{\{\w+\}\}", line), (path.name, line)


def test_the_read_side_names_are_the_write_sides() -> None:
    assert facts.value_column("odi", "12m") == built.value_column("odi", "12m") == "odi__12m"
    assert facts.TABLE == built.TABLE


def test_user_text_only_travels_as_bound_parameters(outcomes_db: Path) -> None:
    hostile = "North Spine' or '1'='1"
    out = summary(outcomes_db, as_of=AS_OF, min_cell=0, filters=Filters(clinic=(hostile,)))
    assert out.iloc[0]["n_cases"] == 0
    with pytest.raises(AnalyticsError):
        queries.render("summary", group_cols=["cause) --"])


def test_a_store_known_current_is_checked_again_once_its_file_changes(
    loaded: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 7: open_facts skips the version check for a file version it has seen current;
    writing the file (here: stripping its facts) makes it a new version, checked again."""
    expected = summary(loaded, by="pathway", as_of=AS_OF, min_cell=0)
    seen = facts._file_key(loaded)
    assert seen in facts._current_files
    strip_facts(loaded)
    assert facts._file_key(loaded) != seen
    with caplog.at_level(logging.WARNING):
        got = summary(loaded, by="pathway", as_of=AS_OF, min_cell=0)
    _same(got, expected)  # answered from temporary facts, not from a missing table
    assert "written by an older version of fbss" in caplog.records[0].getMessage()
    assert facts._file_key(loaded) not in facts._current_files

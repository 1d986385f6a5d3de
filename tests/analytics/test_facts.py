"""The per-case facts sidecar: built once per store file, rebuilt after a load, fallbacks."""

from __future__ import annotations

import os
import re
import subprocess
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from analytics import facts, queries
from analytics.definitions import AnalyticsError
from analytics.filters import Filters
from analytics.outcomes import summary
from fbss.cli import main
from pipelines import store
from tests.analytics.builders import AS_OF, assessment, case, make_store
from tests.analytics.conftest import outcome_rows


def sidecars(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.facts-*"))


def test_built_once_and_reused(outcomes_db: Path) -> None:
    assert sidecars(outcomes_db) == []
    summary(outcomes_db, as_of=AS_OF)
    (first,) = sidecars(outcomes_db)
    built_at = first.stat().st_mtime_ns
    summary(outcomes_db, as_of=AS_OF)
    assert sidecars(outcomes_db) == [first]
    assert first.stat().st_mtime_ns == built_at


def test_rebuilt_when_a_load_replaces_the_store(outcomes_db: Path, tmp_path: Path) -> None:
    assert summary(outcomes_db, as_of=AS_OF).iloc[0]["n_cases"] == 13
    (old,) = sidecars(outcomes_db)
    # a load writes a copy and moves it over the live file, as pipelines.store does
    cases, rows = outcome_rows()
    replacement = make_store(
        tmp_path / "copy.duckdb",
        [*cases, case("N1")],
        [*rows, assessment("N1", "baseline", odi=40), assessment("N1", "12m", odi=10)],
    )
    os.replace(replacement, outcomes_db)
    row = summary(outcomes_db, as_of=AS_OF).iloc[0]
    assert (row["n_cases"], row["responders"]) == (14, 7)
    (new,) = sidecars(outcomes_db)  # the old one is cleaned up
    assert new != old


def test_fallback_when_the_sidecar_cannot_be_written(
    outcomes_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = summary(outcomes_db, by="pathway", as_of=AS_OF, min_cell=0)
    monkeypatch.setattr(facts, "ensure_sidecar", lambda _path: None)
    for stale in sidecars(outcomes_db):
        stale.unlink()
    got = summary(outcomes_db, by="pathway", as_of=AS_OF, min_cell=0)
    assert got.equals(expected)
    assert sidecars(outcomes_db) == []


def test_a_callers_connection_gets_temporary_facts(outcomes_db: Path) -> None:
    expected = summary(outcomes_db, by="pathway", as_of=AS_OF, min_cell=0)
    with store.reader(outcomes_db) as con:
        got = summary(con, by="pathway", as_of=AS_OF, min_cell=0)
        again = summary(con, by="pathway", as_of=AS_OF, min_cell=0)  # reuses the temp table
    assert got.equals(expected)
    assert again.equals(expected)


def test_a_file_without_tables_is_reported_as_missing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(queries.StoreMissingError, match="has no case tables yet"):
        summary(db)
    assert main(["events", "--db", str(db)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "has no case tables yet" in line


def test_sql_comments_hold_no_markers() -> None:
    # markers in comments would be filled in too and break the statement
    folder = resources.files("analytics").joinpath("sql")
    for path in folder.iterdir():
        if path.name.endswith(".sql"):
            for line in path.read_text("utf-8").splitlines():
                if line.lstrip().startswith("--"):
                    assert not re.search(r"\{\{\w+\}\}", line), (path.name, line)


def test_user_text_only_travels_as_bound_parameters(outcomes_db: Path) -> None:
    hostile = "North Spine' or '1'='1"
    out = summary(outcomes_db, as_of=AS_OF, min_cell=0, filters=Filters(clinic=(hostile,)))
    assert out.iloc[0]["n_cases"] == 0
    with pytest.raises(AnalyticsError):
        queries.render("summary", group_cols=["cause) --"])


def test_leftovers_of_dead_builders_are_removed(outcomes_db: Path) -> None:
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    prefix = f".{outcomes_db.name}.facts-"
    orphan = outcomes_db.with_name(f"{prefix}0123456789ab-1-2-3.building-{dead_pid.pid}")
    older = outcomes_db.with_name(f"{prefix}0123456789ab-1-2-3")
    mine = outcomes_db.with_name(f"{prefix}0123456789ab-1-2-3.building-{os.getpid()}")
    for path in (orphan, older, mine):
        path.write_bytes(b"")
    summary(outcomes_db, as_of=AS_OF)
    assert not orphan.exists()
    assert not older.exists()
    assert mine.exists()  # a build still running in a live process is left alone

"""Issue 7: admins' and managers' queries run without the peer renaming (queries.for_viewer).

The renaming gives every name back unchanged when nobody's peers are hidden, so dropping
it must not change a figure: each figure is computed both ways on the loaded sample and
compared. Floats are compared to 1e-12 relative, not bit for bit: a different plan can add
the same values in another order (DuckDB sums doubles in parallel, in no fixed order).
A physician's queries keep the renaming (tests/access/test_scope_enforced.py checks what
they see).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from access.scope import Scope
from analytics import events, outcomes, overview, queries, trajectories, worklist
from analytics.adjust import pathways
from analytics.definitions import AnalyticsError
from analytics.filters import Filters
from pipelines.load import load_paths

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
TODAY = "2030-01-01"
MANAGER = Scope("manager", ("Lakeside Back Clinic",))
PHYSICIAN = Scope("physician", ("Harbour Spine Institute",), "Dr K. Adeyemi")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("viewer") / "fbss.duckdb"
    assert load_paths([SAMPLE], db).accepted
    return db


FIGURES: dict[str, Callable[[Path, Filters], Any]] = {
    "cases_by_period": lambda db, f: overview.cases_by_period(db, as_of=TODAY, filters=f),
    "headline": lambda db, f: overview.headline(db, as_of=TODAY, filters=f),
    "completeness": lambda db, f: overview.completeness(db, as_of=TODAY, filters=f),
    "summary": lambda db, f: outcomes.summary(
        db, by=("physician", "pathway"), as_of=TODAY, filters=f
    ),
    "followup_completion": lambda db, f: outcomes.followup_completion(
        db, by=("physician",), as_of=TODAY, filters=f
    ),
    "events_summary": lambda db, f: events.events_summary(
        db, by=("physician",), as_of=TODAY, filters=f
    ),
    "km_curves": lambda db, f: events.km_curves(
        db, event="reoperation", by=("pathway",), as_of=TODAY, filters=f
    ),
    "trajectory": lambda db, f: trajectories.trajectory(
        db, measure="odi", by=("pathway",), as_of=TODAY, filters=f
    ),
    "worklist": lambda db, f: worklist.worklist(db, as_of=TODAY, scope=f.scope),
    "adjusted": lambda db, f: _or_message(lambda: pathways.compare(db, as_of=TODAY, filters=f)),
}


def _or_message(figure: Callable[[], Any]) -> Any:
    """The figure, or the message when it cannot be computed (a clinic alone: too few)."""
    try:
        return figure()
    except AnalyticsError as exc:
        return str(exc)


def _same(a: Any, b: Any) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, nan_ok=True)
    else:
        assert a == b


@pytest.mark.parametrize("scope", [Scope.everything(), MANAGER], ids=["admin", "manager"])
@pytest.mark.parametrize("name", list(FIGURES))
def test_dropping_the_renaming_changes_no_figure(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch, name: str, scope: Scope
) -> None:
    filters = Filters(pathway=("less_invasive", "repeat_surgery"), scope=scope)
    new = FIGURES[name](sample_db, filters)
    monkeypatch.setattr(queries, "for_viewer", lambda sql, params: sql)  # the old queries
    old = FIGURES[name](sample_db, filters)
    _same(old, new)


def test_the_renaming_goes_only_when_nobody_is_hidden() -> None:
    sql = queries.cohort_sql()
    assert "'Peer '" in sql
    for scope in (Scope.everything(), MANAGER):
        assert "'Peer '" not in queries.for_viewer(sql, scope.params())
    assert queries.for_viewer(sql, PHYSICIAN.params()) == sql


def test_a_parameter_named_only_in_a_comment_is_not_bound() -> None:
    sql = "-- $hidden is explained here\nselect $shown::integer as x"
    assert queries.bind(sql, {"hidden": 1, "shown": 2}) == {"shown": 2}

"""The Overview's worklist shows its most urgent rows only, and says how many there are."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dashboard.followup import WORKLIST_SHOWN
from tests.analytics.builders import case, make_store
from tests.app.conftest import AppFactory, frame_with, open_page, texts


@pytest.fixture
def busy_store(tmp_path: Path) -> Path:
    """205 cases treated 40 days ago (their 6-week window, days 28-70, closes in 30 days)
    and 3 treated 200 days ago (their 6-month window, days 140-273, closes in 73 days):
    208 open windows, 205 of them due within 30 days."""
    today = dt.date.today()
    soon = [case(f"W{i:03d}", treatment_date=today - dt.timedelta(days=40)) for i in range(1, 206)]
    later = [
        case(f"L{i}", treatment_date=today - dt.timedelta(days=200), clinic="South")
        for i in range(1, 4)
    ]
    return make_store(tmp_path / "fbss.duckdb", soon + later)


def test_the_worklist_shows_the_200_most_urgent_and_states_the_total(
    make_app: AppFactory, busy_store: Path
) -> None:
    assert WORKLIST_SHOWN == 200
    at = open_page(make_app(busy_store, {"overview_section": "worklist"}), "Overview")
    assert not at.exception
    table = frame_with(at, "Days left")
    # the 200 most urgent, in the worklist's order (days left, timepoint, clinic, case)
    assert list(table["Case"]) == [f"W{i:03d}" for i in range(1, 201)]
    assert set(table["Days left"]) == {30}
    shown = texts(at)
    assert "205 follow-ups due in the next 30 days" in shown
    assert "of 208 open windows" in shown
    assert "200 of 208 shown, most urgent first" in shown

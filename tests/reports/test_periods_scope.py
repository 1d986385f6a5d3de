"""Report periods and scopes: parsing, previous periods, peer labels (issue 11)."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.definitions import AnalyticsError
from reports.periods import parse_period
from reports.scope import Scope, peer_labels, resolve

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end", "previous"),
    [
        ("2025", D(2025, 1, 1), D(2025, 12, 31), "2024"),
        ("2026-H1", D(2026, 1, 1), D(2026, 6, 30), "2025-H2"),
        ("2026-H2", D(2026, 7, 1), D(2026, 12, 31), "2026-H1"),
        ("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), "2026-Q2"),
        ("2026-Q1", D(2026, 1, 1), D(2026, 3, 31), "2025-Q4"),
        ("2024-q1", D(2024, 1, 1), D(2024, 3, 31), "2023-Q4"),  # lower case accepted
        ("2024-Q4", D(2024, 10, 1), D(2024, 12, 31), "2024-Q3"),
    ],
)
def test_period_bounds_and_previous(text: str, start: dt.date, end: dt.date, previous: str) -> None:
    period = parse_period(text)
    assert (period.start, period.end, period.as_of) == (start, end, end)
    assert period.previous().code == previous


def test_february_quarter_ends_on_the_last_day() -> None:
    assert parse_period("2024-Q1").end == D(2024, 3, 31)
    assert parse_period("2024-H1").end == D(2024, 6, 30)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-Q5", "quarters run Q1 to Q4"),
        ("2026-H3", "halves are H1 and H2"),
        ("2026Q3", "not a year"),
        ("26", "not a year"),
        ("2026-M1", "not a year"),
        ("", "not a year"),
    ],
)
def test_bad_periods_are_explained(text: str, words: str) -> None:
    with pytest.raises(AnalyticsError, match=words):
        parse_period(text)


def test_peer_labels_are_the_keyed_labels_of_the_cli_not_an_order_by_size() -> None:
    """Review 5, F8: the report numbered peers by exact size (largest first, ties by real
    name). Its labels are now DuckDB's keyed order, as analytics.queries.peer_name_sql
    numbers peers for the CLI and the dashboard: checked here against DuckDB itself."""
    import duckdb

    key = "0f" * 32
    everyone = ["Dr A", "Dr B", "Dr C", "Dr D", "Dr E"]
    labels = peer_labels(["Dr B", "Dr A", "Dr D"], own="Dr D", key=key, everyone=everyone)
    con = duckdb.connect()
    ranked = con.execute(
        "select name, row_number() over (order by sha256($k::varchar || name::varchar)) "
        "from unnest($names) as t(name) where name <> 'Dr D'",
        {"k": key, "names": everyone},
    ).fetchall()
    expected = {name: f"Peer {n}" for name, n in ranked}
    assert labels == {**expected, "Dr D": "Dr D"}  # every peer of the store, own unit named
    # not alphabetical for this key, and the same whatever the order names come in
    assert [expected[n] for n in ("Dr A", "Dr B", "Dr C", "Dr E")] != [
        f"Peer {i}" for i in range(1, 5)
    ]
    assert peer_labels(["Dr A"], own="Dr D", key=key, everyone=everyone[::-1]) == labels
    # another key, another order: the labels carry nothing a reader without it can undo
    other = peer_labels(everyone, own="Dr D", key="1e" * 32)
    assert other != peer_labels(everyone, own="Dr D", key=key)


def test_scope_resolution() -> None:
    options = {"clinic": ["Harbour", "Lakeside"], "physician": ["Dr A. Ng", "Dr B. Osei"]}
    assert resolve("clinic", "lakeside ", options) == Scope("clinic", "Lakeside")
    assert resolve("network", None, options) == Scope("network")
    with pytest.raises(AnalyticsError, match=r"did you mean 'Dr B\. Osei'"):
        resolve("physician", "Dr B Osei", options)
    with pytest.raises(AnalyticsError, match="clinics in the store: Harbour, Lakeside"):
        resolve("clinic", "Northgate", options)
    rest = Scope("clinic", "Harbour").rest(options)
    assert rest is not None
    assert rest.clinic == ("Lakeside",)
    assert Scope("network").rest(options) is None

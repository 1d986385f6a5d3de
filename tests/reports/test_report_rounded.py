"""A report made for a non-admin is published as the dashboard publishes to them: counts
rounded to 5, rates from the rounded counts, means and survival coarsened (independent
review F4: `fbss report --as` and the dashboard's Report action printed exact counts)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analytics.suppression import EVENTS_COUNTS, FIGURE_COUNTS, SUMMARY_COUNTS
from reports.content import ReportData
from reports.scope import Scope
from tests.reports.conftest import CLINIC, adjusted_pair, exact_and_published

COUNTS = (*SUMMARY_COUNTS, *EVENTS_COUNTS, *FIGURE_COUNTS)
FRAMES = ("by_cause", "km", "events_by_pathway", "followup", "new_by_year", "dropout")


@pytest.fixture(scope="module")
def reports(sample_db: Path) -> dict[int, ReportData]:
    return exact_and_published(sample_db, Scope("clinic", CLINIC), "2025", compare_previous=True)


def _counts(report: ReportData) -> list[float]:
    found: list[float] = []
    for column in report.headline:
        h = column.headline
        shown = (h.n_cases, h.followup_due, h.followup_returned, h.responder_n, h.responders)
        found += [float(c) for c in shown if c is not None]
    for name in FRAMES:
        frame = getattr(report, name)
        for col in COUNTS:
            if isinstance(frame, pd.DataFrame) and col in frame.columns:
                found += pd.to_numeric(frame[col], errors="coerce").dropna().tolist()
    assert report.adjusted is not None
    assert report.adjusted.comparison is not None
    found += [p["n_analysed"] for p in report.adjusted.comparison["pathways"]]
    assert report.adjusted.funnel is not None
    found += report.adjusted.funnel["n"].dropna().tolist()
    return [c for c in found if c is not None]


def test_every_printed_count_of_a_non_admin_report_is_a_multiple_of_5(
    reports: dict[int, ReportData],
) -> None:
    exact, rounded = _counts(reports[0]), _counts(reports[5])
    assert any(c % 5 for c in exact)  # the test can fail: exact counts are not all multiples
    assert rounded
    assert all(c % 5 == 0 for c in rounded)


def test_rates_come_from_the_rounded_counts_and_survival_is_whole_percent(
    reports: dict[int, ReportData],
) -> None:
    h = reports[5].headline[0].headline
    assert h.responders is not None
    assert h.responder_n
    assert h.responder_rate == pytest.approx(h.responders / h.responder_n)
    survival = reports[5].headline[0].headline.reoperation_free_12m
    assert survival is not None
    assert survival == round(survival, 2)
    exact = reports[0].headline[0].headline.reoperation_free_12m
    assert exact is not None
    assert math.isclose(survival, round(exact, 2))


def test_who_is_lost_and_completeness_are_published_too(
    reports: dict[int, ReportData],
) -> None:
    """Review 5, F2: "39 followed and 18 lost" and "86 records" beside a rounded headline."""
    import re

    from reports.sections import completeness_table, dropout_table

    exact, shown = reports[0], reports[5]
    assert exact.dropout is not None
    assert shown.dropout is not None
    pairs = {(int(a), int(b)) for a, b in exact.dropout[["n_followed", "n_lost"]].to_numpy()}
    assert any(a % 5 or b % 5 for a, b in pairs)
    assert set(shown.dropout["n_followed"] % 5) == {0}
    assert set(shown.dropout["n_lost"] % 5) == {0}
    table, _ = dropout_table(shown.dropout)
    said = re.search(r"(\d+) followed and (\d+) lost", table.notes[0])
    assert said is not None
    assert int(said.group(1)) % 5 == 0
    assert int(said.group(2)) % 5 == 0
    assert exact.completeness is not None
    assert shown.completeness is not None
    assert any(pd.to_numeric(exact.completeness["n_rows"]) % 5)
    assert set(shown.completeness["n_rows"] % 5) == {0}
    for row in completeness_table(shown.completeness).rows:
        assert int(row[2].replace(",", "")) % 5 == 0
        assert int(row[3].replace(",", "")) % 5 == 0


def test_the_adjusted_funnel_gives_back_only_rounded_counts(
    reports: dict[int, ReportData],
) -> None:
    """Review 5, F3: O = O/E x E and overall = adjusted rate / (O/E) on the report's table."""
    exact, shown = adjusted_pair(reports)
    assert exact.funnel is not None
    assert shown.funnel is not None
    e = exact.funnel[~exact.funnel["suppressed"].astype(bool)]
    assert (e["oe_ratio"] * e["expected"] - e["responders"]).abs().max() < 1e-9
    assert any(e["responders"] % 5)
    f = shown.funnel[~shown.funnel["suppressed"].astype(bool)]
    assert len(f) > 3
    assert set(f["expected"] % 5) == {0}
    ok = f["expected"] > 0
    assert (f["oe_ratio"][ok] * f["expected"][ok] - f["responders"][ok]).abs().max() < 1e-9
    overall = (f["adjusted_rate"][ok] / f["oe_ratio"][ok]).dropna()
    assert overall.round(12).nunique() == 1
    # the crude centre line: rounded responders over rounded n (whole numbers over 5s)
    assert shown.overall_n % 5 == 0
    assert exact.overall_n % 5 or shown.overall_n == exact.overall_n
    assert round(shown.overall_rate * shown.overall_n, 9) % 5 == 0

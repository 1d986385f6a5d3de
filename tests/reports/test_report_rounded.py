"""A report made for a non-admin is published as the dashboard publishes to them: counts
rounded to 5, rates from the rounded counts, means and survival coarsened (independent
review F4: `fbss report --as` and the dashboard's Report action printed exact counts)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analytics import overview
from analytics.suppression import EVENTS_COUNTS, FIGURE_COUNTS, SUMMARY_COUNTS
from reports.content import ReportData, build_report
from reports.periods import parse_period
from reports.scope import Scope
from tests.reports.conftest import CLINIC

COUNTS = (*SUMMARY_COUNTS, *EVENTS_COUNTS, *FIGURE_COUNTS)
FRAMES = ("by_cause", "km", "events_by_pathway", "followup", "new_by_year", "dropout")


@pytest.fixture(scope="module")
def reports(sample_db: Path) -> dict[int, ReportData]:
    options = overview.filter_options(sample_db)
    return {
        base: build_report(
            sample_db,
            Scope("clinic", CLINIC),
            parse_period("2025"),
            options=options,
            compare_previous=True,
            round_base=base,
        )
        for base in (0, 5)
    }


def _counts(report: ReportData) -> list[float]:
    found: list[float] = []
    for column in report.headline:
        h = column.headline
        found += [h.n_cases, h.followup_due, h.followup_returned, h.responder_n, h.responders]
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

"""The report made for a non-admin places its unit from the published figures only.

The sample's Dr K. Adeyemi, 2026-H1 (docs/analytics.md): exactly 14 responders against
12.1 expected, within the limits; published 15 against 10, which the rule before flagged
above the 95% limit. The report's box, table and sentence must not show that flag.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.display_rules import PUBLISHED_WITHIN_LABEL
from reports.adjusted_sections import PUBLISHED_WITHIN, funnel_table
from reports.content import ReportData
from reports.scope import Scope
from tests.reports.conftest import adjusted_pair, exact_and_published

ME = "Dr K. Adeyemi"


@pytest.fixture(scope="module")
def reports(sample_db: Path) -> dict[int, ReportData]:
    return exact_and_published(sample_db, Scope("physician", ME), "2026-H1")


def test_the_physicians_report_shows_no_flag_the_exact_figures_lack(
    reports: dict[int, ReportData],
) -> None:
    exact, shown = adjusted_pair(reports)
    assert exact.funnel is not None
    assert shown.funnel is not None
    mine = exact.funnel[exact.funnel["physician"] == ME].iloc[0]
    assert (int(mine["responders"]), round(float(mine["expected"]), 1)) == (14, 12.1)
    assert exact.unit_position == "Within the limits"
    own = shown.funnel[shown.funnel["physician"] == ME].iloc[0]
    assert (int(own["responders"]), float(own["expected"])) == (15, 10.0)
    assert own["position_95"] == "within"
    assert shown.unit_position == PUBLISHED_WITHIN_LABEL
    sentence, table = funnel_table(shown)
    assert sentence.endswith(PUBLISHED_WITHIN)
    assert [row[-1] for row in table.rows if row[0] == ME] == [PUBLISHED_WITHIN_LABEL]
    # exact report: the plain words
    sentence, table = funnel_table(exact)
    assert PUBLISHED_WITHIN not in sentence
    assert [row[-1] for row in table.rows if row[0] == ME] == ["Within the limits"]

"""The Overview's follow-up card and table by clinic, and the "Showing:" line (issue 12)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import followup, showing
from dashboard.downloads import file_name
from dashboard.state import View


def completion(rows: list[tuple[str, str, int | None, int | None, bool]]) -> pd.DataFrame:
    """followup_completion(by=("clinic",)) rows: clinic, timepoint, due, assessed, hidden."""
    out = []
    for clinic, tp, due, assessed, hidden in rows:
        rate = None if hidden or not due else assessed / due  # type: ignore[operator]
        out.append(
            {
                "clinic": clinic,
                "timepoint": tp,
                "n_due": due,
                "n_followup_returned": assessed,
                "followup_rate": rate,
                "followup_ci_low": None if rate is None else rate - 0.05,
                "followup_ci_high": None if rate is None else rate + 0.05,
                "suppressed": hidden,
            }
        )
    return pd.DataFrame(out)


def test_follow_up_by_clinic_is_worst_first_with_the_gap_to_80() -> None:
    frame = completion(
        [
            ("North", "12m", 40, 34, False),  # 85%: target met, no gap
            ("South", "12m", 50, 30, False),  # 60%: 20 points short
            ("East", "12m", 20, 9, False),  # 45%: unusable, 35 points short
            ("West", "12m", None, None, True),  # fewer than 5 due
            ("North", "6m", 40, 10, False),  # another timepoint: not in the table
        ]
    )
    table = followup.followup_by_unit(frame, "clinic")
    assert list(table["Clinic"]) == ["East", "South", "North", "West"]
    assert list(table["Follow-up (%)"].iloc[:3]) == [45.0, 60.0, 85.0]
    assert list(table["Gap to 80% (pts)"].iloc[:3]) == [35.0, 20.0, 0.0]
    assert list(table["Status"]) == [
        "under 50%: unusable",
        "under target",
        "target met",
        "fewer than 5 due: hidden (<5)",
    ]
    assert table["Returned"].iloc[3] == "hidden (<5)"


@pytest.mark.parametrize(
    ("timepoint", "delta"),
    [("12m", "-5.0 pts vs 80% target"), ("6w", None)],  # the target is set for 12 months
)
def test_follow_up_card_compares_with_the_target_only_at_12_months(
    timepoint: str, delta: str | None
) -> None:
    frame = completion([("", timepoint, 40, 30, False)]).drop(columns="clinic")
    card = followup.followup_card(frame, timepoint)
    assert (card.due, card.assessed, card.rate) == (40, 30, 0.75)
    assert card.delta_text == delta


def test_showing_line_and_file_names_name_the_filters_and_the_date() -> None:
    view = View(clinic=("Northgate",), age_band=("60-74",), cause=("pseudarthrosis",))
    day = dt.date(2026, 12, 2)
    assert showing.showing_line(view, day) == (
        "Showing: clinic Northgate, cause Pseudarthrosis, age 60–74 · data as of 02 Dec 2026"
    )
    assert showing.showing_line(View(), None) == "Showing: all cases"
    suffix = showing.file_suffix(view, day)
    assert suffix == "clinic-northgate_cause-pseudarthrosis_age-60-74_2026-12-02"
    assert file_name("Follow-up by clinic", suffix) == (
        "fbss-follow-up-by-clinic_clinic-northgate_cause-pseudarthrosis_age-60-74_2026-12-02.csv"
    )

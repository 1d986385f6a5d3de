"""Responder rates, change from baseline and follow-up, worked out by hand (issue 3)."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from pathlib import Path

import pandas as pd
import pytest

from analytics.definitions import SUMMARY_EXTRA_FIELDS, SUMMARY_FIELDS
from analytics.filters import Filters
from analytics.outcomes import summary
from tests.analytics.builders import AS_OF, row_of

Z = 1.959963984540054  # the 97.5% normal quantile
T5 = 2.570581835636314  # the 97.5% t quantile with 5 degrees of freedom


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval written out by hand."""
    p = k / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return centre - half, centre + half


def test_wilson_hand_formula_values() -> None:
    # pinned so a change in the hand formula itself cannot go unnoticed
    assert wilson(4, 5) == pytest.approx((0.375535, 0.963776), abs=1e-6)
    assert wilson(6, 9) == pytest.approx((0.354202, 0.879416), abs=1e-6)


def test_less_invasive_group_figures(outcomes_db: Path) -> None:
    out = summary(outcomes_db, by=["pathway"], as_of=AS_OF, min_cell=0)
    row = row_of(out, pathway="less_invasive")
    # L1-L10; L7 is the only one not due (treated 2024-06-01, 12 months on 2025-06-01)
    assert row["n_cases"] == 10
    assert row["n_due"] == 9
    # both ODI values: L1 L2 L3 L4 L8 L10 (L5 no 12m row, L6 no ODI in it, L9 no baseline)
    assert row["n_assessed"] == 6
    # returned (issue 8): those six and L9, whose 12-month ODI counts without a baseline
    assert (row["n_followup_returned"], row["n_no_baseline"]) == (7, 1)
    assert row["followup_rate"] == pytest.approx(7 / 9)
    assert row["n_excluded"] == 1  # L4: baseline 0 leaves no room for a percent threshold
    assert row["responders"] == 4  # L1 (exactly 30%), L3, L8, L10 (30% in decimals)
    assert row["responder_rate"] == pytest.approx(4 / 5)
    low, high = wilson(4, 5)
    assert row["responder_ci_low"] == pytest.approx(low, abs=1e-6)
    assert row["responder_ci_high"] == pytest.approx(high, abs=1e-6)
    # means over the six assessed cases
    assert row["baseline_mean"] == pytest.approx((50 + 50 + 40 + 0 + 20 + 20.2) / 6)
    assert row["followup_mean"] == pytest.approx((35 + 36 + 20 + 10 + 10 + 14.14) / 6)
    changes = [15, 14, 20, -10, 10, 6.06]
    mean = sum(changes) / 6
    half = T5 * statistics.stdev(changes) / math.sqrt(6)
    assert row["mean_change"] == pytest.approx(mean)
    assert row["mean_change_ci_low"] == pytest.approx(mean - half, abs=1e-6)
    assert row["mean_change_ci_high"] == pytest.approx(mean + half, abs=1e-6)
    low, high = wilson(7, 9)
    assert row["followup_ci_low"] == pytest.approx(low, abs=1e-6)
    assert row["followup_ci_high"] == pytest.approx(high, abs=1e-6)
    assert not row["suppressed"]


def test_overall_row_and_field_order(outcomes_db: Path) -> None:
    out = summary(outcomes_db, as_of=AS_OF, min_cell=0)
    assert list(out.columns) == [*SUMMARY_FIELDS, *SUMMARY_EXTRA_FIELDS]
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["timepoint"], row["measure"]) == ("12m", "odi")
    # L: 10 cases, 9 due, 6 assessed, 1 excluded, 4 responders; R: 3, 3, 3, 0, 2
    assert (row["n_cases"], row["n_due"], row["n_assessed"]) == (13, 12, 9)
    assert (row["n_excluded"], row["responders"]) == (1, 6)
    assert row["responder_rate"] == pytest.approx(6 / 8)


def test_as_of_decides_what_is_due(outcomes_db: Path) -> None:
    # The 12-month window of a case treated 2023-06-01 closes 548 days later, 2024-11-30
    # (issue 8). The day before, only cases whose 12-month row is already dated (on
    # 2024-05-31) are due: L1-L4, L6, L9, L10 and R1-R3 = 10 (L8's row is dated
    # 2024-12-15, not yet known); on the day, L5 too.
    closes = dt.date(2023, 6, 1) + dt.timedelta(days=548)
    assert closes == dt.date(2024, 11, 30)
    before = summary(outcomes_db, as_of=closes - dt.timedelta(days=1), min_cell=0).iloc[0]
    on_the_day = summary(outcomes_db, as_of=closes, min_cell=0).iloc[0]
    assert before["n_due"] == 10
    assert on_the_day["n_due"] == 11
    # L1-L4, L10, R1-R3 (L8 is not known yet)
    assert before["n_assessed"] == on_the_day["n_assessed"] == 8


@pytest.mark.parametrize(
    ("responder", "n_assessed", "n_excluded", "responders"),
    [
        # leg pain 1->0 excluded (baseline 1 below 2 points); 2->0 reaches 2 exactly;
        # 5->4 does not; 6->4 does
        ("leg_pain:2", 4, 1, 2),
        # 1->0 and 2->0 are 100%; 5->4 20%; 6->4 33%; a baseline of 1 is room enough
        ("leg_pain:50%", 4, 0, 2),
        # 0.32->0.42 reaches 0.10 (0.0999... in floating point); 0.90->1.00 is not
        # excluded (not above 1.0 - 0.1) and reaches it; 0.95 is excluded; 0.50->0.55 not
        ("eq5d:0.1", 4, 1, 2),
        ("eq5d_mic", 4, 1, 2),
        # ODI 18.8 points: only L4 (baseline 0) is excluded; L3 (20) and R1 (30) respond
        ("odi_scb", 9, 1, 2),
    ],
)
def test_thresholds_and_exclusions(
    outcomes_db: Path, responder: str, n_assessed: int, n_excluded: int, responders: int
) -> None:
    row = summary(outcomes_db, responder=responder, as_of=AS_OF, min_cell=0).iloc[0]
    assert (row["n_assessed"], row["n_excluded"], row["responders"]) == (
        n_assessed,
        n_excluded,
        responders,
    )
    assert row["responder_rate"] == pytest.approx(responders / (n_assessed - n_excluded))


def test_comma_separated_rules_give_one_row_per_measure(outcomes_db: Path) -> None:
    out = summary(outcomes_db, responder="leg_pain:50%,back_pain:50%", as_of=AS_OF, min_cell=0)
    assert list(out["measure"]) == ["leg_pain", "back_pain"]
    leg, back = out.iloc[0], out.iloc[1]
    assert (leg["n_assessed"], leg["responders"]) == (4, 2)
    # nobody has back pain recorded: no denominator, so no rate and no interval
    assert back["n_assessed"] == 0
    assert pd.isna(back["responder_rate"])
    assert pd.isna(back["responder_ci_low"])
    assert pd.isna(back["mean_change"])
    assert pd.isna(back["mean_change_ci_low"])


def test_small_groups_are_suppressed_with_the_secondary_step(outcomes_db: Path) -> None:
    # repeat surgery has 3 (< 5) in its denominator; with two groups, the overall figure
    # minus less-invasive would reveal it, so less-invasive (5) is suppressed too
    out = summary(outcomes_db, by="pathway", as_of=AS_OF)
    assert out["suppressed"].tolist() == [True, True]
    assert out[["n_cases", "responders", "responder_rate", "mean_change"]].isna().all().all()
    assert out["pathway"].tolist() == ["less_invasive", "repeat_surgery"]  # keys stay
    # min_cell 3: both shown
    shown = summary(outcomes_db, by="pathway", as_of=AS_OF, min_cell=3)
    assert shown["suppressed"].tolist() == [False, False]
    # the ungrouped figure (denominator 8) is shown at the default
    assert not summary(outcomes_db, as_of=AS_OF).iloc[0]["suppressed"]


def test_filters_narrow_the_cases(outcomes_db: Path) -> None:
    only_r = summary(
        outcomes_db, as_of=AS_OF, min_cell=0, filters=Filters(treatment=("revision_fusion",))
    ).iloc[0]
    assert (only_r["n_cases"], only_r["responders"]) == (3, 2)
    late = summary(
        outcomes_db,
        as_of=AS_OF,
        min_cell=0,
        filters=Filters(treatment_from=dt.date(2024, 1, 1), treatment_to=dt.date(2024, 12, 31)),
    ).iloc[0]
    assert (late["n_cases"], late["n_due"], late["responders"]) == (2, 1, 1)  # L7, L8
    nobody = summary(
        outcomes_db, as_of=AS_OF, min_cell=0, filters=Filters(clinic=("Elsewhere",))
    ).iloc[0]
    assert (nobody["n_cases"], nobody["n_due"], nobody["n_assessed"]) == (0, 0, 0)
    assert pd.isna(nobody["followup_rate"])


def test_grouped_result_with_no_cases_is_empty(outcomes_db: Path) -> None:
    out = summary(outcomes_db, by="cause", filters=Filters(clinic=("Elsewhere",)), as_of=AS_OF)
    assert out.empty
    assert list(out.columns) == ["cause", *SUMMARY_FIELDS, *SUMMARY_EXTRA_FIELDS]


def test_several_timepoints(outcomes_db: Path) -> None:
    out = summary(outcomes_db, timepoint=["6w", "12m"], as_of=AS_OF, min_cell=0)
    assert out["timepoint"].tolist() == ["6w", "12m"]
    six_weeks = out.iloc[0]
    # everyone is past 6 weeks on AS_OF (even L7/L8, treated 2024-06-01); nobody has a
    # 6-week assessment
    assert six_weeks["n_due"] == 13
    assert six_weeks["n_assessed"] == 0

"""The figures the dashboard reads besides summary/events, on the hand-made stores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats as sps

from analytics.outcomes import (
    change_distribution,
    followup_completion,
    funnel,
    trajectory,
)
from analytics.overview import (
    cases_by_period,
    completeness,
    filter_options,
    headline,
    load_history,
)
from tests.analytics.builders import AS_OF, DAY0, assessment, case, make_store, row_of
from tests.analytics.conftest import LATE


def test_open_cohort_trajectory_means_per_timepoint(outcomes_db: Path) -> None:
    out = trajectory(outcomes_db, measure="odi", by=["pathway"], min_cell=0, paired=False)
    assert set(out["cohort"]) == {"open"}
    base = row_of(out, pathway="less_invasive", timepoint="baseline")
    # every recorded baseline ODI of L1-L10 (L9 has none)
    assert base["n_values"] == 9
    assert base["mean"] == pytest.approx((50 + 50 + 40 + 0 + 60 + 30 + 45 + 20 + 20.2) / 9)
    year = row_of(out, pathway="less_invasive", timepoint="12m")
    # L6's 12-month row has no ODI; L9's counts although it has no baseline
    assert year["n_values"] == 7
    assert year["mean"] == pytest.approx((35 + 36 + 20 + 10 + 10 + 30 + 14.14) / 7)
    assert year["ci_low"] < year["mean"] < year["ci_high"]
    assert out[out["pathway"] == "less_invasive"]["timepoint"].tolist() == ["baseline", "12m"]
    # default min_cell: repeat surgery has 3 values at each timepoint -> hidden, and so is
    # less invasive at the same timepoint (secondary step, per timepoint)
    hidden = trajectory(outcomes_db, measure="odi", by=["pathway"], paired=False)
    assert hidden["suppressed"].all()
    assert hidden["mean"].isna().all()


def test_change_distribution_bins(outcomes_db: Path) -> None:
    out = change_distribution(
        outcomes_db, measure="odi", timepoint="12m", by=["pathway"], bin_width=5, min_cell=0
    )
    less = out[out["pathway"] == "less_invasive"]
    # improvements 15, 14, 20, -10, 10, 6.06 in bins of 5 points
    assert less["bin_low"].tolist() == [-10, 5, 10, 15, 20]
    assert less["n_cases"].tolist() == [1, 1, 2, 1, 1]
    assert set(less["group_n"]) == {6}
    assert less["share"].sum() == pytest.approx(1.0)
    repeat = out[out["pathway"] == "repeat_surgery"]
    assert repeat["bin_low"].tolist() == [0, 5, 30]  # 4, 9 and 30 points
    suppressed = change_distribution(outcomes_db, by=["pathway"], bin_width=5)
    assert len(suppressed) == 2
    assert suppressed["suppressed"].all()
    assert suppressed["bin_low"].isna().all()


def test_default_bin_widths() -> None:
    from analytics.outcomes import default_bin_width

    assert default_bin_width("leg_pain") == 1.0
    assert default_bin_width("odi") == 5.0
    assert default_bin_width("eq5d") == pytest.approx(0.08)


def test_followup_completion_by_timepoint(outcomes_db: Path) -> None:
    out = followup_completion(outcomes_db, by=["pathway"], as_of=AS_OF, min_cell=0)
    assert out[out["pathway"] == "less_invasive"]["timepoint"].tolist() == [
        "6w", "3m", "6m", "12m", "24m",
    ]  # fmt: skip
    year = row_of(out, pathway="less_invasive", timepoint="12m")
    assert (year["n_due"], year["n_assessed"]) == (9, 6)
    assert (year["meets_target"], year["unusable"]) == (False, False)
    repeat = row_of(out, pathway="repeat_surgery", timepoint="12m")
    assert repeat["followup_rate"] == 1.0
    assert repeat["meets_target"]
    six_weeks = row_of(out, pathway="less_invasive", timepoint="6w")
    assert (six_weeks["n_due"], six_weeks["n_assessed"], six_weeks["unusable"]) == (10, 0, True)
    # 24 months after 2023-06-01 is 2025-05-31: nobody is due on AS_OF
    two_years = row_of(out, pathway="less_invasive", timepoint="24m")
    assert two_years["n_due"] == 0
    assert pd.isna(two_years["followup_rate"])
    assert pd.isna(two_years["meets_target"])


def _funnel_store(path: Path) -> Path:
    # Dr A: 10 assessed, 9 respond; Dr B: 8 assessed, 1 responds; Dr C: 2, 1 responds
    plan = {"Dr A": (10, 9), "Dr B": (8, 1), "Dr C": (2, 1)}
    cases, rows = [], []
    for physician, (n, responders) in plan.items():
        for i in range(n):
            cid = f"{physician[-1]}{i}"
            cases.append(case(cid, physician=physician))
            rows.append(assessment(cid, "baseline", odi=50))
            rows.append(assessment(cid, "12m", odi=20 if i < responders else 45))
    return make_store(path, cases, rows)


def test_funnel_points_and_limits(tmp_path: Path) -> None:
    db = _funnel_store(tmp_path / "funnel.duckdb")
    f = funnel(db, unit="physician", as_of=AS_OF, min_cell=0)
    assert f.overall_rate == pytest.approx(11 / 20)
    assert f.n_total == 20
    p = 11 / 20
    a = row_of(f.points, physician="Dr A")
    assert (a["n"], a["responders"], a["responder_rate"]) == (10, 9, 0.9)
    # the exact one-sided tails at the overall rate decide the positions:
    # P(R >= 9 | 10, 0.55) = 0.023 is below 2.5% but above 0.1%
    assert 0.001 < sps.binom.sf(8, 10, p) < 0.025
    assert (a["position_95"], a["position_998"]) == ("above", "within")
    # P(R <= 1 | 8, 0.55) = 0.018
    b = row_of(f.points, physician="Dr B")
    assert 0.001 < sps.binom.cdf(1, 8, p) < 0.025
    assert (b["position_95"], b["position_998"]) == ("below", "within")
    c = row_of(f.points, physician="Dr C")
    assert (c["position_95"], c["position_998"]) == ("within", "within")
    assert f.limits["n"].tolist() == list(range(1, 11))  # up to the largest unit
    assert (f.limits["lower_95"] <= p).all()
    assert (f.limits["upper_95"] >= p).all()
    assert (f.limits["lower_998"] <= f.limits["lower_95"]).all()
    # default min_cell: Dr C (2) is hidden, so Dr B (next smallest) is hidden too, and
    # the limits stop at the largest shown unit
    hidden = funnel(db, unit="physician", as_of=AS_OF)
    assert hidden.points["suppressed"].tolist() == [False, True, True]
    assert hidden.points["responder_rate"].isna().tolist() == [False, True, True]
    assert hidden.overall_rate == pytest.approx(11 / 20)
    assert hidden.limits["n"].max() == 10


def test_funnel_needs_one_measure(outcomes_db: Path) -> None:
    from analytics.definitions import AnalyticsError

    with pytest.raises(AnalyticsError, match="one rule"):
        funnel(outcomes_db, responder="leg_pain:50%,back_pain:50%")
    with pytest.raises(AnalyticsError, match="funnel unit"):
        funnel(outcomes_db, unit="cause")


def test_cases_by_period(outcomes_db: Path) -> None:
    out = cases_by_period(outcomes_db, by=["pathway"], period="quarter", min_cell=0)
    assert out["period_start"].tolist() == [
        pd.Timestamp("2023-04-01"), pd.Timestamp("2023-04-01"), pd.Timestamp("2024-04-01"),
    ]  # fmt: skip
    assert out["pathway"].tolist() == ["less_invasive", "repeat_surgery", "less_invasive"]
    assert out["n_cases"].tolist() == [8, 3, 2]
    # min_cell 5: 3 and 2 are small; the 2023 quarter's total would reveal repeat surgery
    # from less invasive, and the less-invasive total would reveal 2024 from 2023
    hidden = cases_by_period(outcomes_db, by=["pathway"], min_cell=5)
    assert hidden["suppressed"].tolist() == [True, True, True]


def test_completeness(outcomes_db: Path) -> None:
    out = completeness(outcomes_db)
    cases = row_of(out, table="cases", column="bmi")
    assert (cases["n_rows"], cases["n_present"], cases["share_present"]) == (13, 0, 0.0)
    odi = row_of(out, table="assessments", column="odi")
    assert (odi["n_rows"], odi["n_present"]) == (23, 22)  # L6's 12-month row has none
    assert row_of(out, table="events", column="event")["n_rows"] == 0


def test_headline(outcomes_db: Path) -> None:
    h = headline(outcomes_db, as_of=AS_OF, min_cell=0)
    assert (h.n_cases, h.n_recent) == (13, 0)
    assert (h.followup_due, h.followup_assessed) == (12, 9)
    assert (h.responders, h.responder_n, h.responder_measure) == (6, 8, "odi")
    assert h.responder_rate == pytest.approx(0.75)
    assert h.responder_ci is not None
    assert h.responder_ci[0] < 0.75 < h.responder_ci[1]
    # no events: everyone event-free; some cases are followed to day 365
    assert h.reoperation_free_12m == 1.0
    recent = headline(outcomes_db, as_of=dt.date(2024, 6, 30), min_cell=0)
    assert recent.n_recent == 2  # L7 and L8, treated 2024-06-01
    assert headline(outcomes_db, as_of=dt.date(2024, 6, 30)).n_recent is None  # 2 < 5


def test_filter_options_and_load_history(outcomes_db: Path) -> None:
    options = filter_options(outcomes_db)
    assert options == {
        "clinic": ["North Spine"],
        "physician": ["Dr A"],
        "first_treatment": DAY0,
        "last_treatment": LATE,
        "n_cases": 13,
    }
    history = load_history(outcomes_db)
    assert history.empty
    assert "outcome" in history.columns

"""Event rates and Kaplan–Meier event-free survival, worked out by hand (issues 3, 8).

The cases are described in conftest.event_rows(), seen on AS_OF = day 800 after DAY0.
Under the default event capture (`complete`: event-free cases followed to the as-of
date), for the E group (6 cases):
  reoperation   times 100e 300e, the other four 800c
                at risk 6 at day 100 (S = 5/6), 5 at day 300 (S = 5/6 * 4/5 = 2/3)
                Greenwood sum by day 300: 1/(6*5) + 1/(5*4) = 1/12
  complication  times 500e, the other five 800c: S = 5/6 from day 500
Under `at_contact` (time ends at the last assessment; later events not counted):
  reoperation   E4 0c (baseline only), E2 182c, E3 182c (its day-300 reoperation came
                after its last assessment), E5 365c, E1 100e, E6 730c: S = 4/5 from day 100
tests/analytics/test_followup_rules.py checks both rules against lifelines.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analytics.definitions import EVENTS_EXTRA_FIELDS, EVENTS_FIELDS
from analytics.events import events_summary, km_curves, numbers_at_risk
from analytics.filters import Filters
from tests.analytics.builders import DAY0, days_after, row_of
from tests.analytics.test_summary import Z, wilson


def loglog_interval(s: float, greenwood: float) -> tuple[float, float]:
    """The exponential Greenwood ("log(-log)") interval written out by hand."""
    v = math.log(s)
    spread = Z * math.sqrt(greenwood) / v
    return (
        math.exp(-math.exp(math.log(-v) - spread)),
        math.exp(-math.exp(math.log(-v) + spread)),
    )


AS_OF = days_after(DAY0, 800)


def test_reoperation_in_the_e_group(events_db: Path) -> None:
    out = events_summary(events_db, by=["pathway"], min_cell=0, as_of=AS_OF)
    row = row_of(out, pathway="less_invasive", event="reoperation")
    assert (row["n_cases"], row["n_with_event"]) == (6, 2)
    assert row["event_capture"] == "complete"
    assert row["event_rate"] == pytest.approx(2 / 6)
    low, high = wilson(2, 6)
    assert row["event_ci_low"] == pytest.approx(low, abs=1e-6)
    assert row["event_ci_high"] == pytest.approx(high, abs=1e-6)
    assert row["km_free_12m"] == pytest.approx(2 / 3)
    # event-free cases are followed to day 800, so the 24-month estimate exists (no change)
    assert row["km_free_24m"] == pytest.approx(2 / 3)
    low, high = loglog_interval(2 / 3, 1 / 12)
    assert row["km_free_12m_ci_low"] == pytest.approx(low, abs=1e-6)
    assert row["km_free_12m_ci_high"] == pytest.approx(high, abs=1e-6)
    assert row["km_free_24m_ci_low"] == pytest.approx(low, abs=1e-6)
    assert not row["suppressed"]


def test_complication_after_the_last_assessment(events_db: Path) -> None:
    out = events_summary(events_db, by=["pathway"], events="complication", min_cell=0, as_of=AS_OF)
    row = row_of(out, pathway="less_invasive")
    assert (row["n_cases"], row["n_with_event"]) == (6, 1)
    # nothing happens by day 365: survival 1 with the degenerate interval (1, 1)
    assert (row["km_free_12m"], row["km_free_12m_ci_low"], row["km_free_12m_ci_high"]) == (
        1.0,
        1.0,
        1.0,
    )
    assert row["km_free_24m"] == pytest.approx(5 / 6)
    low, high = loglog_interval(5 / 6, 1 / (6 * 5))
    assert row["km_free_24m_ci_low"] == pytest.approx(low, abs=1e-6)
    assert row["km_free_24m_ci_high"] == pytest.approx(high, abs=1e-6)
    # at_contact: E5's complication (day 500) came after its last assessment (day 365)
    contact = events_summary(
        events_db, by=["pathway"], events="complication", min_cell=0, as_of=AS_OF,
        event_capture="at_contact",
    )  # fmt: skip
    row = row_of(contact, pathway="less_invasive")
    assert (row["n_with_event"], row["km_free_24m"], row["event_capture"]) == (
        0, 1.0, "at_contact",
    )  # fmt: skip


def test_24_months_null_when_nobody_followed_that_long(events_db: Path) -> None:
    # as of day 600, no event-free case can have been followed 730 days
    out = events_summary(events_db, by=["pathway"], min_cell=0, as_of=days_after(DAY0, 600))
    row = row_of(out, pathway="repeat_surgery", event="reoperation")
    # F1 reoperated on day 200 of 5 at risk; the others are followed to day 600
    assert (row["n_cases"], row["n_with_event"]) == (5, 1)
    assert row["km_free_12m"] == pytest.approx(0.8)
    low, _high = loglog_interval(0.8, 1 / (5 * 4))
    assert row["km_free_12m_ci_low"] == pytest.approx(low, abs=1e-6)
    assert pd.isna(row["km_free_24m"])
    assert pd.isna(row["km_free_24m_ci_low"])


def test_no_events_of_a_type(events_db: Path) -> None:
    row = events_summary(events_db, events=["readmission"], min_cell=0).iloc[0]
    assert (row["n_cases"], row["n_with_event"], row["event_rate"]) == (11, 0, 0.0)
    assert row["event_ci_low"] == 0.0
    assert row["event_ci_high"] == pytest.approx(wilson(0, 11)[1], abs=1e-6)
    assert (row["km_free_12m"], row["km_free_24m"]) == (1.0, 1.0)


def test_fields_order_and_event_order(events_db: Path) -> None:
    out = events_summary(events_db, min_cell=0)
    assert list(out.columns) == [*EVENTS_FIELDS, *EVENTS_EXTRA_FIELDS]
    assert out["event"].tolist() == [
        "reoperation",
        "crossover",
        "complication",
        "readmission",
        "device_revision",
    ]
    reop = out.iloc[0]
    assert (reop["n_cases"], reop["n_with_event"]) == (11, 3)


def test_suppression_is_per_event_type_with_secondary_step(events_db: Path) -> None:
    # min_cell 6: repeat surgery (5 cases) is suppressed; being the only one, the next
    # smallest group (less invasive, 6) is suppressed too, for every event type
    out = events_summary(events_db, by="pathway", min_cell=6, as_of=AS_OF)
    assert out["suppressed"].all()
    figures = [
        c
        for c in (*EVENTS_FIELDS, *EVENTS_EXTRA_FIELDS)
        if c not in ("event", "event_capture", "suppressed")
    ]
    assert out[figures].isna().all().all()
    shown = events_summary(events_db, by="pathway", min_cell=5)
    assert not shown["suppressed"].any()


def test_no_cases_in_view(events_db: Path) -> None:
    out = events_summary(events_db, min_cell=0, filters=Filters(clinic=("Elsewhere",)))
    assert out["n_cases"].tolist() == [0] * 5
    assert out["event_rate"].isna().all()
    assert out["km_free_12m"].isna().all()
    grouped = events_summary(events_db, by="cause", filters=Filters(clinic=("Elsewhere",)))
    assert grouped.empty


def test_curve_and_numbers_at_risk(events_db: Path) -> None:
    curve = km_curves(
        events_db, event="reoperation", by=["pathway"], min_cell=0, as_of=AS_OF,
        event_capture="at_contact",
    )  # fmt: skip
    e = curve[curve["pathway"] == "less_invasive"]
    # at_contact times: E4 0c, E1 100e, E2 and E3 182c, E5 365c, E6 730c
    assert e["day"].tolist() == [0, 100, 182, 365, 730]
    assert e["survival"].tolist() == pytest.approx([1, 0.8, 0.8, 0.8, 0.8])
    assert e["at_risk"].tolist() == [6, 5, 4, 2, 1]
    assert e["n_events"].tolist() == [0, 1, 0, 0, 0]
    assert e["n_censored"].tolist() == [1, 0, 2, 1, 1]
    risk = numbers_at_risk(curve, ["pathway"], days=[0, 100, 365, 400, 730, 731])
    e_risk = risk[risk["pathway"] == "less_invasive"]["at_risk"].tolist()
    # on day 400 only E6 (last assessed on day 730) is still at risk
    assert e_risk == [6, 5, 2, 1, 1, 0]


def test_curve_of_a_suppressed_group_is_hidden(events_db: Path) -> None:
    curve = km_curves(events_db, event="reoperation", by=["pathway"], min_cell=6)
    assert curve["suppressed"].all()
    assert len(curve) == 2  # one marker row per group, no points
    assert curve["day"].isna().all()


def test_an_event_on_the_treatment_day_counts_at_contact(tmp_path: Path) -> None:
    """Under at_contact the treatment is a contact: a reoperation that day is known even
    when the only assessment (the baseline) was dated a week before (review 2026-12-02:
    it was left out, while the case's time was already counted as ending on day 0)."""
    from tests.analytics.builders import assessment, case, event, make_store

    cases = [case("G1"), case("G2")]
    rows = [assessment(c["case_id"], "baseline", odi=40) for c in cases]  # day -7
    events = [event("G1", "reoperation", DAY0)]
    db = make_store(tmp_path / "day0.duckdb", cases, rows, events)
    out = events_summary(
        db, events="reoperation", min_cell=0, as_of=AS_OF, event_capture="at_contact"
    )
    assert (out["n_cases"].iloc[0], out["n_with_event"].iloc[0]) == (2, 1)
    curve = km_curves(db, event="reoperation", min_cell=0, as_of=AS_OF, event_capture="at_contact")
    # day 0: 2 at risk, G1's reoperation, G2 censored at its last contact: S = 1/2
    assert curve["day"].tolist() == [0]
    assert curve["at_risk"].tolist() == [2]
    assert curve["n_events"].tolist() == [1]
    assert curve["n_censored"].tolist() == [1]
    assert curve["survival"].tolist() == pytest.approx([0.5])

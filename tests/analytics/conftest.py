"""Hand-made stores whose every figure is worked out in the tests that use them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.analytics.builders import DAY0, assessment, case, days_after, event, make_store

LATE = dt.date(2024, 6, 1)  # treated a year after DAY0: 12 months not yet due on AS_OF


def outcome_rows() -> tuple[list[dict], list[dict]]:
    """Ten less-invasive cases (L*) and three repeat-surgery cases (R*).

    ODI at baseline -> 12 months, and what each case is for:
      L1  50 -> 35     improvement 15 = exactly 30%: a responder (threshold reached)
      L2  50 -> 36     28%: not a responder
      L3  40 -> 20     50%: responder
      L4   0 -> 10     baseline 0: no room for a percent improvement, excluded
      L5  60 -> none   due, no 12-month assessment: missing follow-up
      L6  30 -> row without ODI (leg pain only): due, not assessed for ODI
      L7  treated LATE, no 12-month row: not yet due on AS_OF (2025-01-01)
      L8  treated LATE, 12-month row already there (early): due; 20 -> 10 = 50%
      L9  no baseline, 12 months 30: due, not assessed
      L10 20.2 -> 14.14 = 30% (29.999999999999996 in floating point): a responder
      R1  50 -> 20 (60%), R2 44 -> 40 (9%), R3 30 -> 21 (30%)
    Leg pain (for leg_pain:2 and leg_pain:50%) on L1-L4: 1->0, 2->0, 5->4, 6->4.
    EQ-5D (for eq5d:0.1) on L1-L4: 0.32->0.42, 0.90->1.00, 0.95->1.00, 0.50->0.55.
    """
    cases = [case(f"L{i}") for i in range(1, 11) if i not in (7, 8)]
    cases += [case("L7", treatment_date=LATE), case("L8", treatment_date=LATE)]
    cases += [case(f"R{i}", treatment="revision_fusion") for i in range(1, 4)]
    a = assessment
    rows = [
        a("L1", "baseline", odi=50, leg_pain=1, eq5d=0.32),
        a("L1", "12m", odi=35, leg_pain=0, eq5d=0.42),
        a("L2", "baseline", odi=50, leg_pain=2, eq5d=0.90),
        a("L2", "12m", odi=36, leg_pain=0, eq5d=1.00),
        a("L3", "baseline", odi=40, leg_pain=5, eq5d=0.95),
        a("L3", "12m", odi=20, leg_pain=4, eq5d=1.00),
        a("L4", "baseline", odi=0, leg_pain=6, eq5d=0.50),
        a("L4", "12m", odi=10, leg_pain=4, eq5d=0.55),
        a("L5", "baseline", odi=60),
        a("L6", "baseline", odi=30),
        a("L6", "12m", leg_pain=3),
        a("L7", "baseline", odi=45, on=days_after(LATE, -7)),
        a("L8", "baseline", odi=20, on=days_after(LATE, -7)),
        a("L8", "12m", odi=10, on=dt.date(2024, 12, 15)),
        a("L9", "12m", odi=30),
        a("L10", "baseline", odi=20.2),
        a("L10", "12m", odi=14.14),
        a("R1", "baseline", odi=50),
        a("R1", "12m", odi=20),
        a("R2", "baseline", odi=44),
        a("R2", "12m", odi=40),
        a("R3", "baseline", odi=30),
        a("R3", "12m", odi=21),
    ]
    return cases, rows


@pytest.fixture
def outcomes_db(tmp_path: Path) -> Path:
    """The store described in outcome_rows()."""
    cases, rows = outcome_rows()
    return make_store(tmp_path / "outcomes.duckdb", cases, rows)


def event_rows() -> tuple[list[dict], list[dict], list[dict]]:
    """Six less-invasive cases (E*) and five repeat-surgery cases (F*), all treated DAY0.

    Days after treatment (c = censored at the last contact, e = event):
      E1 reoperation day 100; assessments to 12 months (365)  reop e100, complication c365
      E2 no events; last assessment 6 months (182)            c182 for every event type
      E3 reoperation day 300; assessments to 6 months         reop e300, complication c300
      E4 only a baseline visit before treatment               c0 (a pre-treatment contact)
      E5 complication day 500; assessments to 12 months       reop c500 (the complication
                                                              is its last contact)
      E6 no events; assessments to 24 months (730)            c730
      F1 reoperation day 200; F2-F5 assessments to 12 months  (nobody followed 730 days)
    """
    cases = [case(f"E{i}") for i in range(1, 7)]
    cases += [case(f"F{i}", treatment="revision_fusion") for i in range(1, 6)]
    a = assessment
    rows = [a(c["case_id"], "baseline", odi=40) for c in cases]
    rows += [a("E1", "6m", odi=30), a("E1", "12m", odi=30)]
    rows += [a("E2", "6m", odi=30)]
    rows += [a("E3", "6m", odi=30)]
    rows += [a("E5", "12m", odi=30)]
    rows += [a("E6", "12m", odi=30), a("E6", "24m", odi=30)]
    rows += [a(f"F{i}", "12m", odi=30) for i in range(2, 6)]
    events = [
        event("E1", "reoperation", days_after(DAY0, 100)),
        event("E3", "reoperation", days_after(DAY0, 300)),
        event("E5", "complication", days_after(DAY0, 500)),
        event("F1", "reoperation", days_after(DAY0, 200)),
    ]
    return cases, rows, events


@pytest.fixture
def events_db(tmp_path: Path) -> Path:
    """The store described in event_rows()."""
    cases, rows, events = event_rows()
    return make_store(tmp_path / "events.duckdb", cases, rows, events)

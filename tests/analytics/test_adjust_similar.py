"""`similar`: patients like mine, hand-worked (issue 9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from analytics.adjust.similar import NOTE, band_of, similar
from analytics.definitions import AnalyticsError
from tests.analytics.builders import assessment, case, make_store


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (30.0, "clearly_better"),  # 30% is "30% or more"
        (29.9, "somewhat_better"),
        (10.0, "somewhat_better"),
        (9.9, "unchanged"),
        (-9.9, "unchanged"),
        (-10.0, "worse"),  # an ODI 10% higher is worse
    ],
)
def test_bands_of_odi_change(percent: float, band: str) -> None:
    assert band_of(np.array([percent])).tolist() == [band]


@pytest.fixture
def similar_db(tmp_path: Path) -> Path:
    """Less invasive, epidural fibrosis, baseline ODI 50, by age -> 12-month ODI:
    30 -> 50 (0%), 40 -> 55 (-10%), 50 -> 35 (+30%), 60 -> 45 (+10%), 70 -> 20, 80 -> 20.
    Also: X52 aged 52 with another cause (never matched when the cause is given), and three
    repeat-surgery cases (fewer than the small-cell limit of 5)."""
    follow = {30: 50, 40: 55, 50: 35, 60: 45, 70: 20, 80: 20}
    cases = [case(f"L{a}", age=a) for a in follow]
    cases.append(case("X52", age=52, cause="arachnoiditis"))
    cases += [case(f"R{i}", age=50 + i, treatment="revision_fusion") for i in range(3)]
    rows = [assessment(c["case_id"], "baseline", odi=50) for c in cases]
    rows += [assessment(f"L{a}", "12m", odi=v) for a, v in follow.items()]
    rows += [assessment("X52", "12m", odi=10)]
    rows += [assessment(f"R{i}", "12m", odi=30) for i in range(3)]
    return make_store(tmp_path / "similar.duckdb", cases, rows)


def test_nearest_cases_exact_on_cause(similar_db: Path) -> None:
    result = similar(similar_db, {"cause": "epidural_fibrosis", "age": 52}, k=3, min_cell=3)
    assert result["note"] == NOTE
    assert result["matched_on"] == ["cause (exact)", "age"]
    less = next(p for p in result["pathways"] if p["pathway"] == "less_invasive")
    # Nearest by age: 50 (+30%), 60 (+10%), 40 (-10%).
    assert less["n"] == 3
    counts = {b["band"]: b["n"] for b in less["bands"]}
    assert counts == {"clearly_better": 1, "somewhat_better": 1, "unchanged": 0, "worse": 1}
    low, high = proportion_confint(1, 3, method="wilson")
    band = less["bands"][0]
    assert (band["share"], band["ci_low"], band["ci_high"]) == pytest.approx((1 / 3, low, high))
    assert less["max_distance"] == pytest.approx(12 / np.std([30, 40, 50, 60, 70, 80]))


def test_a_pathway_with_too_few_matches_is_suppressed(similar_db: Path) -> None:
    result = similar(similar_db, {"cause": "epidural_fibrosis", "age": 52}, k=50, min_cell=5)
    repeat = next(p for p in result["pathways"] if p["pathway"] == "repeat_surgery")
    assert repeat == {
        "pathway": "repeat_surgery",
        "n": None,
        "max_distance": None,
        "bands": [],
        "suppressed": True,
    }
    less = next(p for p in result["pathways"] if p["pathway"] == "less_invasive")
    assert less["n"] == 6  # all six, fewer than k
    assert not less["suppressed"]


def test_a_profile_needs_something_to_match_on(similar_db: Path) -> None:
    with pytest.raises(AnalyticsError, match="at least one characteristic"):
        similar(similar_db, {"cause": "epidural_fibrosis"})
    with pytest.raises(AnalyticsError, match="unknown cause"):
        similar(similar_db, {"cause": "gout", "age": 50})

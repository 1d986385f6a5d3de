"""A non-admin is shown a funnel flag only when the published (rounded) figures guarantee it.

Hand-worked boxes (analytics.published_positions), the sample's Dr K. Adeyemi through the
CLI, and a property: over many random true values, the position published from their
rounding is the exact one or "within", never the opposite side nor a flag the exact
figures lack.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access.accounts import add_account
from analytics.published_positions import (
    TOO_CLOSE,
    adjusted_positions,
    count_interval,
    crude_positions,
)
from analytics.stats import funnel_limits
from fbss.cli import main

Z95 = 1.959963984540054  # NormalDist().inv_cdf(0.975)
ROOT = Path(__file__).resolve().parents[2]


def _round5(x: float) -> float:
    return float(np.floor(x / 5 + 0.5) * 5)


def test_count_interval_is_the_counts_that_round_to_the_published_one() -> None:
    assert count_interval(15, 5) == (13, 17)  # 12.5 <= O < 17.5, halves up
    assert count_interval(0, 5) == (0, 2)
    assert count_interval(20, 10) == (15, 24)
    assert count_interval(7, 1) == (7, 7)
    for published in (0, 5, 10, 15):
        low, high = count_interval(published, 5)
        assert {_round5(o) for o in range(low, high + 1)} == {published}
        assert _round5(low - 1) != published or low == 0
        assert _round5(high + 1) != published


def test_a_unit_above_in_the_whole_box_is_flagged() -> None:
    # published O 30, E 10, sd 2: the smallest O (28) beats the highest upper 95% limit,
    # 12.5 + 1.96 x 2 = 16.42, and the highest 99.8% one, 12.5 + 3.09 x 2 = 18.68
    assert list(adjusted_positions([30.0], [10.0], [2.0], Z95, 5)) == ["above"]
    assert list(adjusted_positions([30.0], [10.0], [2.0], 3.090232306167813, 5)) == ["above"]
    # published O 0, E 20, sd 2: the largest O (2) is under 17.5 - 3.92 = 13.58
    assert list(adjusted_positions([0.0], [20.0], [2.0], Z95, 5)) == ["below"]
    # exact figures (base 1): the plain rule, O > E + z sd
    assert list(adjusted_positions([15.0], [10.0], [2.5], Z95, 1)) == ["above"]


def test_the_adeyemi_case_is_not_flagged() -> None:
    """Exact 14 against 12.127 (sd 2.5005, from the sample): within, 14 < 12.127 + 4.90.
    Published 15 against 10: the old rule put 15 above 10 + 4.90 = 14.90. In the box the
    smallest O, 13, is under 12.5 + 4.90, so no flag."""
    exact = adjusted_positions([14.0], [12.127142], [2.500549], Z95, 1)
    assert list(exact) == ["within"]
    assert 10 + Z95 * 2.500549 < 15  # what was published before
    assert list(adjusted_positions([15.0], [10.0], [2.500549], Z95, 5)) == ["within"]
    # a suppressed unit (no figures) has no position
    assert list(adjusted_positions([np.nan], [np.nan], [2.0], Z95, 5)) == [None]


def test_crude_positions_hand_worked() -> None:
    # network 100 of 200 (p between 98/202 and 102/198): 0 of 50 published is 0-2 of 48-52,
    # far under the lower limit at every n and p in the box; 50 of 50 far above
    positions = crude_positions([0.0, 50.0, 25.0], [50.0, 50.0, 50.0], 100.0, 200.0, 5)
    assert list(positions[0.95]) == ["below", "above", "within"]
    assert list(positions[0.998]) == ["below", "above", "within"]
    # a unit near the limit: exact 33 of 50 against p = 0.5 is above the 95% limit ...
    _, high = funnel_limits([50.0], 0.5, (0.95,))[0.95]
    assert high[0] < 33 / 50
    # ... but published 35 of 50 is also 33-37 of 48-52, e.g. 33 of 52 = 0.635 < limit
    _, high52 = funnel_limits([52.0], 102 / 198, (0.95,))[0.95]
    assert high52[0] > 33 / 52
    assert list(crude_positions([35.0], [50.0], 100.0, 200.0, 5)[0.95]) == ["within"]


_ORDER = {"below": -1, "within": 0, "above": 1}


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    o=st.integers(0, 60),
    e=st.floats(0.5, 60.0),
    sd=st.floats(0.3, 6.0),
)
def test_adjusted_published_position_never_contradicts_the_exact_one(
    o: int, e: float, sd: float
) -> None:
    for z in (Z95, 3.090232306167813):
        exact = adjusted_positions([float(o)], [e], [sd], z, 1)[0]
        shown = adjusted_positions([_round5(o)], [_round5(e)], [sd], z, 5)[0]
        assert shown in (exact, "within"), (o, e, sd, z, exact, shown)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    n=st.integers(5, 80),
    share=st.floats(0.0, 1.0),
    others_n=st.integers(20, 400),
    others_share=st.floats(0.05, 0.95),
)
def test_crude_published_position_never_contradicts_the_exact_one(
    n: int, share: float, others_n: int, others_share: float
) -> None:
    o = round(share * n)
    n_total = n + others_n
    r_total = o + round(others_share * others_n)
    p = r_total / n_total
    exact = crude_positions([float(o)], [float(n)], float(r_total), float(n_total), 1)
    shown = crude_positions([_round5(o)], [_round5(n)], _round5(r_total), _round5(n_total), 5)
    for level in (0.95, 0.998):
        low, high = funnel_limits([float(n)], p, (level,))[level]
        # the exact position, independently: the unit's rate against the exact limits
        truth = "below" if o / n < low[0] else "above" if o / n > high[0] else "within"
        assert exact[level][0] == truth
        assert shown[level][0] in (truth, "within"), (o, n, r_total, n_total, level)


def test_the_rule_withholds_flags_it_cannot_guarantee_but_keeps_clear_ones() -> None:
    """Seeded: across many random units the published rule keeps most clear flags (so it is
    not just "never flag") and never shows a wrong one."""
    rng = np.random.default_rng(5)
    kept = wrong = flagged = 0
    for _ in range(3000):
        e = rng.uniform(2, 60)
        sd = np.sqrt(e * rng.uniform(0.2, 0.8))
        o = int(rng.binomial(int(e * 3), 1 / 3 * rng.uniform(0.3, 2.5)))
        exact = adjusted_positions([float(o)], [e], [sd], Z95, 1)[0]
        shown = adjusted_positions([_round5(o)], [_round5(e)], [sd], Z95, 5)[0]
        flagged += exact != "within"
        kept += shown != "within" and shown == exact
        wrong += shown not in (exact, "within")
    assert wrong == 0
    assert flagged > 500
    assert kept > flagged / 3


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("positions") / "fbss.duckdb"
    assert main(["load", str(ROOT / "data" / "sample"), "--db", str(db)]) == 0
    add_account(
        db.parent / "fbss-users.toml", "kim@clinic.org", role="physician",
        password="correct horse battery", clinics=("Harbour Spine Institute",),
        physician="Dr K. Adeyemi",
    )  # fmt: skip
    return db


def _csv(capsys: pytest.CaptureFixture[str], *argv: str) -> pd.DataFrame:
    assert main(list(argv)) == 0, capsys.readouterr().err
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


@pytest.mark.parametrize("adjusted", [True, False])
def test_the_sample_physician_sees_no_flag_the_exact_figures_lack(
    sample: Path, capsys: pytest.CaptureFixture[str], adjusted: bool
) -> None:
    argv = ["providers", "--db", str(sample), "--as-of", "2026-06-30", "--format", "csv"]
    argv += ["--adjusted"] if adjusted else []
    exact = _csv(capsys, *argv).set_index("physician")
    shown = _csv(capsys, *argv, "--as", "kim@clinic.org")
    own = shown.set_index("physician").loc["Dr K. Adeyemi"]
    if adjusted:
        # the review's figures: exact 14 against 12.1, published 15 against 10
        assert exact.loc["Dr K. Adeyemi", "responders"] == 14
        assert exact.loc["Dr K. Adeyemi", "expected"] == pytest.approx(12.127, abs=1e-3)
        assert (own["responders"], own["expected"]) == (15, 10.0)
    assert exact.loc["Dr K. Adeyemi", "position_95"] == "within"
    assert own["position_95"] == "within"
    assert own["position_note"] == f'"within" = {TOO_CLOSE}'
    # peers are anonymised, so compare the multisets: every flag shown is an exact flag
    for tag in ("95", "998"):
        shown_flags = shown[f"position_{tag}"].dropna()
        exact_flags = exact[f"position_{tag}"].dropna()
        for side in ("above", "below"):
            assert (shown_flags == side).sum() <= (exact_flags == side).sum()
    assert set(shown["position_note"].fillna("")) <= {"", f'"within" = {TOO_CLOSE}'}

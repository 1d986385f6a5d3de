"""Intervals, funnel limits and Kaplan–Meier against hand formulas and lifelines."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from analytics import stats, survival
from tests.analytics.test_summary import T5, wilson


def test_wilson_matches_the_hand_formula() -> None:
    low, high = stats.wilson([4, 0, 7], [5, 11, 7])
    for i, (k, n) in enumerate([(4, 5), (0, 11), (7, 7)]):
        hand_low, hand_high = wilson(k, n)
        assert low[i] == pytest.approx(max(hand_low, 0), abs=1e-6)
        assert high[i] == pytest.approx(min(hand_high, 1), abs=1e-6)


def test_wilson_without_denominator_is_undefined() -> None:
    low, high = stats.wilson([0], [0])
    assert math.isnan(low[0])
    assert math.isnan(high[0])


def test_t_interval_matches_the_hand_formula() -> None:
    values = [15, 14, 20, -10, 10, 6.06]
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    low, high = stats.t_interval([mean], [sd], [6])
    half = T5 * sd / math.sqrt(6)
    assert (low[0], high[0]) == pytest.approx((mean - half, mean + half), abs=1e-9)
    # one value: no interval
    low, high = stats.t_interval([3.0], [float("nan")], [1])
    assert math.isnan(low[0])
    assert math.isnan(high[0])


def test_funnel_limit_worked_by_hand() -> None:
    # Binomial(10, 0.5): P(R <= 1) = 11/1024, P(R <= 2) = 56/1024. The 2.5% point lies in
    # the step at r = 2: a = (56/1024 - 0.025) / (45/1024) = 0.67556, limit = (2 - a) / 10
    a = (56 / 1024 - 0.025) / (45 / 1024)
    limits = stats.funnel_limits([10], 0.5, levels=(0.95,))
    low, high = limits[0.95]
    assert low[0] == pytest.approx((2 - a) / 10, abs=1e-9)
    # symmetric rate: the upper limit mirrors the lower one
    assert high[0] == pytest.approx(1 - (2 - a) / 10, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 400),
    rate=st.floats(0.02, 0.98),
    y=st.integers(0, 400),
    level=st.sampled_from([0.95, 0.998]),
)
def test_funnel_flags_exactly_what_an_exact_test_flags(
    n: int, rate: float, y: int, level: float
) -> None:
    y = min(y, n)
    low, high = stats.funnel_limits([n], rate, levels=(level,))[level]
    tail = (1 - level) / 2
    # below the lower limit exactly when P(R <= y) < tail; above the upper exactly when
    # P(R >= y) < tail (rounding slack for values sitting on a limit)
    p_low = sps.binom.cdf(y, n, rate)
    p_high = sps.binom.sf(y - 1, n, rate)
    if abs(p_low - tail) > 1e-9:
        assert (y / n < low[0] - 1e-12) == (p_low < tail)
    if abs(p_high - tail) > 1e-9:
        assert (y / n > high[0] + 1e-12) == (p_high < tail)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 500), k=st.integers(0, 500))
def test_rates_lie_within_their_wilson_intervals(n: int, k: int) -> None:
    k = min(k, n)
    low, high = stats.wilson([k], [n])
    if n == 0:
        assert math.isnan(low[0])
        return
    assert 0 <= low[0] <= k / n <= high[0] <= 1


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(-100, 100), min_size=1, max_size=40))
def test_means_lie_within_their_t_intervals(values: list[float]) -> None:
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    low, high = stats.t_interval([mean], [sd], [len(values)])
    if len(values) < 2:
        assert math.isnan(low[0])
    else:
        assert low[0] <= mean + 1e-9
        assert mean - 1e-9 <= high[0]


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 100_000), st.integers(1, 100_000)), min_size=1),
    confidence=st.sampled_from([0.95, 0.9, 0.99]),
)
def test_wilson_equals_statsmodels_bit_for_bit(
    pairs: list[tuple[int, int]], confidence: float
) -> None:
    # Issue 7: the interval no longer imports statsmodels (0.7 s per fresh `fbss summary`);
    # what it returns must not change at all.
    from statsmodels.stats.proportion import proportion_confint

    count = np.array([min(k, n) for k, n in pairs], dtype=float)
    nobs = np.array([n for _, n in pairs], dtype=float)
    low, high = stats.wilson(count, nobs, confidence)
    ref_low, ref_high = proportion_confint(count, nobs, alpha=1 - confidence, method="wilson")
    ref_low, ref_high = np.clip(ref_low, 0, 1), np.clip(ref_high, 0, 1)
    ref_low[count == 0], ref_high[count == nobs] = 0.0, 1.0
    np.testing.assert_array_equal(low, ref_low)
    np.testing.assert_array_equal(high, ref_high)


@settings(max_examples=100, deadline=None)
@given(
    n=st.lists(st.integers(2, 1_000_000), min_size=1),
    confidence=st.sampled_from([0.95, 0.9, 0.99]),
)
def test_t_interval_equals_scipy_stats_bit_for_bit(n: list[int], confidence: float) -> None:
    n_a = np.array(n, dtype=float)
    mean, sd = np.linspace(-5, 5, len(n)), np.linspace(0.5, 30, len(n))
    low, high = stats.t_interval(mean, sd, n_a, confidence)
    half = sps.t.ppf(0.5 + confidence / 2, df=n_a - 1) * sd / np.sqrt(n_a)
    np.testing.assert_array_equal(low, mean - half)
    np.testing.assert_array_equal(high, mean + half)


def _lifelines(days: np.ndarray, events: np.ndarray, removed: np.ndarray, day: int) -> tuple:
    from lifelines import KaplanMeierFitter

    durations = np.concatenate([days, days])
    observed = np.concatenate([np.ones(len(days), bool), np.zeros(len(days), bool)])
    weights = np.concatenate([events, removed - events]).astype(float)
    keep = weights > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmf = KaplanMeierFitter().fit(durations[keep], observed[keep], weights=weights[keep])
    timeline = kmf.survival_function_.index.to_numpy()
    i = int(np.searchsorted(timeline, day, side="right")) - 1
    ci = kmf.confidence_interval_.to_numpy()
    return kmf.survival_function_.iloc[i, 0], ci[i, 0], ci[i, 1]


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_estimates_equal_lifelines(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for group in ("a", "b", "c"):
        days = np.unique(rng.integers(0, 900, size=60))
        removed = rng.integers(1, 8, size=len(days))
        events = np.minimum(removed, rng.integers(0, 3, size=len(days)))
        rows.append(
            pd.DataFrame({"grp": group, "days": days, "n_events": events, "n_removed": removed})
        )
    table = pd.concat(rows, ignore_index=True)
    ours = survival.estimates_at(table, ["grp"], {"12m": 365, "24m": 730})
    for group, part in table.groupby("grp"):
        row = ours[ours["grp"] == group].iloc[0]
        for label, day in (("12m", 365), ("24m", 730)):
            expected = _lifelines(
                part["days"].to_numpy(),
                part["n_events"].to_numpy(),
                part["n_removed"].to_numpy(),
                day,
            )
            got = (
                row[f"km_free_{label}"],
                row[f"km_free_{label}_ci_low"],
                row[f"km_free_{label}_ci_high"],
            )
            assert got == pytest.approx(expected, abs=1e-9)


def test_estimate_is_null_past_the_longest_follow_up() -> None:
    table = pd.DataFrame({"days": [10, 400], "n_events": [1, 0], "n_removed": [1, 3]})
    out = survival.estimates_at(table, [], {"12m": 365, "24m": 730}).iloc[0]
    assert out["km_free_12m"] == pytest.approx(0.75)
    assert math.isnan(out["km_free_24m"])

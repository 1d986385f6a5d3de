"""Intervals and control limits: Wilson, t (scipy.special), exact binomial funnels (scipy.stats).

All functions are vectorised over numpy arrays and return NaN where a figure is undefined
(no denominator, a single value), which the output layer turns into null.

Import cost matters here: every `fbss summary` is a new process, and `scipy.stats` (with
statsmodels on top) took 0.7-0.9 s to import against 0.17 s for `scipy.special`
(issue 7: a fresh summary within 2 s at a million cases). So the intervals call the
special functions scipy.stats itself calls (`ndtri` for the normal quantile, `stdtrit`
for Student's t), giving the same floats, and the Wilson bounds are statsmodels'
`proportion_confint(method="wilson")` formula term for term (a test compares them with
statsmodels bit for bit). Only the funnel limits need scipy.stats' binomial, imported
when they are drawn.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

from analytics.definitions import CONFIDENCE

FloatArray = npt.NDArray[np.float64]


def wilson(
    count: npt.ArrayLike, nobs: npt.ArrayLike, confidence: float = CONFIDENCE
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for count/nobs; NaN where nobs is 0."""
    count_a = np.asarray(count, dtype=float)
    nobs_a = np.asarray(nobs, dtype=float)
    ok = nobs_a > 0
    low = np.full(count_a.shape, np.nan)
    high = np.full(count_a.shape, np.nan)
    if ok.any():
        lo, hi = _wilson_bounds(count_a[ok], nobs_a[ok], 1 - confidence)
        low[ok] = np.clip(lo, 0.0, 1.0)
        high[ok] = np.clip(hi, 0.0, 1.0)
    # The bounds are exactly 0 (no successes) and 1 (all successes); floating point
    # would otherwise leave 5e-17 above a rate of 0.
    low[ok & (count_a == 0)] = 0.0
    high[ok & (count_a == nobs_a)] = 1.0
    return low, high


def _wilson_bounds(
    count: FloatArray, nobs: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """statsmodels' two-sided Wilson score bounds (proportion_confint), same operations."""
    q = count / nobs
    crit = -special.ndtri(alpha / 2.0)  # scipy.stats.norm.isf(alpha / 2)
    crit2 = crit**2
    denom = 1 + crit2 / nobs
    center = (q + crit2 / (2 * nobs)) / denom
    dist = crit * np.sqrt(q * (1.0 - q) / nobs + crit2 / (4.0 * nobs**2))
    dist /= denom
    return center - dist, center + dist


def t_interval(
    mean: npt.ArrayLike, sd: npt.ArrayLike, n: npt.ArrayLike, confidence: float = CONFIDENCE
) -> tuple[FloatArray, FloatArray]:
    """Student t interval for a mean from n values with sample sd; NaN when n < 2."""
    mean_a = np.asarray(mean, dtype=float)
    sd_a = np.asarray(sd, dtype=float)
    n_a = np.asarray(n, dtype=float)
    ok = n_a >= 2
    half = np.full(mean_a.shape, np.nan)
    if ok.any():
        quantile = special.stdtrit(n_a[ok] - 1, 0.5 + confidence / 2)  # = scipy.stats.t.ppf
        half[ok] = quantile * sd_a[ok] / np.sqrt(n_a[ok])
    return mean_a - half, mean_a + half


def lower_binomial_limit(n: npt.ArrayLike, rate: float, tail: float) -> FloatArray:
    """Lower exact binomial control limit for a proportion at volume n (Spiegelhalter 2005).

    r is the `tail` quantile of Binomial(n, rate) (P(R < r) <= tail <= P(R <= r)); the
    step is smoothed by interpolating the distribution function between r - 1 and r:
    limit = (r - a) / n with a = (P(R <= r) - tail) / (P(R <= r) - P(R <= r - 1)).
    A provider with y of n plots below it exactly when P(R <= y) < tail.
    """
    from scipy import stats as sps  # only funnels need it (0.7 s to import; see above)

    n_a = np.asarray(n, dtype=float)
    r = sps.binom.ppf(tail, n_a, rate)
    at_r = sps.binom.cdf(r, n_a, rate)
    below_r = sps.binom.cdf(r - 1, n_a, rate)
    step = at_r - below_r
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(step > 0, (at_r - tail) / step, 0.0)
        limit = (r - a) / n_a
    return np.clip(limit, 0.0, 1.0)


def funnel_limits(
    ns: npt.ArrayLike, rate: float, levels: tuple[float, ...] = (0.95, 0.998)
) -> dict[float, tuple[FloatArray, FloatArray]]:
    """Lower and upper exact binomial limits around `rate` for each volume and level.

    The upper limit is the mirror image of the lower one (the lower limit of the
    non-responders), so both sides flag a provider only when an exact one-sided binomial
    test puts it beyond the tail probability (1 - level) / 2.
    """
    out: dict[float, tuple[FloatArray, FloatArray]] = {}
    for level in levels:
        tail = (1 - level) / 2
        lower = lower_binomial_limit(ns, rate, tail)
        upper = 1.0 - lower_binomial_limit(ns, 1.0 - rate, tail)
        out[level] = (lower, upper)
    return out

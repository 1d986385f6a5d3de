"""Funnel positions a non-admin may be shown: only those the published figures guarantee.

A non-admin sees counts rounded to a base (5), and each unit's position was placed from
those rounded counts. Rounding can move a unit across a limit: on the 1,000-case sample
(2026-H1) a physician's exact 14 responders against 12.1 expected (O/E 1.15, within) were
published as 15 against 10 (O/E 1.50, above the 95% limit), a flag the data do not have.

The rule here: a unit is flagged above (below) a limit only when every combination of
true values consistent with the published rounded figures puts it there: O anywhere in
its rounding interval, E (adjusted) or n (crude) in theirs, and, for the crude funnel,
the overall rate anywhere between the smallest and largest rounded-numerator over
rounded-denominator the network's published totals allow. Otherwise the unit is "within
the limits, or too close to tell at the published precision" (position "within", so
charts leave it unflagged). The rule reads published values only, so it reveals nothing
new; and since the exact figures lie inside the box, a flag shown is always the exact
position (the rule can only withhold one, never invent or reverse one).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from analytics.stats import funnel_limits

# What "within" means in a published (rounded) output: the wording every surface uses.
TOO_CLOSE = "within the limits, or too close to tell at the published precision"


def count_interval(published: float, base: int) -> tuple[int, int]:
    """The whole counts that round (halves up, as suppression.round_to_base) to `published`."""
    if base <= 1:
        return int(published), int(published)
    low = max(0, math.ceil(published - base / 2))
    high = math.ceil(published + base / 2) - 1
    return low, high


def adjusted_positions(
    observed: npt.ArrayLike, expected: npt.ArrayLike, sd: npt.ArrayLike, z: float, base: int
) -> np.ndarray:
    """Each unit's position (above/below/within, None without figures) against E +/- z sd.

    `observed` and `expected` are the published (rounded) O and E; `sd` is the published
    spread sqrt(sum p(1-p)), shown exactly (it holds no outcome). E's rounding interval
    is taken closed, [E - base/2, E + base/2], which only widens the box."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    s = np.asarray(sd, dtype=float)
    half = base / 2 if base > 1 else 0.0
    out = np.full(o.shape, None, dtype=object)
    ok = np.isfinite(o) & np.isfinite(e) & np.isfinite(s)
    if base > 1:
        o_low = np.maximum(0.0, np.ceil(o - half))
        o_high = np.ceil(o + half) - 1
    else:
        o_low = o_high = o
    e_low, e_high = np.maximum(0.0, e - half), e + half
    above = o_low > e_high + z * s  # even the smallest O beats the highest upper limit
    below = o_high < e_low - z * s  # even the largest O is under the lowest lower limit
    out[ok] = np.where(above, "above", np.where(below, "below", "within"))[ok]
    return out


def crude_positions(
    responders: npt.ArrayLike,
    n: npt.ArrayLike,
    total_responders: float,
    total_n: float,
    base: int,
    levels: tuple[float, ...] = (0.95, 0.998),
) -> dict[float, np.ndarray]:
    """Per level, each unit's position against the exact binomial limits around the
    overall rate, from published (rounded) counts: the unit's responders and n, and the
    network's responders and n (whose ratio is the published overall rate)."""
    r_pub = np.asarray(responders, dtype=float)
    n_pub = np.asarray(n, dtype=float)
    out = {level: np.full(r_pub.shape, None, dtype=object) for level in levels}
    if not (np.isfinite(total_n) and total_n > 0 and np.isfinite(total_responders)):
        return out
    big_r = count_interval(total_responders, base)
    big_n = count_interval(total_n, base)
    n_low_total = max(big_n[0], 1)
    p_low = min(1.0, big_r[0] / big_n[1])
    p_high = min(1.0, big_r[1] / n_low_total)
    for i, (r_i, n_i) in enumerate(zip(r_pub, n_pub, strict=True)):
        if not (np.isfinite(r_i) and np.isfinite(n_i)):
            continue
        o_lo, o_hi = count_interval(r_i, base)
        n_lo, n_hi = count_interval(n_i, base)
        ns = np.arange(max(n_lo, 1), n_hi + 1, dtype=float)
        if not len(ns) or o_lo > n_hi:
            continue
        # the upper limit rises with the overall rate, the lower one too (binomial
        # quantiles are monotone in p): the box's worst cases are its two ends
        upper = funnel_limits(ns, p_high, levels)
        lower = funnel_limits(ns, p_low, levels)
        for level in levels:
            above = below = True
            for k, size in enumerate(ns):
                os_ = np.arange(o_lo, min(o_hi, int(size)) + 1, dtype=float)
                if not len(os_):
                    continue
                rates = os_ / size
                above &= bool((rates > upper[level][1][k]).all())
                below &= bool((rates < lower[level][0][k]).all())
            out[level][i] = "above" if above else "below" if below else "within"
    return out

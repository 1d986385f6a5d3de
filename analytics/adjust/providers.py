"""Physicians and clinics, crude or case-mix adjusted (`fbss providers`).

Adjusted: indirect standardisation. A logistic risk model on every analysed case in view,
without provider terms (age, sex, baseline, risk factors, cause, index surgery; the
treatment is left out because choosing it is part of what is compared), gives each case
an expected probability of response. Per unit: observed O, expected E = sum of the
probabilities, O/E, and the risk-adjusted rate O/E x overall rate. The unit is placed
against limits for O given E: E +/- z * sqrt(sum p(1-p)), the normal approximation to
the exact (Poisson-binomial) distribution of O when every case responds with its own
probability (Spiegelhalter, Stat Med 2005, for indirectly standardised ratios).

The shrunken rate is the empirical-Bayes estimate of a normal random-effects model on
the O/E scale: between-unit variance tau^2 by DerSimonian-Laird, and each unit's O/E
pulled toward the random-effects mean by v / (v + tau^2) of the gap, where
v = sum p(1-p) / E^2 is the unit's own sampling variance, so small units are pulled
most. It stands in for a random-intercept logistic model (statsmodels'
BinomialBayesMixedGLM), which iterates over every case; this needs only per-unit sums
and has a closed form that the tests check against statsmodels' meta-analysis code.

Crude (without `adjusted`): today's funnel (analytics.outcomes.funnel) and its positions.
"""

from __future__ import annotations

import datetime as dt
from statistics import NormalDist

import numpy as np
import pandas as pd

from analytics import stats
from analytics.adjust import data
from analytics.adjust.design import Design, build_design, one_sided_groups
from analytics.adjust.estimators import SeparationError, fit_logit
from analytics.definitions import (
    DEFAULT_MIN_CELL,
    DEFAULT_RESPONDER,
    DEFAULT_TIMEPOINT,
    FUNNEL_UNITS,
    AnalyticsError,
    ResponderDefinition,
    check_min_cell,
)
from analytics.filters import Filters
from analytics.queries import Db
from analytics.suppression import apply_suppression, round_array

FIELDS = (
    "n",
    "responders",
    "rate",
    "rate_ci_low",
    "rate_ci_high",
    "expected",
    "oe_ratio",
    "adjusted_rate",
    "shrunken_rate",
    "position_95",
    "position_998",
    "suppressed",
)
LEVELS = {"95": 0.95, "998": 0.998}
TOTALS = "analysed_and_responders"  # attrs key of an adjusted frame: (n, responders)


def providers(
    db: Db,
    *,
    by: str = "physician",
    timepoint: str = DEFAULT_TIMEPOINT,
    responder: str | ResponderDefinition | None = DEFAULT_RESPONDER,
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
    adjusted: bool = False,
) -> pd.DataFrame:
    """One row per unit: `by`, then FIELDS (plus o_low/high_95/998 when adjusted)."""
    if by not in FUNNEL_UNITS:
        raise AnalyticsError(f"--by must be one of {', '.join(FUNNEL_UNITS)} (got {by!r})")
    min_cell = check_min_cell(min_cell)
    if not adjusted:
        return _crude(db, by, timepoint, responder, min_cell, as_of, filters)
    cf = data.case_frame(db, timepoint=timepoint, responder=responder, filters=filters, as_of=as_of)
    frame = cf.cases
    if frame.empty:
        return pd.DataFrame(columns=[by, *FIELDS])
    y = frame["is_responder"].to_numpy(dtype=float)
    p = expected_probabilities(frame, y, cf.criterion.measure, cf.absent_factors)
    units = (
        pd.DataFrame({by: frame[by], "o": y, "e": p, "v": p * (1 - p)})
        .groupby(by, sort=True, observed=True)
        .agg(n=("o", "size"), responders=("o", "sum"), expected=("e", "sum"), var=("v", "sum"))
        .reset_index()
    )
    out = _adjusted_rows(units, by, float(y.mean()), min_cell)
    # every analysed case in view, suppressed units too: the overall rate's two counts,
    # which published_adjusted rounds before it recomputes the overall rate
    out.attrs[TOTALS] = (len(y), int(y.sum()))
    return out


def expected_probabilities(
    frame: pd.DataFrame, y: np.ndarray, measure: str, absent: tuple[str, ...]
) -> np.ndarray:
    """Each case's probability of response from the risk model (no provider terms).

    Cases in a group in which every case responded (or none did) get that observed
    outcome as their probability, the limit the maximum-likelihood fit tends to; the
    model is fitted on the other cases.
    """
    if len(np.unique(y)) < 2:
        raise AnalyticsError(
            "every analysed case in view has the same outcome (all or no responders), so "
            "there is no risk model to fit; widen the filters"
        )

    def design_of(cases: pd.DataFrame) -> Design:
        return build_design(
            cases,
            numeric=("age", "baseline_value", *data.RISK_FACTORS),
            categories=data.CATEGORIES,
            labels={"baseline_value": f"baseline_{measure}"},
            absent=absent,
        )

    everyone = design_of(frame)
    pure, _ = one_sided_groups(everyone, y, ("responded", "did not respond"))
    p = y.copy()
    rest = ~pure
    if len(np.unique(y[rest])) < 2:
        return p
    # Usually no group is one-sided: the design of every case is the model's (the same
    # matrix a second build would give, without its ~0.07 s at 130,000 cases: issue 7).
    design = design_of(frame[rest]) if pure.any() else everyone
    try:
        p[rest] = fit_logit(y[rest], design.matrix).fitted
    except SeparationError:
        raise AnalyticsError(
            "the risk model predicts response perfectly for some cases, so expected "
            "counts are not defined; widen the filters or choose another timepoint"
        ) from None
    return p


def _adjusted_rows(units: pd.DataFrame, by: str, overall: float, min_cell: int) -> pd.DataFrame:
    out = units.copy()
    out["responders"] = out["responders"].astype(int)
    out["rate"] = out["responders"] / out["n"]
    low, high = stats.wilson(out["responders"], out["n"])
    out["rate_ci_low"], out["rate_ci_high"] = low, high
    out["oe_ratio"] = out["responders"] / out["expected"]
    out["adjusted_rate"] = out["oe_ratio"] * overall
    out["shrunken_rate"] = shrunken_ratio(out["responders"], out["expected"], out["var"]) * overall
    sd = np.sqrt(out["var"].to_numpy())
    for tag, level in LEVELS.items():
        z = NormalDist().inv_cdf(0.5 + level / 2)
        o_low, o_high = out["expected"] - z * sd, out["expected"] + z * sd
        out[f"o_low_{tag}"], out[f"o_high_{tag}"] = o_low, o_high
        o = out["responders"]
        out[f"position_{tag}"] = np.where(
            o < o_low, "below", np.where(o > o_high, "above", "within")
        )
    extra = [f"o_{side}_{tag}" for tag in LEVELS for side in ("low", "high")]
    values = [c for c in [*FIELDS, *extra] if c != "suppressed"]
    out = apply_suppression(
        out[[by, *values]], keys=(by,), denominator="n", min_cell=min_cell, value_columns=values
    )
    return out[[by, *FIELDS, *extra]]


def shrunken_ratio(observed: pd.Series, expected: pd.Series, var: pd.Series) -> np.ndarray:
    """Empirical-Bayes O/E: the random-effects mean plus tau^2 / (tau^2 + v) of the gap."""
    ratio = (observed / expected).to_numpy(dtype=float)
    v = (var / expected**2).to_numpy(dtype=float)
    ok = v > 0
    out = ratio.copy()
    if ok.sum() < 2:
        return out
    tau2, mean = dersimonian_laird(ratio[ok], v[ok])
    out[ok] = mean + tau2 / (tau2 + v[ok]) * (ratio[ok] - mean)
    return out


def dersimonian_laird(effect: np.ndarray, variance: np.ndarray) -> tuple[float, float]:
    """Between-unit variance tau^2 (method of moments, DerSimonian & Laird 1986) and the
    random-effects mean. Written out rather than statsmodels' combine_effects, which
    warns on the edge cases a funnel meets (two units, identical ratios); the tests check
    one against the other."""
    w = 1 / variance
    fixed = float((w * effect).sum() / w.sum())
    q = float((w * (effect - fixed) ** 2).sum())
    scale = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (q - (len(effect) - 1)) / scale) if scale > 0 else 0.0
    w_re = 1 / (variance + tau2)
    return tau2, float((w_re * effect).sum() / w_re.sum())


def _crude(
    db: Db,
    by: str,
    timepoint: str,
    responder: str | ResponderDefinition | None,
    min_cell: int,
    as_of: dt.date | str | None,
    filters: Filters | None,
) -> pd.DataFrame:
    from analytics.outcomes import funnel

    result = funnel(
        db,
        unit=by,
        timepoint=timepoint,
        responder=responder,
        min_cell=min_cell,
        as_of=as_of,
        filters=filters,
    )
    points = result.points
    out = points.rename(
        columns={"responder_rate": "rate", "ci_low": "rate_ci_low", "ci_high": "rate_ci_high"}
    )
    for col in ("expected", "oe_ratio", "adjusted_rate", "shrunken_rate"):
        out[col] = np.nan
    out = out[[by, *FIELDS]].reset_index(drop=True)
    # the overall rate's counts, for the published positions (analytics.published)
    responders = round(result.overall_rate * result.n_total) if result.n_total else 0
    out.attrs[TOTALS] = (result.n_total, responders)
    return out


def published_adjusted(frame: pd.DataFrame, base: int) -> pd.DataFrame:
    """The adjusted figures as published to a non-admin: from the rounded counts only.

    `frame` is an adjusted frame whose n and responders are already rounded to `base`
    (analytics.published.published_providers). With E and O/E both shown, O = O/E x E gave
    each unit's exact responders back, and adjusted rate / (O/E) the exact overall rate
    (review 5, F3). So: E is rounded to `base` like a count; O/E is the rounded O over the
    rounded E; the overall rate is the rounded network responders over the rounded
    network n; the adjusted and shrunken rates, the limits and the positions are computed
    from those; a position is flagged only when every true O and E the rounding allows
    puts the unit there (analytics.published_positions). Every figure shown is then a
    function of rounded counts (and the spread sum p(1-p), which holds no outcome), so no
    arithmetic on them pins a count more tightly than its rounding does: O/E x E is the
    rounded O. Crude frames pass through.
    """
    from analytics.published import published_overall
    from analytics.published_positions import adjusted_positions

    totals = frame.attrs.get(TOTALS)
    if base <= 1 or totals is None or frame["expected"].isna().all():
        return frame
    n_total, r_total = totals
    overall, _ = published_overall(r_total / n_total if n_total else np.nan, n_total, base)
    out = frame.copy()
    o = pd.to_numeric(out["responders"], errors="coerce").astype(float).to_numpy()
    e_exact = pd.to_numeric(out["expected"], errors="coerce").astype(float).to_numpy()
    e = round_array(e_exact, base)  # like a count
    # sum p(1-p) from the 95% limits (E +/- z sd): the model's spread, not an outcome
    z95 = NormalDist().inv_cdf(0.5 + LEVELS["95"] / 2)
    high = pd.to_numeric(out["o_high_95"], errors="coerce").astype(float).to_numpy()
    low = pd.to_numeric(out["o_low_95"], errors="coerce").astype(float).to_numpy()
    sd = (high - low) / (2 * z95)
    ok = np.isfinite(o) & np.isfinite(e) & (e > 0)
    ratio = np.full(len(out), np.nan)
    ratio[ok] = o[ok] / e[ok]
    shrunk = np.full(len(out), np.nan)
    if ok.any():
        shrunk[ok] = shrunken_ratio(pd.Series(o[ok]), pd.Series(e[ok]), pd.Series(sd[ok] ** 2))
    out["expected"] = np.where(np.isfinite(o), e, np.nan)
    out["oe_ratio"] = ratio
    out["adjusted_rate"] = ratio * overall
    out["shrunken_rate"] = shrunk * overall
    for tag, level in LEVELS.items():
        z = NormalDist().inv_cdf(0.5 + level / 2)
        o_low, o_high = e - z * sd, e + z * sd
        out[f"o_low_{tag}"], out[f"o_high_{tag}"] = o_low, o_high
        # flagged only where every true O and E the rounding allows is on that side
        position = adjusted_positions(o, e, sd, z, base)
        out[f"position_{tag}"] = pd.Series(position, index=out.index).where(np.isfinite(o))
    out.attrs = {k: v for k, v in frame.attrs.items() if k != TOTALS}  # exact: kept back
    return out

"""The adjusted figures (`fbss compare`, `fbss providers`) as published to a non-admin.

Summary and events round their counts to a base for every role but admin (round_counts).
The adjusted commands printed exact counts to the same viewers: per-peer n and
responders, each pathway's n analysed, and "8 cases with cause=..." in notes and error
messages. Here the printed counts are rounded to the same base, the crude rates and
their Wilson intervals recomputed from the rounded counts, and the crude figures that
would give the exact counts back (mean changes, the crude difference) coarsened. The
model-based estimates (positions against the funnel, O/E, adjusted and shrunken rates,
the adjusted differences) are computed from the exact data and printed as they are.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from analytics.coarsening import MEAN_DECIMALS, PROPORTION_DECIMALS, coarsen_value
from analytics.outcomes import Funnel
from analytics.overview import Headline
from analytics.published_positions import crude_positions
from analytics.stats import funnel_limits, wilson
from analytics.suppression import Rate, round_array, round_counts

# OpenSAFELY's base (issue 10): every count published to a role other than admin.
PUBLISHED_BASE = 5


def base_for(scope: Any) -> int:
    """The rounding base for what `scope` sees: exact for everything (admin, operator)."""
    return 0 if scope is None or scope.is_everything else PUBLISHED_BASE


_CRUDE_RATE = (Rate("rate", "responders", "n", None, ("rate_ci_low", "rate_ci_high")),)
_PATHWAY_RATE = (Rate("rate", "responders", "n_analysed", None, ("rate_ci_low", "rate_ci_high")),)
# Counts in the notes, warnings and errors of the adjusted figures: "12 cases with
# cause=x", "57 cases had a propensity below 0.05 and 7 above 0.95", "an effective n of
# 40 of 212 cases". "fewer than 5 analysed cases" is a threshold, not matched.
_COUNTS_IN_TEXT = re.compile(
    r"\b(\d+)( cases\b| above 0\.95\b)|(\beffective n of )(\d+)( of )(\d+)( cases\b)"
)
# A small group set aside by its pathway: "fewer than 5 cases with sex=other (all had
# repeat_surgery)" told a one-to-four patient group's pathway (review 5, F7).
_SMALL_ONE_SIDED = re.compile(r"(fewer than \d+ cases with [^()]*?) \(all had [^)]*\)")


def round_number(n: int, base: int) -> int:
    """n to the nearest multiple of base, halves up (as round_to_base)."""
    return int(base * ((n + base / 2) // base)) if base > 1 else n


def rounded_text(text: str, base: int) -> str:
    """A note, warning or message with each count in it rounded to base, and a small
    set-aside group's pathway left unsaid."""
    if base <= 1:
        return text

    def count(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return f"{round_number(int(m.group(1)), base)}{m.group(2)}"
        effective, n = (round_number(int(m.group(i)), base) for i in (4, 6))
        return f"{m.group(3)}{effective}{m.group(5)}{n}{m.group(7)}"

    text = _SMALL_ONE_SIDED.sub(r"\1 (all on one pathway)", text)
    return _COUNTS_IN_TEXT.sub(count, text)


def published_overall(rate: float, n_total: int, base: int) -> tuple[float, int]:
    """The overall rate and its n as published: both counts rounded, the rate from them.

    An exact overall rate of a few hundred cases is a fraction with a small denominator
    (150 / 434 = 0.345622...), which six digits identify; shown beside n it gives the
    exact number of responders back."""
    if base <= 1 or not n_total or not np.isfinite(rate):
        return rate, n_total
    n_r = round_number(int(n_total), base)
    responders = min(round_number(round(rate * n_total), base), n_r)
    return (responders / n_r if n_r else float("nan")), n_r


def published_providers(frame: pd.DataFrame, base: int) -> pd.DataFrame:
    """Per-unit n and responders rounded; the crude rate and interval from them; and the
    adjusted figures (E, O/E, adjusted and shrunken rates, limits, positions) recomputed
    from the rounded counts (analytics.adjust.providers.published_adjusted)."""
    if base <= 1:
        return frame
    from analytics.adjust.providers import TOTALS, published_adjusted

    out = round_counts(frame, base, counts=("n", "responders"), rates=_CRUDE_RATE)
    out.attrs = dict(frame.attrs)
    totals = out.attrs.get(TOTALS)
    if totals is not None and len(out) and out["expected"].isna().all():  # the crude funnel
        n_total, r_total = totals
        overall, _ = published_overall(r_total / n_total if n_total else np.nan, n_total, base)
        if np.isfinite(overall):
            _place(out, (n_total, r_total), base)
        out.attrs = {k: v for k, v in out.attrs.items() if k != TOTALS}
        return out
    return published_adjusted(out, base)


def published_compare(result: dict[str, Any], base: int) -> dict[str, Any]:
    """The compare result with its counts rounded and its crude figures coarsened."""
    if base <= 1:
        return result
    pathways = pd.DataFrame(result["pathways"])
    if len(pathways):
        pathways = round_counts(
            pathways, base, counts=("n_analysed", "responders"), rates=_PATHWAY_RATE
        )
        # plain Python values for JSON: NaN and pandas NA become None
        pathways = pathways.astype(object).where(pathways.notna(), None)
    rows = pathways.to_dict("records")
    for row in rows:
        if row.get("effective_n") is not None:  # a weighted n: as coarse as the counts
            row["effective_n"] = round_number(round(float(row["effective_n"])), base)
        for col in ("mean_change", "adjusted_mean_change"):
            if row.get(col) is not None:
                row[col] = coarsen_value(float(row[col]), MEAN_DECIMALS)
    extreme = {
        key: None if value is None else round_number(int(value), base)
        for key, value in (result.get("extreme_propensity") or {}).items()
    }
    difference = dict(result["difference"])
    for col in ("unadjusted", "unadjusted_ci_low", "unadjusted_ci_high"):
        if difference.get(col) is not None:
            difference[col] = coarsen_value(float(difference[col]), PROPORTION_DECIMALS)
    return {
        **result,
        "pathways": rows,
        "difference": difference,
        "extreme_propensity": extreme,
        "set_aside": [rounded_text(t, base) for t in result["set_aside"]],
        "warnings": [rounded_text(t, base) for t in result["warnings"]],
    }


def rounded_headline(h: Headline, base: int) -> Headline:
    """The headline figures with counts rounded, the two rates from the rounded counts,
    and the Kaplan-Meier estimate coarsened (an exact one gives n back)."""
    if base <= 1:
        return h

    def r(n: int | None) -> int | None:
        return None if n is None else round_number(n, base)

    def rate(num: int | None, den: int | None) -> tuple[float | None, tuple[float, float] | None]:
        if num is None or not den:
            return None, None
        num = min(num, den)
        low, high = wilson(np.array([num]), np.array([den]))
        return num / den, (float(low[0]), float(high[0]))

    def coarse(pair: tuple[float, float] | None) -> tuple[float, float] | None:
        if pair is None:
            return None
        low, high = (coarsen_value(v, PROPORTION_DECIMALS) for v in pair)
        return (float(low), float(high)) if low is not None and high is not None else None

    due, returned = r(h.followup_due), r(h.followup_returned)
    n_resp, resp = r(h.responder_n), r(h.responders)
    followup_rate, followup_ci = rate(returned, due)
    responder_rate, responder_ci = rate(resp, n_resp)
    return replace(
        h,
        n_cases=r(h.n_cases),
        n_recent=r(h.n_recent),
        followup_due=due,
        followup_returned=returned,
        followup_assessed=r(h.followup_assessed),
        followup_rate=followup_rate if h.followup_rate is not None else None,
        followup_ci=followup_ci if h.followup_ci is not None else None,
        responder_n=n_resp,
        responders=resp,
        responder_rate=responder_rate if h.responder_rate is not None else None,
        responder_ci=responder_ci if h.responder_ci is not None else None,
        reoperation_free_12m=coarsen_value(h.reoperation_free_12m, PROPORTION_DECIMALS),
        reoperation_free_12m_ci=coarse(h.reoperation_free_12m_ci),
    )


def published_completeness(frame: pd.DataFrame, base: int) -> pd.DataFrame:
    """The completeness table with its record counts rounded and each share from them.

    An exact record count of a physician's cases ("86 records") beside a rounded headline
    ("85 cases") is the exact count the headline rounds (review 5, F2). A column with a
    few gaps can then read as complete: the rounded counts cannot tell."""
    if base <= 1 or frame.empty:
        return frame
    out = frame.copy()
    rows = round_array(pd.to_numeric(out["n_rows"]).astype(float), base)
    present = round_array(pd.to_numeric(out["n_present"]).astype(float), base)
    present = np.minimum(present, rows)
    out["n_rows"], out["n_present"] = rows.astype("Int64"), present.astype("Int64")
    out["share_present"] = np.where(rows > 0, present / rows.where(rows > 0, 1), np.nan)
    return out


def published_dropout(frame: pd.DataFrame, base: int) -> pd.DataFrame:
    """Who is lost, as published (analytics.lost_to_followup.published_dropout)."""
    from analytics.lost_to_followup import published_dropout as publish

    return publish(frame, base)


_FUNNEL_RATE = (Rate("responder_rate", "responders", "n", None, ("ci_low", "ci_high")),)


def published_funnel(result: Funnel, base: int) -> Funnel:
    """The crude funnel as published: each unit's counts rounded, its rate, interval and
    position from them, and the overall rate (so the limits) from the rounded totals.

    The dashboard's cache rounds frames and headlines but passed this result through:
    a physician saw every peer's exact n and responders, and the exact overall rate,
    which the limits' curve carries too (review 5, F3)."""
    if base <= 1:
        return result
    overall, n_total = published_overall(result.overall_rate, result.n_total, base)
    points = round_counts(result.points, base, counts=("n", "responders"), rates=_FUNNEL_RATE)
    # the curve ends at the largest shown unit: its rounded n, not its exact one
    shown = pd.to_numeric(points.loc[~points["suppressed"].astype(bool), "n"]).dropna()
    top = int(shown.max()) if len(shown) else 0
    grid = np.arange(1, top + 1) if top <= 400 else np.unique(np.geomspace(1, top, 300).round())
    limits = pd.DataFrame({"n": grid.astype(int)})
    if np.isfinite(overall):
        responders = round(result.overall_rate * result.n_total)
        _place(points, (result.n_total, responders), base)
        grid = limits["n"].to_numpy(dtype=float)
        for level, (low, high) in funnel_limits(grid, overall, tuple(_LEVELS)).items():
            limits[f"lower_{_LEVELS[level]}"], limits[f"upper_{_LEVELS[level]}"] = low, high
    return replace(result, overall_rate=overall, n_total=n_total, points=points, limits=limits)


_LEVELS = {0.95: "95", 0.998: "998"}


def _place(points: pd.DataFrame, totals: tuple[int, int], base: int) -> None:
    """Each unit's position from the published counts, in place: flagged above or below
    a limit only when every true count its rounding allows, and every overall rate the
    rounded network totals (n, responders) allow, put it there; otherwise "within"
    (within the limits, or too close to tell: analytics.published_positions)."""
    n_total, r_total = totals
    n_pub, r_pub = round_number(int(n_total), base), round_number(int(r_total), base)
    positions = crude_positions(
        pd.to_numeric(points["responders"]).astype(float).to_numpy(),
        pd.to_numeric(points["n"]).astype(float).to_numpy(),
        r_pub,
        n_pub,
        base,
        tuple(_LEVELS),
    )
    for level, tag in _LEVELS.items():
        points[f"position_{tag}"] = pd.Series(positions[level], index=points.index)

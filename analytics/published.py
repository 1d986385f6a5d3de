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
from typing import Any

import pandas as pd

from analytics.coarsening import MEAN_DECIMALS, PROPORTION_DECIMALS, coarsen_value
from analytics.suppression import Rate, round_counts

_CRUDE_RATE = (Rate("rate", "responders", "n", None, ("rate_ci_low", "rate_ci_high")),)
_PATHWAY_RATE = (Rate("rate", "responders", "n_analysed", None, ("rate_ci_low", "rate_ci_high")),)
# "12 cases with cause=x (all ...)" in the notes and errors of the adjusted figures
_CASES_WITH = re.compile(r"\b(\d+) cases with\b")


def round_number(n: int, base: int) -> int:
    """n to the nearest multiple of base, halves up (as round_to_base)."""
    return int(base * ((n + base / 2) // base)) if base > 1 else n


def rounded_text(text: str, base: int) -> str:
    """A note or message with each "N cases with" count rounded to base."""
    if base <= 1:
        return text
    return _CASES_WITH.sub(lambda m: f"{round_number(int(m.group(1)), base)} cases with", text)


def published_providers(frame: pd.DataFrame, base: int) -> pd.DataFrame:
    """Per-unit n and responders rounded; the crude rate and interval from them."""
    if base <= 1:
        return frame
    return round_counts(frame, base, counts=("n", "responders"), rates=_CRUDE_RATE)


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
    difference = dict(result["difference"])
    for col in ("unadjusted", "unadjusted_ci_low", "unadjusted_ci_high"):
        if difference.get(col) is not None:
            difference[col] = coarsen_value(float(difference[col]), PROPORTION_DECIMALS)
    return {
        **result,
        "pathways": rows,
        "difference": difference,
        "set_aside": [rounded_text(t, base) for t in result["set_aside"]],
        "warnings": [rounded_text(t, base) for t in result["warnings"]],
    }

"""Every figure derived from counts, coarsened wherever the counts are rounded (issue 10).

Rounding counts to base 5 is undone by any exact figure computed from them: ODI scores
have one decimal, so an exact mean times n is a multiple of 0.1, which only the true n
of the five candidates satisfies; an exact Kaplan-Meier estimate is a product of
(n - d) / n, which gives n back too; and two exact means of views that differ by one
patient give that patient's scores. So with the counts rounded, means (and mean
changes, SDs and the interval bounds of means) are published to 1 decimal, and survival
estimates and their intervals to whole percent (2 decimals as a proportion). At one
decimal a mean of n scores moves by 0.1/n per step of the sum, which stops the grid
test for any n above 1; whole-percent survival leaves many n fitting each value.

Rates recomputed from the rounded counts (round_counts) are already coarse and are not
touched here. See docs/analytics.md, "What suppression protects".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MEAN_DECIMALS = 1
PROPORTION_DECIMALS = 2

# Figures on the scale of a score (ODI 0-100, pain 0-10): means, their changes, SDs and
# the bounds of their intervals.
SCORE_COLUMNS: frozenset[str] = frozenset(
    {
        "baseline_mean", "followup_mean", "mean_change", "mean_change_ci_low",
        "mean_change_ci_high", "mean", "sd", "change_ci_low", "change_ci_high", "change_sd",
        "mean_paired", "sd_paired", "mean_open", "sd_open", "baseline_mean_paired",
        "change_paired", "change_sd_paired", "change",
    }
)  # fmt: skip
# Proportions not recomputed from rounded counts: Kaplan-Meier survival and its bounds.
PROPORTION_COLUMNS: frozenset[str] = frozenset(
    {
        "km_free_12m", "km_free_12m_ci_low", "km_free_12m_ci_high",
        "km_free_24m", "km_free_24m_ci_low", "km_free_24m_ci_high", "survival",
    }
)  # fmt: skip


def _decimals_of_plain_interval(frame: pd.DataFrame) -> int | None:
    """`ci_low`/`ci_high` bound whichever estimate the frame holds: a mean or a proportion."""
    if "mean" in frame.columns:
        return MEAN_DECIMALS
    if "survival" in frame.columns or "responder_rate" in frame.columns:
        return PROPORTION_DECIMALS
    return None


def _round(values: pd.Series, decimals: int) -> pd.Series:
    # plain float64 (NaN for missing), as the analytics frames carry these figures
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers.round(decimals)


def coarsen_figures(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with means and SDs to 1 decimal, survival estimates to 2 decimals."""
    out = frame.copy()
    for col in out.columns:
        if col in SCORE_COLUMNS:
            out[col] = _round(out[col], MEAN_DECIMALS)
        elif col in PROPORTION_COLUMNS:
            out[col] = _round(out[col], PROPORTION_DECIMALS)
    plain = _decimals_of_plain_interval(out)
    if plain is not None:
        for col in ("ci_low", "ci_high"):
            if col in out.columns:
                out[col] = _round(out[col], plain)
    return out


def coarsen_value(value: float | None, decimals: int) -> float | None:
    """One figure rounded (None and NaN stay as they are)."""
    if value is None or not np.isfinite(value):
        return value
    return round(float(value), decimals)

"""Small-cell suppression that a reader cannot undo by differencing, and rounding to base N.

The reader is assumed to know every margin of a result: the whole table and every
total over some of its keys (the one-way results publish them). A *line* is the set of
rows under one such total. Rules (issue 10):

- Primary: a row whose denominator is between 1 and min_cell - 1 is hidden.
- Empty rows (denominator 0, e.g. nobody without a baseline ODI is ever assessable) are
  left out of suppression: shown as they are, never hidden to protect another row, and
  never counted as protecting one, since a reader can guess their 0. An empty row that
  shows another small count (1 to min_cell - 1 cases, say) is hidden like a small row.
- Secondary: in every line that holds a hidden row, the hidden rows must be at least two,
  their denominators must total at least min_cell, and for each numerator (responders,
  cases with an event, assessed of due) their numerators must total neither 0 nor their
  whole denominator ("none of them responded" is a disclosure too). The smallest shown
  row that mends a broken line is hidden, until every line holds.
- A row that is the only non-empty row of a line equals a public total, so it is chosen
  as a secondary cell only when nothing else in the line can be: hiding it protects only
  where that total is hidden too (docs/analytics.md). A line keeps a single hidden row
  only when every other row is empty, so its total is itself below min_cell.
- Audit: a reader combines lines and ties a group's counts together (returned = assessed
  + no baseline, ...). An integer-programming audit (suppression_audit.py) looks for a
  hidden figure that only one value fits; the smallest shown row beside it that can free
  it is hidden, and the rules run again.
- Linked partitions (a summary over several measures, events over several events) share
  each group's cases: a group hidden in one partition is hidden in all.

Consistent suppression cannot stop differencing across differently filtered results;
`round_counts` rounds published counts to a base (OpenSAFELY uses 5) and recomputes the
rates from the rounded counts. See docs/analytics.md, "What suppression protects".

Over 300 lines: the line rules, the mending loop and the audit hooks work on the same
masks, and the rounding sits beside them because every published count passes both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from analytics import stats
from analytics.coarsening import coarsen_figures
from analytics.suppression_audit import pinned_figures

# Numerator columns whose totals over hidden rows must stay away from 0 and from the
# whole denominator; None means "the denominator passed to the suppression".
DEFAULT_NUMERATORS: tuple[tuple[str, str | None], ...] = (
    ("responders", None),
    ("n_with_event", None),
    ("n_assessed", "n_due"),
    ("n_followup_returned", "n_due"),
)


def _lines(frame: pd.DataFrame, keys: Sequence[str], partition_by: Sequence[str]) -> list:
    """Row positions under each public total: the whole table and every margin of keys."""
    margins = [list(s) for size in range(len(keys)) for s in combinations(keys, size)]
    plain = frame.reset_index(drop=True)
    blocks: list[np.ndarray] = []
    for margin in margins:
        by = [*partition_by, *margin]
        if by:
            grouped = plain.groupby(by, sort=False, dropna=False)
            blocks.extend(np.asarray(ix) for ix in grouped.indices.values())
        else:
            blocks.append(np.arange(len(frame)))
    return blocks


def _numerator_pairs(
    frame: pd.DataFrame, denominator: str, numerators: Sequence[tuple[str, str | None]] | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    pairs = DEFAULT_NUMERATORS if numerators is None else numerators
    out = []
    for num, den in pairs:
        den = den or denominator
        if num in frame.columns and den in frame.columns and num != den:
            out.append((_values(frame, num), _values(frame, den)))
    return out


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].astype("Float64").fillna(0).to_numpy(dtype=float)


def suppression_mask(
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    denominator: str,
    min_cell: int,
    partition_by: Sequence[str] = (),
    numerators: Sequence[tuple[str, str | None]] | None = None,
    counts: Sequence[str] = (),
    linked: bool = False,
) -> pd.Series:
    """Boolean Series: which rows must be hidden (primary and secondary suppression).

    `numerators` pairs a numerator column with its denominator column (None: the
    `denominator`); by default DEFAULT_NUMERATORS where both columns exist. `counts`
    names the other published counts, checked for small values on empty rows. `linked`:
    the partitions share counts (one group's cases are the same for every measure or
    event), so a group hidden in one partition is hidden in all of them; otherwise its
    case count, shown beside another measure, would give the hidden one back.
    """
    if min_cell <= 0 or frame.empty:
        return pd.Series(False, index=frame.index)
    size = _values(frame, denominator)
    empty = size <= 0
    hidden = ~empty & (size < min_cell)
    for col in counts:
        if col in frame.columns and col != denominator:
            other = _values(frame, col)
            hidden |= empty & (other > 0) & (other < min_cell)
    primary = hidden.copy()  # small groups themselves, as against their partners
    pairs = _numerator_pairs(frame, denominator, numerators)
    lines = _lines(frame, keys, partition_by)
    # A row that is the only row under some total, besides empty rows left shown, equals
    # that public total. (An empty row hidden for a small count is not left shown.)
    left_shown = empty & ~hidden
    alone = np.zeros(len(frame), dtype=bool)
    for rows in lines:
        filled = rows[~left_shown[rows]]
        if len(filled) == 1:
            alone[filled] = True
    # Secondary cells: shown, not empty, and preferably not alone under a public total.
    eligible = ~empty & ~alone
    last_resort = ~empty & alone
    pool: list[np.ndarray] = []  # the audit's solutions, kept from one round to the next
    changed = True
    while changed:
        changed = False
        for rows in lines:
            if len(rows) < 2 or not hidden[rows].any():
                continue
            pick = _mend(rows, hidden, eligible, size, pairs, min_cell)
            if pick is None:
                # hiding a row that equals a public total only helps where that total
                # is hidden too, as the one-way result does for the same structure
                pick = _mend(rows, hidden, last_resort, size, pairs, min_cell)
            if pick is not None:
                hidden[pick] = True
                changed = True
        if not changed:
            # Lines combine (the union of some lines minus others is a line too, issue
            # 10's cause x baseline_severity case) and a group's counts tie each other
            # (returned = assessed + no baseline): the integer-programming audit finds
            # what the line rules miss, and a pinned figure gets a hidden row beside it.
            pick = _audit(frame, lines, hidden, eligible, size, denominator, counts, pool, primary)
            if pick is not None:
                hidden[pick] = True
                changed = True
        if not changed and linked and partition_by:
            more = _linked_rows(frame, keys, hidden)
            if more.any():
                hidden |= more
                changed = True
    return pd.Series(hidden, index=frame.index)


def _linked_rows(frame: pd.DataFrame, keys: Sequence[str], hidden: np.ndarray) -> np.ndarray:
    """Shown rows whose group (the same keys, another partition) is hidden somewhere."""
    if not keys:
        return ~hidden if hidden.any() else np.zeros(len(hidden), dtype=bool)
    plain = frame[list(keys)].reset_index(drop=True)
    anywhere = pd.Series(hidden).groupby([plain[k] for k in keys], dropna=False).transform("any")
    return anywhere.to_numpy(dtype=bool) & ~hidden


def _audit(
    frame: pd.DataFrame,
    lines: list,
    hidden: np.ndarray,
    eligible: np.ndarray,
    size: np.ndarray,
    denominator: str,
    counts: Sequence[str],
    pool: list[np.ndarray],
    primary: np.ndarray,
) -> int | None:
    """A shown row to hide because some hidden figure is pinned (suppression_audit)."""
    if hidden.sum() == 0:
        return None
    columns = [c for c in dict.fromkeys((denominator, *counts)) if c in frame.columns]
    values = {c: _values(frame, c) for c in columns}
    for pin in pinned_figures(values, hidden, lines, pool):
        pick = _beside(
            pin.row, lines, hidden, eligible, size, pin.values, pin.value == 0, primary[pin.row]
        )
        if pick is not None:
            return pick
    return None


def _beside(
    r: int,
    lines: list,
    hidden: np.ndarray,
    eligible: np.ndarray,
    size: np.ndarray,
    value: np.ndarray,
    pinned_at_zero: bool = False,
    small: bool = False,
) -> int | None:
    """The smallest shown row sharing a line with row r, one with a non-zero count first.

    A figure pinned at 0 is freed only by a partner whose own value is not 0: when no
    such row is left (a count that is 0 by construction, like "no baseline" in a baseline
    band), hiding more would only hide the table whole, so None.
    """
    shared = [line for line in lines if r in line and len(line) > 1]
    if not shared:
        return None
    around = np.unique(np.concatenate(shared))
    around = around[~hidden[around]]
    near = around[eligible[around]]
    if pinned_at_zero:
        near = near[value[near] > 0]
    if len(near) == 0 and small and not pinned_at_zero:
        # Last resort, for a small group itself: a row left out as empty (no
        # denominator) or equal to a public total, when it shows this figure. A small
        # "no baseline ODI" group whose line holds only other such groups is otherwise
        # the line total minus the others. (Not for a partner's figure, nor for a 0:
        # chasing those through empty rows hid whole columns, for zeros a reader knows
        # anyway, like "nobody in a baseline band lacks a baseline".)
        near = around[value[around] > 0]
    if len(near) == 0:
        return None
    best = near[value[near] > 0] if (value[near] > 0).any() else near
    return int(best[np.argsort(size[best], kind="stable")[0]])


def _mend(
    rows: np.ndarray,
    hidden: np.ndarray,
    eligible: np.ndarray,
    size: np.ndarray,
    pairs: list[tuple[np.ndarray, np.ndarray]],
    min_cell: int,
) -> int | None:
    """The shown row to hide so that this line's hidden rows protect each other, if any."""
    h = rows[hidden[rows]]
    candidates = rows[~hidden[rows] & eligible[rows]]
    if len(candidates) == 0:
        return None  # nothing left to hide: the whole line is hidden or empty
    # each candidate mends the problems it can; the smallest of the best-mending goes
    need = []
    if len(h) < 2 or size[h].sum() < min_cell:
        need.append(np.ones(len(candidates), dtype=bool))
    for num, den in pairs:
        total, whole = num[h].sum(), den[h].sum()
        if total == 0 and (num[candidates] > 0).any():
            need.append(num[candidates] > 0)
        elif total > 0 and total == whole and (num[candidates] < den[candidates]).any():
            need.append(num[candidates] < den[candidates])
    if not need:
        return None
    mends = np.sum(need, axis=0)
    best = candidates[mends == mends.max()]
    # the next smallest row (first in result order on ties)
    return int(best[np.argsort(size[best], kind="stable")[0]])


def apply_suppression(
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    denominator: str,
    min_cell: int,
    value_columns: Sequence[str],
    partition_by: Sequence[str] = (),
    numerators: Sequence[tuple[str, str | None]] | None = None,
    linked: bool = False,
) -> pd.DataFrame:
    """A copy with a `suppressed` column and the value columns nulled where suppressed.

    `linked`: the partitions share counts; see suppression_mask."""
    out = frame.copy()
    counts = [
        c
        for c in value_columns
        if c in out.columns
        and pd.api.types.is_integer_dtype(out[c])
        and not pd.api.types.is_bool_dtype(out[c])
    ]
    mask = suppression_mask(
        out,
        keys=keys,
        denominator=denominator,
        min_cell=min_cell,
        partition_by=partition_by,
        numerators=numerators,
        counts=counts,
        linked=linked,
    )
    for col in value_columns:
        if col not in out.columns:
            continue
        # nullable dtypes, so a hidden count is null rather than a float NaN
        if out[col].dtype == bool:
            out[col] = out[col].astype("boolean")
        elif pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64")
        out[col] = out[col].mask(mask)
    out["suppressed"] = mask.to_numpy()
    return out


@dataclass(frozen=True)
class Rate:
    """A published rate: numerator ÷ (denominator - minus), with its Wilson interval."""

    column: str
    numerator: str
    denominator: str
    minus: str | None = None
    interval: tuple[str, str] | None = None


SUMMARY_RATES: tuple[Rate, ...] = (
    Rate(
        "followup_rate",
        "n_followup_returned",
        "n_due",
        None,
        ("followup_ci_low", "followup_ci_high"),
    ),
    Rate(
        "responder_rate",
        "responders",
        "n_assessed",
        "n_excluded",
        ("responder_ci_low", "responder_ci_high"),
    ),
)
EVENTS_RATES: tuple[Rate, ...] = (
    Rate("event_rate", "n_with_event", "n_cases", None, ("event_ci_low", "event_ci_high")),
)
SUMMARY_COUNTS: tuple[str, ...] = (
    "n_cases", "n_due", "n_followup_returned", "n_no_baseline", "n_assessed", "n_excluded",
    "responders",
)  # fmt: skip
EVENTS_COUNTS: tuple[str, ...] = ("n_cases", "n_with_event")
# Counts in the dashboard's trajectory and Kaplan-Meier frames, published rounded too.
FIGURE_COUNTS: tuple[str, ...] = ("n_values", "at_risk", "n_events", "n_censored")


def round_to_base(values: pd.Series, base: int) -> pd.Series:
    """Counts rounded to the nearest multiple of base (halves up); nulls stay null."""
    if base <= 1:
        return values
    return round_array(values.astype("Float64"), base).astype("Int64")


def round_array(values: Any, base: int) -> Any:
    """The same rule on floats (an array, a Series or a number): nearest multiple, halves up.

    Used where a figure derived from counts (an expected count, a record count) is
    published beside them; NaN stays NaN."""
    return np.floor(values / base + 0.5) * base


def round_counts(
    frame: pd.DataFrame,
    base: int,
    *,
    counts: Sequence[str] = SUMMARY_COUNTS + EVENTS_COUNTS + FIGURE_COUNTS,
    rates: Sequence[Rate] = SUMMARY_RATES + EVENTS_RATES,
) -> pd.DataFrame:
    """A copy with counts rounded to `base` and rates (and intervals) from the rounded counts.

    base 0 or 1 returns the frame unchanged. A rate whose rounded denominator is 0 is
    null. Means, SDs and survival estimates would give the exact counts back, so they are
    coarsened too (analytics.coarsening: means to 1 decimal, survival to 2).
    """
    if base < 0:
        raise ValueError(f"rounding base must be 0 or more (got {base})")
    if base <= 1:
        return frame.copy()
    out = frame.copy()
    for col in counts:
        if col in out.columns:
            out[col] = round_to_base(out[col], base)
    for rate in rates:
        if rate.column not in out.columns or rate.numerator not in out.columns:
            continue
        num = out[rate.numerator].astype("Float64")
        den = out[rate.denominator].astype("Float64")
        if rate.minus:
            den = den - out[rate.minus].astype("Float64")
        num_a = num.to_numpy(dtype=float, na_value=np.nan)
        den_a = den.to_numpy(dtype=float, na_value=np.nan)
        # a rounded numerator can exceed its rounded denominator (3 of 4 -> 5 of 5 is
        # fine, 4 of 6 -> 5 of 5 too); cap so a rate never passes 1
        num_a = np.minimum(num_a, den_a)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rate.column] = np.where(den_a > 0, num_a / den_a, np.nan)
        if rate.interval and all(c in out.columns for c in rate.interval):
            low, high = stats.wilson(np.nan_to_num(num_a), np.nan_to_num(den_a))
            out[rate.interval[0]] = np.where(den_a > 0, low, np.nan)
            out[rate.interval[1]] = np.where(den_a > 0, high, np.nan)
    return coarsen_figures(out)

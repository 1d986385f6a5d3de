"""Kaplan–Meier event-free survival from per-day counts.

SQL hands over one row per (group, event type, day) with n_removed (cases whose time
ends that day) and n_events (of whom had the event). Full curves are fitted with
lifelines, `KaplanMeierFitter.fit(days, observed, weights=counts)`, which gives the same
estimate and Greenwood (log(-log)) interval as one row per case because the weights are
whole numbers. The 12- and 24-month figures of a grouped table
use the same formulas vectorised over all groups (see estimates_at for why).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from analytics.definitions import CONFIDENCE

if TYPE_CHECKING:
    from lifelines import KaplanMeierFitter

CURVE_COLUMNS: tuple[str, ...] = (
    "day", "survival", "ci_low", "ci_high", "at_risk", "n_events", "n_censored",
)  # fmt: skip


def _fitter() -> type:
    # lifelines takes over a second to import: only pay for it when a curve is fitted.
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter


def fit(days: np.ndarray, n_events: np.ndarray, n_removed: np.ndarray) -> KaplanMeierFitter:
    """A fitted lifelines KaplanMeierFitter for one group's per-day counts."""
    days = np.asarray(days, dtype=float)
    n_events = np.asarray(n_events, dtype=float)
    n_censored = np.asarray(n_removed, dtype=float) - n_events
    # One weighted row for the events and one for the censored cases of each day.
    durations = np.concatenate([days, days])
    observed = np.concatenate([np.ones_like(days, bool), np.zeros_like(days, bool)])
    weights = np.concatenate([n_events, n_censored])
    keep = weights > 0
    # lifelines calls np.seterr while fitting; errstate puts the caller's settings back
    with warnings.catch_warnings(), np.errstate():
        warnings.simplefilter("ignore")  # lifelines warns about weights even when whole
        fitter: KaplanMeierFitter = _fitter()(alpha=1 - CONFIDENCE)
        return fitter.fit(
            durations=durations[keep], event_observed=observed[keep], weights=weights[keep]
        )


def groups(
    table: pd.DataFrame, by: Sequence[str]
) -> Iterator[tuple[tuple[object, ...], pd.DataFrame]]:
    """(key values, rows) for each group of a per-day counts table."""
    if not by:
        yield (), table
        return
    for key, rows in table.groupby(list(by), sort=False, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), rows


def estimates_at(table: pd.DataFrame, by: Sequence[str], days: dict[str, int]) -> pd.DataFrame:
    """Survival and its 95% interval at given days per group; null past the longest follow-up.

    `table` holds per-day counts (days, n_events, n_removed) sorted by group and day.
    Columns: the `by` keys, then `km_free_<label>`, `km_free_<label>_ci_low`,
    `km_free_<label>_ci_high` for each label of `days`.

    All groups are computed at once with numpy using lifelines' own formulas (product-limit
    estimate, Greenwood variance, exponential "log(-log)" interval), because one lifelines
    fit per group costs about 7 ms and a grouped events table needs up to a hundred of
    them. tests/analytics/test_survival.py checks the figures against lifelines.
    """
    keys = list(by)
    labels = [f"km_free_{lb}{sfx}" for lb in days for sfx in ("", "_ci_low", "_ci_high")]
    if table.empty:
        return pd.DataFrame(columns=[*keys, *labels])
    # scipy.stats.norm.ppf, without importing scipy.stats (0.7 s per fresh `fbss events`)
    z = float(special.ndtri(1 - (1 - CONFIDENCE) / 2))
    gid = (
        table.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
        if keys
        else np.zeros(len(table), dtype=int)
    )
    order = np.lexsort((table["days"].to_numpy(), gid))
    gid = gid[order]
    times = table["days"].to_numpy()[order]
    deaths = table["n_events"].fillna(0).to_numpy(dtype=float)[order]
    removed = table["n_removed"].to_numpy(dtype=float)[order]
    starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
    ends = np.r_[starts[1:], len(gid)]

    def group_cumsum(values: np.ndarray) -> np.ndarray:
        # per group; not one cumsum minus offsets, which breaks once a term is -inf (S = 0)
        out = np.empty_like(values)
        for lo, hi in zip(starts, ends, strict=True):
            np.cumsum(values[lo:hi], out=out[lo:hi])
        return out

    # at risk on a day: the group's cases minus those whose time ended on earlier days
    size = np.repeat(np.add.reduceat(removed, starts), ends - starts)
    at_risk = size - (group_cumsum(removed) - removed)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = group_cumsum(np.log(at_risk - deaths) - np.log(at_risk))
        var = group_cumsum(np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0))
    first_rows = table.iloc[order[starts]]
    rows: list[dict[str, object]] = []
    for g, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        row: dict[str, object] = {k: first_rows[k].iloc[g] for k in keys}
        for label, day in days.items():
            name = f"km_free_{label}"
            i = lo + int(np.searchsorted(times[lo:hi], day, side="right")) - 1
            if times[hi - 1] < day:  # nobody in the group was followed that long
                estimate = low = high = np.nan
            elif i < lo:  # no case's time ended before `day`
                estimate = low = high = 1.0
            else:
                estimate, low, high = _with_interval(log_s[i], var[i], z)
            row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"] = estimate, low, high
        rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, *labels])


def _with_interval(log_s: float, var: float, z: float) -> tuple[float, float, float]:
    """S and its exponential Greenwood interval, as lifelines computes them."""
    estimate = float(np.exp(log_s))
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * np.sqrt(var) / log_s
        low = np.exp(-np.exp(np.log(-log_s) - spread))
        high = np.exp(-np.exp(np.log(-log_s) + spread))
    # lifelines fills the undefined interval at S = 1 (no events yet) with 1.0
    low = 1.0 if np.isnan(low) else float(low)
    high = 1.0 if np.isnan(high) else float(high)
    return estimate, low, high


def curves(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The full step curve per group: day, survival, interval, at risk, events, censored."""
    frames: list[pd.DataFrame] = []
    for key, part in groups(table, by):
        kmf = fit(part["days"], part["n_events"].fillna(0), part["n_removed"])
        events = kmf.event_table
        curve = pd.DataFrame(
            {
                "day": kmf.survival_function_.index.to_numpy().astype(int),
                "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
                "ci_low": kmf.confidence_interval_.iloc[:, 0].to_numpy(),
                "ci_high": kmf.confidence_interval_.iloc[:, 1].to_numpy(),
                "at_risk": events["at_risk"].to_numpy().round().astype(int),
                "n_events": events["observed"].to_numpy().round().astype(int),
                "n_censored": events["censored"].to_numpy().round().astype(int),
            }
        )
        for position, (col, value) in enumerate(zip(by, key, strict=True)):
            curve.insert(position, col, value)
        frames.append(curve)
    if not frames:
        return pd.DataFrame(columns=[*by, *CURVE_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def at_risk_at(curve: pd.DataFrame, by: Sequence[str], days: Sequence[int]) -> pd.DataFrame:
    """Numbers at risk at chosen days (e.g. 0, 182, 365, 730) per group, for under a chart."""
    rows: list[dict[str, object]] = []
    for key, part in groups(curve, by):
        timeline = part["day"].to_numpy()
        at_risk = part["at_risk"].to_numpy()
        for day in days:
            # Nobody leaves between two curve times, so the number at risk on `day` is the
            # number at risk at the first curve time on or after it (none after the end).
            i = int(np.searchsorted(timeline, day, side="left"))
            n = int(at_risk[i]) if i < len(timeline) else 0
            rows.append({**dict(zip(by, key, strict=True)), "day": int(day), "at_risk": n})
    return pd.DataFrame(rows, columns=[*by, "day", "at_risk"])

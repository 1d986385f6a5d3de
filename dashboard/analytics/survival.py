"""Kaplan–Meier event-free survival from per-day counts, fitted with lifelines.

SQL hands over one row per (group, event type, day, event-or-censored) with a count `n`;
each group is fitted with `KaplanMeierFitter.fit(days, is_event, weights=n)`, which is the
same estimate and Greenwood (log(-log)) interval as fitting one row per case, because the
weights are whole numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from dashboard.analytics.definitions import CONFIDENCE

CURVE_COLUMNS: tuple[str, ...] = (
    "day", "survival", "ci_low", "ci_high", "at_risk", "n_events", "n_censored",
)  # fmt: skip


def _fitter() -> type:
    # lifelines takes over a second to import: only pay for it when a curve is fitted.
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter


def fit(days: np.ndarray, is_event: np.ndarray, counts: np.ndarray) -> object:
    """A fitted lifelines KaplanMeierFitter for one group's aggregated times."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns about weights even when whole
        return _fitter()(alpha=1 - CONFIDENCE).fit(
            durations=np.asarray(days, dtype=float),
            event_observed=np.asarray(is_event, dtype=bool),
            weights=np.asarray(counts, dtype=float),
        )


def groups(
    table: pd.DataFrame, by: Sequence[str]
) -> Iterator[tuple[tuple[object, ...], pd.DataFrame]]:
    """(key values, rows) for each group of an event-times table."""
    if not by:
        yield (), table
        return
    for key, rows in table.groupby(list(by), sort=False, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), rows


def estimates_at(
    table: pd.DataFrame, by: Sequence[str], days: dict[str, int]
) -> pd.DataFrame:
    """Survival and its interval at given days per group; null past the longest follow-up.

    Columns: the `by` keys, then `km_free_<label>`, `km_free_<label>_ci_low`,
    `km_free_<label>_ci_high` for each label of `days`.
    """
    rows: list[dict[str, object]] = []
    for key, part in groups(table, by):
        kmf = fit(part["days"], part["is_event"], part["n"])
        timeline = kmf.survival_function_.index.to_numpy()
        survival = kmf.survival_function_.iloc[:, 0].to_numpy()
        ci = kmf.confidence_interval_.to_numpy()
        longest = float(part["days"].max())
        row: dict[str, object] = dict(zip(by, key, strict=True))
        for label, day in days.items():
            name = f"km_free_{label}"
            if longest < day:  # nobody in the group was followed that long
                row[name] = row[f"{name}_ci_low"] = row[f"{name}_ci_high"] = np.nan
                continue
            i = int(np.searchsorted(timeline, day, side="right")) - 1
            row[name] = survival[i]
            row[f"{name}_ci_low"] = ci[i, 0]
            row[f"{name}_ci_high"] = ci[i, 1]
        rows.append(row)
    return pd.DataFrame(rows)


def curves(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The full step curve per group: day, survival, interval, at risk, events, censored."""
    frames: list[pd.DataFrame] = []
    for key, part in groups(table, by):
        kmf = fit(part["days"], part["is_event"], part["n"])
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

"""Trajectories: a measure from baseline through each follow-up, paired by default.

Paired (the default): at each follow-up timepoint, only the cases with both a baseline
and a value there, so the change is that of the same patients (a paired t interval).
The open cohort (every value recorded at each timepoint) stays as an option: its later
timepoints hold fewer, possibly different patients, and its "change" is a difference of
means of different groups of patients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics import facts, frames, queries, stats
from analytics.definitions import (
    DEFAULT_MIN_CELL,
    check_group_columns,
    check_measure,
    check_min_cell,
)
from analytics.filters import Filters
from analytics.suppression import apply_suppression
from pipelines import vocabulary as vocab

_TP_RANK = {tp: t.order for tp, t in vocab.TIMEPOINTS.items()}
COHORTS: dict[str, str] = {
    "paired": "Same patients: cases with both a baseline and a value at the timepoint",
    "open": "Open cohort: every value recorded at each timepoint (different patients)",
}
COLUMNS: tuple[str, ...] = (
    "timepoint", "measure", "cohort", "n_values", "mean", "sd", "ci_low", "ci_high",
    "baseline_mean", "mean_change", "change_ci_low", "change_ci_high", "suppressed",
)  # fmt: skip


def trajectory(
    db: queries.Db,
    *,
    measure: str = "odi",
    by: Sequence[str] | str | None = (),
    paired: bool = True,
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Mean of a measure at each timepoint (baseline first) per group, with t intervals.

    Columns: group columns, then COLUMNS. `mean` (sd, ci) is the mean value at the
    timepoint; `baseline_mean` the mean baseline of the same cases; `mean_change` the
    mean improvement (positive = better). Paired: n_values counts cases with both values
    (at baseline: cases with a baseline) and the change has a paired t interval. Open
    cohort (`paired=False`): every value counts and mean_change is the difference of the
    open means (no interval). Timepoints with no value are left out.
    """
    keys = check_group_columns(by)
    check_measure(measure)
    min_cell = check_min_cell(min_cell)
    tps = tuple(vocab.TIMEPOINTS)
    raw = queries.query(
        db,
        "trajectory",
        filters=filters or Filters(),
        as_of=frames.snapshot_day(as_of),
        params={
            **queries.timepoint_params(tps),
            "higher_is_better": vocab.MEASURES[measure].higher_is_better,
        },
        group_cols=keys,
        fragments={
            "value_at_tp": queries.value_at(measure, tps),
            "baseline": queries.fact(facts.value_column(measure, "baseline")),
        },
    ).drop(columns=["tp_days"])
    out = _paired(raw, keys) if paired else _open(raw, keys, vocab.MEASURES[measure])
    if not keys:
        out = frames.fill_overall(out, "timepoint", tps, ("n_values",))
    out = frames.as_int(out, ("n_values",))
    out.insert(len(keys) + 1, "measure", measure)
    out.insert(len(keys) + 2, "cohort", "paired" if paired else "open")
    out["ci_low"], out["ci_high"] = stats.t_interval(out["mean"], out["sd"], out["n_values"])
    out = apply_suppression(
        out,
        keys=keys,
        denominator="n_values",
        min_cell=min_cell,
        value_columns=(
            "n_values", "mean", "sd", "ci_low", "ci_high", "baseline_mean", "mean_change",
            "change_ci_low", "change_ci_high",
        ),
        partition_by=("timepoint",),
    )  # fmt: skip
    out = frames.order_rows(out, keys, {"timepoint": _TP_RANK})
    return out[[*keys, *COLUMNS]].reset_index(drop=True)


def _paired(raw: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    out = raw[[*keys, "timepoint"]].copy()
    out["n_values"] = raw["n_paired"]
    out["mean"], out["sd"] = raw["mean_paired"], raw["sd_paired"]
    out["baseline_mean"] = raw["baseline_mean_paired"]
    out["mean_change"] = raw["change_paired"]
    low, high = stats.t_interval(raw["change_paired"], raw["change_sd_paired"], raw["n_paired"])
    out["change_ci_low"], out["change_ci_high"] = low, high
    # At baseline the change is 0 by definition: no interval to show.
    at_baseline = (out["timepoint"] == "baseline").to_numpy()
    out.loc[at_baseline, ["change_ci_low", "change_ci_high"]] = np.nan
    return out[out["n_values"] > 0]


def _open(raw: pd.DataFrame, keys: Sequence[str], measure: vocab.Measure) -> pd.DataFrame:
    out = raw[[*keys, "timepoint"]].copy()
    out["n_values"] = raw["n_open"]
    out["mean"], out["sd"] = raw["mean_open"], raw["sd_open"]
    base = raw.loc[raw["timepoint"] == "baseline", [*keys, "mean_open"]]
    base = base.rename(columns={"mean_open": "baseline_mean"})
    out = (
        out.merge(base, on=list(keys), how="left")
        if keys
        else out.assign(baseline_mean=base["baseline_mean"].iloc[0] if len(base) else np.nan)
    )
    sign = 1.0 if measure.higher_is_better else -1.0
    out["mean_change"] = sign * (out["mean"] - out["baseline_mean"]) + 0.0  # no -0.0
    out["change_ci_low"] = out["change_ci_high"] = np.nan
    return out

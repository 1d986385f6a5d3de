"""Patient-reported outcomes: responder rates, change, follow-up, trajectories, funnels.

Every function takes the store (a path, or an open DuckDB connection) and keyword
options, runs one aggregate query per measure in DuckDB and returns a small DataFrame
with group columns first. Rates are fractions 0-1; a suppressed row keeps its group
keys and has null figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import facts, frames, queries, responders, stats
from analytics.definitions import (
    DEFAULT_MIN_CELL,
    DEFAULT_RESPONDER,
    DEFAULT_TIMEPOINT,
    FOLLOWUP_TARGET,
    FOLLOWUP_UNUSABLE,
    FUNNEL_UNITS,
    SUMMARY_EXTRA_FIELDS,
    SUMMARY_FIELDS,
    AnalyticsError,
    ResponderDefinition,
    Rule,
    check_group_columns,
    check_measure,
    check_min_cell,
    check_timepoint,
    parse_responder,
)
from analytics.filters import Filters
from analytics.suppression import apply_suppression
from analytics.suppression_empty import with_empty_groups
from analytics.trajectories import trajectory as trajectory  # re-exported (moved there)
from pipelines import vocabulary as vocab

_TP_RANK = {tp: t.order for tp, t in vocab.TIMEPOINTS.items()}


def _timepoints(timepoint: str | Sequence[str]) -> tuple[str, ...]:
    codes = (timepoint,) if isinstance(timepoint, str) else tuple(timepoint)
    if not codes:
        raise AnalyticsError("choose at least one timepoint")
    return tuple(check_timepoint(tp) for tp in dict.fromkeys(codes))


def summary(
    db: queries.Db,
    *,
    by: Sequence[str] | str | None = (),
    timepoint: str | Sequence[str] = DEFAULT_TIMEPOINT,
    responder: str | ResponderDefinition | None = DEFAULT_RESPONDER,
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Responder rate and change from baseline per group (one row per rule and timepoint).

    Columns: group columns, then definitions.SUMMARY_FIELDS, then SUMMARY_EXTRA_FIELDS
    (the Wilson interval of followup_rate). `timepoint` may be a list of timepoints.
    Only what was known on `as_of` (default today) counts. followup_rate is
    n_followup_returned ÷ n_due; change and response use the n_assessed (paired) cases.
    """
    keys = check_group_columns(by)
    tps = _timepoints(timepoint)
    definition = parse_responder(responder)
    min_cell = check_min_cell(min_cell)
    day = frames.snapshot_day(as_of)
    filters = filters or Filters()

    with queries.connection(db) as con:  # one connection for every criterion
        parts = [responders.aggregate(con, r, tps, keys, day, filters) for r in definition.criteria]
    out = pd.concat(parts, ignore_index=True)
    denominator = out["n_assessed"] - out["n_excluded"]
    returned = out["n_followup_returned"]
    out["followup_rate"] = frames.ratio(returned, out["n_due"])
    out["followup_ci_low"], out["followup_ci_high"] = stats.wilson(returned, out["n_due"])
    out["responder_rate"] = frames.ratio(out["responders"], denominator)
    out["responder_ci_low"], out["responder_ci_high"] = stats.wilson(out["responders"], denominator)
    out["mean_change_ci_low"], out["mean_change_ci_high"] = stats.t_interval(
        out["mean_change"], out["change_sd"], out["n_assessed"]
    )
    out["_denominator"] = denominator
    figures = [
        c
        for c in (*SUMMARY_FIELDS, *SUMMARY_EXTRA_FIELDS)
        if c not in ("timepoint", "measure", "suppressed")
    ]
    out = apply_suppression(
        out,
        keys=keys,
        denominator="_denominator",
        min_cell=min_cell,
        value_columns=figures,
        partition_by=("measure", "timepoint"),
        linked=True,  # a group's cases are the same for every measure (and timepoint)
    )
    if min_cell > 0:  # an absent group must look like a suppressed small one (review 5, F7)
        out = with_empty_groups(out, keys, ("measure", "timepoint"))
    measure_rank = {c.measure: i for i, c in enumerate(definition.criteria)}
    out = frames.order_rows(out, keys, {"measure": measure_rank, "timepoint": _TP_RANK})
    return out[[*keys, *SUMMARY_FIELDS, *SUMMARY_EXTRA_FIELDS]]


def followup_completion(
    db: queries.Db,
    *,
    by: Sequence[str] | str | None = (),
    measure: str = "odi",
    timepoints: Sequence[str] = vocab.FOLLOWUP_TIMEPOINTS,
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Follow-up completion (n_followup_returned ÷ n_due) per group and timepoint.

    n_followup_returned counts due cases with a follow-up value of `measure` (baseline
    or not); n_assessed those with both values. Columns: group columns, timepoint,
    measure, n_cases, n_due, n_followup_returned, n_assessed, followup_rate,
    followup_ci_low, followup_ci_high, meets_target (>= FOLLOWUP_TARGET), unusable
    (< FOLLOWUP_UNUSABLE), suppressed (n_due below min_cell).
    """
    keys = check_group_columns(by)
    tps = _timepoints(timepoints)
    check_measure(measure)
    min_cell = check_min_cell(min_cell)
    day = frames.snapshot_day(as_of)
    wide = queries.query(
        db,
        "followup",
        filters=filters or Filters(),
        as_of=day,
        params={},
        group_cols=keys,
        fragments={"timepoint_counts": queries.timepoint_counts(measure, tps)},
    )
    # one row per group and timepoint, in vocabulary order
    out = pd.concat(
        [
            wide[[*keys, "n_cases"]].assign(
                timepoint=tp,
                measure=measure,
                n_due=wide[f"n_due__{tp}"],
                n_followup_returned=wide[f"n_followup_returned__{tp}"],
                n_assessed=wide[f"n_assessed__{tp}"],
            )
            for tp in tps
        ],
        ignore_index=True,
    )
    out = frames.as_int(out, ("n_cases", "n_due", "n_followup_returned", "n_assessed"))
    returned = out["n_followup_returned"]
    out["followup_rate"] = frames.ratio(returned, out["n_due"])
    out["followup_ci_low"], out["followup_ci_high"] = stats.wilson(returned, out["n_due"])
    rate = out["followup_rate"]
    out["meets_target"] = (rate >= FOLLOWUP_TARGET).astype("boolean").mask(rate.isna())
    out["unusable"] = (rate < FOLLOWUP_UNUSABLE).astype("boolean").mask(rate.isna())
    columns = [
        "n_cases", "n_due", "n_followup_returned", "n_assessed", "followup_rate", "followup_ci_low",
        "followup_ci_high", "meets_target", "unusable",
    ]  # fmt: skip
    out = apply_suppression(
        out,
        keys=keys,
        denominator="n_due",
        min_cell=min_cell,
        value_columns=columns,
        partition_by=("timepoint",),
    )
    out = frames.order_rows(out, keys, {"timepoint": _TP_RANK})
    return out[[*keys, "timepoint", "measure", *columns, "suppressed"]]


def default_bin_width(measure: str) -> float:
    """A twentieth of the scale; whole points for the 0-10 pain scales."""
    info = vocab.MEASURES[check_measure(measure)]
    width = (info.high - info.low) / 20
    return 1.0 if info.unit == "points" and width < 1 else float(width)


def change_distribution(
    db: queries.Db,
    *,
    measure: str = "odi",
    timepoint: str = DEFAULT_TIMEPOINT,
    by: Sequence[str] | str | None = (),
    bin_width: float | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Histogram of per-case improvement (positive = better), binned in SQL, per group.

    Bins are [bin_low, bin_high). Columns: group columns, measure, timepoint, bin_low,
    bin_high, n_cases, group_n, share (n_cases ÷ group_n), suppressed. A group with
    fewer than min_cell cases shows a single row with null bins.
    """
    keys = check_group_columns(by)
    check_measure(measure)
    check_timepoint(timepoint)
    min_cell = check_min_cell(min_cell)
    width = float(bin_width) if bin_width else default_bin_width(measure)
    if width <= 0:
        raise AnalyticsError("bin width must be above 0")
    filters = filters or Filters()
    params = {"bin_width": width, "higher_is_better": vocab.MEASURES[measure].higher_is_better}
    fragments = {
        "baseline": queries.fact(facts.value_column(measure, "baseline")),
        "followup": queries.fact(facts.value_column(measure, timepoint)),
    }
    bins = queries.query(
        db, "change_bins", filters=filters, as_of=frames.snapshot_day(as_of), params=params,
        group_cols=keys, fragments=fragments,
    )  # fmt: skip
    bins["bin_low"] = bins["bin_index"].astype(float) * width
    bins["bin_high"] = bins["bin_low"] + width
    bins = frames.as_int(bins.rename(columns={"n": "n_cases"}), ("n_cases",))
    # Suppression is decided per group on its number of cases; a hidden group shows no
    # bins at all, since which bins exist would already say something about its patients.
    group_keys = list(keys) or ["_all"]
    bins = bins.assign(_all=0)
    totals = bins.groupby(group_keys, as_index=False, sort=True)["n_cases"].sum()
    if not keys and totals.empty:
        totals = pd.DataFrame({"_all": [0], "n_cases": [0]})
    totals = frames.as_int(totals.rename(columns={"n_cases": "group_n"}), ("group_n",))
    totals = apply_suppression(
        totals, keys=keys, denominator="group_n", min_cell=min_cell, value_columns=("group_n",)
    )
    shown = bins.merge(totals[~totals["suppressed"]], on=group_keys, how="inner")
    shown["share"] = frames.ratio(shown["n_cases"], shown["group_n"])
    out = pd.concat([shown, totals[totals["suppressed"]]], ignore_index=True)
    out = out.assign(measure=measure, timepoint=timepoint)
    out = frames.order_rows(out, [*keys, "bin_low"], {})
    columns = [*keys, "measure", "timepoint", "bin_low", "bin_high", "n_cases", "group_n",
               "share", "suppressed"]  # fmt: skip
    out = out[columns].copy()
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


@dataclass(frozen=True)
class Funnel:
    """Provider comparison: one point per unit and the control limits across volumes."""

    unit: str  # "physician" or "clinic"
    criterion: Rule
    timepoint: str
    overall_rate: float  # responders ÷ denominator over every unit in view
    n_total: int
    points: pd.DataFrame
    limits: pd.DataFrame


def _volume_grid(max_n: int) -> np.ndarray:
    """Every whole n up to 400, beyond that 300 log-spaced volumes (the curve is smooth)."""
    if max_n <= 400:
        return np.arange(1, max_n + 1)
    return np.unique(np.round(np.geomspace(1, max_n, 300)).astype(int))


def funnel(
    db: queries.Db,
    *,
    unit: str = "physician",
    timepoint: str = DEFAULT_TIMEPOINT,
    responder: str | ResponderDefinition | None = DEFAULT_RESPONDER,
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
    levels: tuple[float, ...] = (0.95, 0.998),
) -> Funnel:
    """Funnel-plot data: responder rate per physician or clinic and exact binomial limits.

    points: unit, n (rate denominator), responders, responder_rate, ci_low, ci_high,
    position_95 / position_998 ("below", "within", "above"), suppressed.
    limits: n, lower_95, upper_95, lower_998, upper_998 for n from 1 to the largest unit.
    """
    if unit not in FUNNEL_UNITS:
        raise AnalyticsError(f"funnel unit must be one of {', '.join(FUNNEL_UNITS)}")
    definition = parse_responder(responder)
    if len(definition.criteria) != 1:
        raise AnalyticsError(
            "a funnel plot needs a responder definition with one rule, e.g. leg_pain:50% "
            "or leg_pain:50%+back_pain:50%"
        )
    criterion = definition.criteria[0]
    check_timepoint(timepoint)
    min_cell = check_min_cell(min_cell)
    raw = responders.aggregate(
        db, criterion, (timepoint,), (unit,), frames.snapshot_day(as_of), filters or Filters()
    )
    n = (raw["n_assessed"] - raw["n_excluded"]).astype("Int64")
    points = pd.DataFrame({unit: raw[unit], "n": n, "responders": raw["responders"]})
    n_total = int(points["n"].sum())
    overall = float(points["responders"].sum() / n_total) if n_total else float("nan")
    points["responder_rate"] = frames.ratio(points["responders"], points["n"])
    points["ci_low"], points["ci_high"] = stats.wilson(points["responders"], points["n"])
    tags = {level: _tag(level) for level in levels}
    if n_total:
        for level, (low, high) in stats.funnel_limits(
            points["n"].to_numpy(dtype=float), overall, levels
        ).items():
            rate = points["responder_rate"].to_numpy()
            position = np.where(rate < low, "below", np.where(rate > high, "above", "within"))
            # no position for a unit without a rate
            points[f"position_{tags[level]}"] = pd.Series(position, index=points.index).where(
                ~np.isnan(rate), None
            )
    else:
        for level in levels:
            points[f"position_{tags[level]}"] = None
    value_columns = ["n", "responders", "responder_rate", "ci_low", "ci_high",
                     *(f"position_{t}" for t in tags.values())]  # fmt: skip
    points = apply_suppression(
        points, keys=(unit,), denominator="n", min_cell=min_cell, value_columns=value_columns
    )
    # The curve spans the shown units only, so its end never reveals a hidden unit's n.
    shown_n = points.loc[~points["suppressed"], "n"]
    limits = pd.DataFrame({"n": _volume_grid(int(shown_n.max()) if len(shown_n) else 0)})
    for level, (low, high) in stats.funnel_limits(limits["n"], overall, levels).items():
        limits[f"lower_{tags[level]}"] = low
        limits[f"upper_{tags[level]}"] = high
    return Funnel(unit, criterion, timepoint, overall, n_total, points, limits)


def _tag(level: float) -> str:
    """0.95 -> "95", 0.998 -> "998" (column suffixes)."""
    return f"{level * 100:g}".replace(".", "")

"""Raw responder counts per group and timepoint for one rule of a responder definition.

A single criterion runs sql/summary.sql (one scan, means included); a joint criterion
(`A+B`, one patient meeting every part) runs sql/joint_summary.sql, which judges each
part the same way and combines them per case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from analytics import facts, frames, queries
from analytics.definitions import Criterion, Rule
from analytics.filters import Filters
from analytics.sql_files import literal
from pipelines import vocabulary as vocab

COUNTS: tuple[str, ...] = (
    "n_cases", "n_due", "n_followup_returned", "n_no_baseline", "n_assessed", "n_excluded",
    "responders",
)  # fmt: skip


Plan = tuple[str, dict[str, object], dict[str, str]]  # SQL file, parameters, fragments


def _single(criterion: Criterion, timepoints: Sequence[str]) -> Plan:
    measure = vocab.MEASURES[criterion.measure]
    params: dict[str, object] = {
        "higher_is_better": measure.higher_is_better,
        "scale_low": float(measure.low),
        "scale_high": float(measure.high),
        "is_percent": criterion.is_percent,
        "threshold": float(criterion.threshold),
    }
    fragments = {
        "baseline": queries.fact(facts.value_column(criterion.measure, "baseline")),
        "value_at_tp": queries.value_at(criterion.measure, timepoints),
    }
    return "summary", params, fragments


def _joint(parts: Sequence[Criterion], timepoints: Sequence[str]) -> Plan:
    infos = [vocab.MEASURES[p.measure] for p in parts]
    params: dict[str, object] = {
        "p_measure": [p.measure for p in parts],
        "p_higher_is_better": [m.higher_is_better for m in infos],
        "p_scale_low": [float(m.low) for m in infos],
        "p_scale_high": [float(m.high) for m in infos],
        "p_is_percent": [p.is_percent for p in parts],
        "p_threshold": [float(p.threshold) for p in parts],
    }
    baseline = " ".join(
        f"when {literal(p.measure)} then {queries.fact(facts.value_column(p.measure, 'baseline'))}"
        for p in parts
    )
    value = " ".join(
        f"when p.measure = {literal(p.measure)} and t.timepoint = {literal(tp)} then "
        f"{queries.fact(facts.value_column(p.measure, tp))}"
        for p in parts
        for tp in timepoints
    )
    fragments = {
        "baseline_of_part": f"case p.measure {baseline} end",
        "value_of_part": f"case {value} end",
    }
    return "joint_summary", params, fragments


def aggregate(
    db: queries.Db,
    rule: Rule,
    timepoints: Sequence[str],
    by: Sequence[str],
    as_of: dt.date,
    filters: Filters,
) -> pd.DataFrame:
    """Per-group, per-timepoint counts (COUNTS) and sums for one rule, `measure` named."""
    if isinstance(rule, Criterion):
        name, params, fragments = _single(rule, timepoints)
    else:
        name, params, fragments = _joint(rule.parts, timepoints)
    raw = queries.query(
        db,
        name,
        filters=filters,
        as_of=as_of,
        params={**queries.timepoint_params(timepoints), **params},
        group_cols=by,
        fragments={**fragments, "has_at_tp": queries.has_at(timepoints)},
    )
    if not by:
        raw = frames.fill_overall(raw, "timepoint", timepoints, COUNTS)
    raw = raw.drop(columns=["tp_days"], errors="ignore")
    raw.insert(len(by) + 1, "measure", rule.measure)
    return frames.as_int(raw, COUNTS)

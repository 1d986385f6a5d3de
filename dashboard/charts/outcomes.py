"""Outcomes over time and change from baseline: mean trajectories, change histograms."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from dashboard import labels, palette
from dashboard.charts.base import (
    HISTOGRAM_WIDTH,
    PCT1,
    TIMEPOINT_ORDER,
    Figure,
    as_floats,
    group_colour,
    group_order,
    label_groups,
    nothing_to_draw,
    tall,
    visible_rows,
)
from pipelines import vocabulary as vocab


def _segments(data: pd.DataFrame) -> pd.Series:
    """A segment id per row: a group's line restarts after each timepoint it lacks.

    A line drawn through a missing (hidden or unassessed) timepoint would claim a value
    there; splitting each group's points into runs of consecutive timepoints never does.
    """
    position = data["timepoint"].map({tp: i for i, tp in enumerate(vocab.TIMEPOINTS)})
    out = pd.Series("", index=data.index, dtype=object)
    for key, part in data.groupby("group", sort=False):
        steps = position[part.index].sort_values()
        run = (steps.diff().fillna(1) != 1).cumsum()
        out[steps.index] = [f"{key}#{r}" for r in run]
    return out


def line_groups(data: pd.DataFrame, group: str | None) -> tuple[pd.DataFrame, alt.Color]:
    """The groups of a chart of lines over time: their words and fixed colours (one
    neutral line for all cases when there is no group), the same on every such chart."""
    if group:
        data = label_groups(data, group)
        return data, group_colour(data, group)
    data["group"] = "all"
    data["group_label"] = "All cases in view"
    colour = alt.Color(
        "group_label:N", title=None, scale=alt.Scale(range=[palette.NEUTRAL]), legend=None
    )
    return data, colour


def trajectory(
    frame: pd.DataFrame, *, group: str | None = "pathway", measure: str = "odi"
) -> Figure:
    """Mean of a measure at each timepoint per group, with 95% interval bands."""
    info = vocab.MEASURES[measure]
    better = "Higher is better" if info.higher_is_better else "Lower is better"
    # who is counted at each timepoint: the frame says (analytics.trajectories' cohort)
    paired = "cohort" in frame.columns and len(frame) and (frame["cohort"] == "paired").all()
    who = (
        "Same patients: those with a baseline and a value at the timepoint."
        if paired
        else "Every patient with a value at the timepoint."
    )
    title = alt.Title(
        f"Mean {labels.measure_words(measure)} at each timepoint",
        subtitle=[f"{better}. Bands: 95% t interval.", who],
    )
    data = as_floats(visible_rows(frame), ["mean", "ci_low", "ci_high", "n_values"])
    data = data[data["mean"].notna()] if not data.empty else data
    if data.empty:
        return nothing_to_draw(title.text, frame)
    # An interval cannot leave the measure's scale (no opioid dose below 0 MME).
    data["ci_low"] = data["ci_low"].clip(lower=info.low, upper=info.high)
    data["ci_high"] = data["ci_high"].clip(lower=info.low, upper=info.high)
    data["timepoint_label"] = data["timepoint"].map(labels.TIMEPOINT)
    data["ci_text"] = [
        "" if np.isnan(lo) else f"{lo:.2f} to {hi:.2f}"
        for lo, hi in zip(data["ci_low"], data["ci_high"], strict=True)
    ]
    data, colour = line_groups(data, group)
    data["segment"] = _segments(data)
    # Every timepoint of the frame keeps its place, hidden ones too, so a gap shows as a gap.
    present = set(frame["timepoint"].map(labels.TIMEPOINT))
    order = [t for t in TIMEPOINT_ORDER if t in present]
    x = alt.X(
        "timepoint_label:N",
        title="Timepoint",
        sort=order,
        scale=alt.Scale(type="point", domain=order),
        axis=alt.Axis(labelAngle=0),
    )
    y_title = labels.MEASURE_AXIS[measure]
    tooltip = [
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE.get(group or "", "Group")),
        alt.Tooltip("timepoint_label:N", title="Timepoint"),
        alt.Tooltip("mean:Q", title=f"Mean {labels.measure_words(measure)}", format=".2f"),
        alt.Tooltip("ci_text:N", title="95% CI"),
        alt.Tooltip("n_values:Q", title="Patients with a value", format=","),
    ]
    base = alt.Chart().encode(x=x)
    line = base.mark_line(point=True, strokeWidth=2.5).encode(
        y=alt.Y("mean:Q", title=y_title, scale=alt.Scale(zero=False)),
        color=colour,
        detail="segment:N",
        tooltip=tooltip,
    )
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y("ci_low:Q", title=y_title, scale=alt.Scale(zero=False)),
        y2="ci_high:Q",
        color=alt.Color("group_label:N", legend=None),
        detail="segment:N",
    )
    return alt.layer(line, band, data=data, title=title).properties(height=tall(380, data))


def change_histogram(
    frame: pd.DataFrame,
    *,
    group: str | None = "pathway",
    measure: str = "odi",
    timepoint: str = "12m",
) -> Figure:
    """Distribution of each patient's improvement at a timepoint, one small panel per group."""
    info = vocab.MEASURES[measure]
    unit = "points" if info.unit == "points" else info.unit
    # the measure's name on a line of its own: the title must fit half a page
    title = alt.Title(
        f"Change from baseline at {labels.TIMEPOINT[timepoint].lower()}",
        subtitle=[
            f"{info.label}: improvement in {unit} (right of the line = better);",
            "bars: share of each group's patients.",
        ],
    )
    data = as_floats(visible_rows(frame), ["bin_low", "bin_high", "n_cases", "share", "group_n"])
    data = data[data["bin_low"].notna()] if not data.empty else data
    if data.empty:
        return nothing_to_draw(title.text, frame)
    if group:
        data = label_groups(data, group)
        colour = group_colour(data, group, legend=False)
        order = group_order(data, group)
    else:
        data["group"], data["group_label"] = "all", "All cases in view"
        colour = alt.Color("group_label:N", scale=alt.Scale(range=[palette.NEUTRAL]), legend=None)
        order = ["All cases in view"]
    data["range_text"] = [
        f"{lo:g} to {hi:g}" for lo, hi in zip(data["bin_low"], data["bin_high"], strict=True)
    ]
    tooltip = [
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE.get(group or "", "Group")),
        alt.Tooltip("range_text:N", title=f"Improvement ({unit})"),
        alt.Tooltip("n_cases:Q", title="Patients", format=","),
        alt.Tooltip("share:Q", title="Share of group", format=PCT1),
        alt.Tooltip("group_n:Q", title="Patients assessed in group", format=","),
    ]
    bars = (
        alt.Chart()
        .mark_bar(binSpacing=0)
        .encode(
            x=alt.X("bin_low:Q", title=f"Improvement ({unit})", bin="binned"),
            x2="bin_high:Q",
            y=alt.Y("share:Q", title="Share", axis=alt.Axis(format="%", tickCount=3)),
            color=colour,
            tooltip=tooltip,
        )
    )
    zero = (
        alt.Chart().mark_rule(color="black", strokeDash=[3, 3], aria=False).encode(x=alt.datum(0))
    )
    return (
        alt.layer(bars, zero, data=data)
        .properties(height=70, width=HISTOGRAM_WIDTH)
        .facet(
            row=alt.Row(
                "group_label:N",
                title=None,
                sort=order,
                header=alt.Header(
                    labelOrient="top", labelAnchor="start", labelFontWeight="bold", labelLimit=360
                ),
            ),
        )
        .properties(title=title)
    )

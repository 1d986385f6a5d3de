"""Overview charts: new cases per period, follow-up completion by timepoint."""

from __future__ import annotations

import altair as alt
import pandas as pd

from analytics.definitions import FOLLOWUP_TARGET, FOLLOWUP_UNUSABLE
from dashboard import labels, palette
from dashboard.charts.base import (
    PCT1,
    TIMEPOINT_ORDER,
    Figure,
    as_floats,
    empty_chart,
    group_colour,
    interval_text,
    visible_rows,
)
from pipelines import vocabulary as vocab


def new_cases(frame: pd.DataFrame, *, period: str = "quarter") -> Figure:
    """New cases per quarter (or year) by cause, stacked; hidden small cells left out."""
    title = alt.Title(
        f"New cases per {period}, by cause",
        subtitle="By treatment date. A period-and-cause cell with too few cases is not drawn.",
    )
    data = as_floats(visible_rows(frame), ["n_cases"])
    if data.empty:
        return empty_chart(title.text)
    starts = pd.to_datetime(data["period_start"])
    if period == "year":
        data["period"] = starts.dt.year.astype(str)
    else:
        data["period"] = starts.dt.year.astype(str) + " Q" + starts.dt.quarter.astype(str)
    data["cause_label"] = data["cause"].map(labels.CAUSE)
    data["group"] = data["cause"]
    order = sorted(data["period"].unique())
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X(
                "period:O", title=period.capitalize(), sort=order, axis=alt.Axis(labelAngle=-45)
            ),
            y=alt.Y("sum(n_cases):Q", title="New cases", stack="zero"),
            color=group_colour(data, "cause", field="cause_label", orient="right"),
            order=alt.Order("cause_rank:Q"),
            tooltip=[
                alt.Tooltip("period:O", title=period.capitalize()),
                alt.Tooltip("cause_label:N", title="Cause"),
                alt.Tooltip("n_cases:Q", title="New cases", format=","),
            ],
        )
        .transform_calculate(
            cause_rank=f"indexof({list(vocab.CAUSES)!r}, datum.cause)",
        )
        .properties(height=420)
    )


def followup_by_timepoint(frame: pd.DataFrame) -> Figure:
    """Follow-up completion per timepoint with its interval and the 50% and 80% marks."""
    title = alt.Title(
        "Follow-up completion by timepoint",
        subtitle=[
            "Patients who returned a follow-up score (with or without a baseline), of those due.",
            "Dashed lines: the 80% target of the US Quality Outcomes Database, and 50%,",
            "below which CMS treats a measure as unusable. Whiskers: 95% Wilson interval.",
        ],
    )
    data = as_floats(visible_rows(frame), ["followup_rate", "followup_ci_low", "followup_ci_high"])
    data = data[data["n_due"].fillna(0).astype(float) > 0] if not data.empty else data
    if data.empty:
        return empty_chart(title.text, "No follow-up is due yet for the cases in view")
    data["timepoint_label"] = data["timepoint"].map(labels.TIMEPOINT)
    data["assessed_text"] = [
        labels.n_of(a, d) for a, d in zip(data["n_followup_returned"], data["n_due"], strict=True)
    ]
    data["ci_text"] = interval_text(data["followup_ci_low"], data["followup_ci_high"])
    order = [t for t in TIMEPOINT_ORDER if t in set(data["timepoint_label"])]
    tooltip = [
        alt.Tooltip("timepoint_label:N", title="Timepoint"),
        alt.Tooltip("followup_rate:Q", title="Follow-up completion", format=PCT1),
        alt.Tooltip("assessed_text:N", title="Returned of due"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
    ]
    x = alt.X(
        "timepoint_label:N",
        title="Timepoint after treatment",
        sort=order,
        axis=alt.Axis(labelAngle=0),
    )
    base = alt.Chart(data)  # the marks layer has other data, so nothing is hoisted or hashed
    bars = base.mark_bar(color=palette.PATHWAY["less_invasive"], opacity=0.85).encode(
        x=x,
        y=alt.Y(
            "followup_rate:Q",
            title="Follow-up completion",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color="black", strokeWidth=1.5).encode(
        x=x, y="followup_ci_low:Q", y2="followup_ci_high:Q", tooltip=tooltip
    )
    marks = pd.DataFrame(
        {
            "rate": [FOLLOWUP_TARGET, FOLLOWUP_UNUSABLE],
            "mark": ["80% target (QOD)", "50% floor (CMS)"],
        }
    )
    lines = (
        alt.Chart(marks)
        .mark_rule(strokeDash=[6, 4], strokeWidth=2)
        .encode(
            y="rate:Q",
            color=alt.Color(
                "mark:N",
                title="Marks",
                scale=alt.Scale(domain=list(marks["mark"]), range=[palette.TARGET, palette.FLOOR]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[alt.Tooltip("mark:N", title="Mark")],
        )
    )
    return alt.layer(bars, whiskers, lines, title=title).properties(height=420)

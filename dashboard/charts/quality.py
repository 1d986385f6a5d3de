"""Data quality: completeness of each column, follow-up by clinic and timepoint."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from analytics.definitions import FOLLOWUP_TARGET, FOLLOWUP_UNUSABLE
from dashboard import labels, palette
from dashboard.charts.base import (
    HIDDEN,
    PCT1,
    TENTHS,
    TIMEPOINT_ORDER,
    Figure,
    as_floats,
    empty_chart,
    interval_text,
)


def completeness(frame: pd.DataFrame) -> Figure:
    """Share of records with a value, per column, grouped by table."""
    title = alt.Title(
        "Completeness of each column",
        subtitle="Share of the records in view that have a value. "
        "Optional columns (BMI, smoker, scores not collected) may be blank by design.",
    )
    data = as_floats(frame.copy(), ["share_present", "n_rows", "n_present"])
    data = data[data["n_rows"] > 0] if not data.empty else data
    if data.empty:
        return empty_chart(title.text)
    data["field"] = [
        labels.column_label(t, c) for t, c in zip(data["table"], data["column"], strict=True)
    ]
    data["present_text"] = [
        labels.n_of(p, n) for p, n in zip(data["n_present"], data["n_rows"], strict=True)
    ]
    data["band"] = np.select(
        [data["share_present"] >= 0.99, data["share_present"] >= 0.8],
        ["99% or more", "80% to 99%"],
        "under 80%",
    )
    bands = ["99% or more", "80% to 99%", "under 80%"]
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X(
                "share_present:Q",
                title="Records with a value",
                axis=alt.Axis(format="%", values=TENTHS),
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y(
                "field:N",
                title=None,
                sort=list(data["field"]),
                axis=alt.Axis(labelLimit=260, labelOverlap=False),
            ),
            color=alt.Color(
                "band:N",
                title="Complete",
                scale=alt.Scale(domain=bands, range=list(palette.BANDS)),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("field:N", title="Field"),
                alt.Tooltip("share_present:Q", title="Complete", format=PCT1),
                alt.Tooltip("present_text:N", title="With a value"),
            ],
        )
        .properties(height=alt.Step(20))
    )


def followup_heatmap(frame: pd.DataFrame, *, unit: str = "clinic") -> Figure:
    """Follow-up completion per clinic and timepoint, coloured against the 50% and 80% marks."""
    title = alt.Title(
        f"Follow-up completion by {labels.GROUP_TITLE[unit].lower()} and timepoint",
        subtitle="Blue: 80% target met. Yellow: usable but under target. "
        "Red: under 50%, unusable. Dashed blank cells are hidden as too small.",
    )
    if frame.empty:
        return empty_chart(title.text)
    data = as_floats(frame.copy(), ["followup_rate", "followup_ci_low", "followup_ci_high"])
    data["suppressed"] = data["suppressed"].fillna(False).astype(bool)
    data = data[data["suppressed"] | (data["n_due"].fillna(0).astype(float) > 0)]
    if data.empty:
        return empty_chart(title.text, "No follow-up is due yet for the cases in view")
    data["unit_name"] = data[unit].astype(str)
    data["timepoint_label"] = data["timepoint"].map(labels.TIMEPOINT)
    data["band"] = np.select(
        [data["followup_rate"] >= FOLLOWUP_TARGET, data["followup_rate"] >= FOLLOWUP_UNUSABLE],
        ["80% or more (target met)", "50% to 79%"],
        "under 50% (unusable)",
    )
    data["cell_text"] = [
        # One decimal beside a threshold: 49.7% is under 50%, "50%" would contradict its colour.
        HIDDEN if hidden else labels.percent(rate, 1)
        for hidden, rate in zip(data["suppressed"], data["followup_rate"], strict=True)
    ]
    data["assessed_text"] = [
        labels.n_of(a, d) for a, d in zip(data["n_followup_returned"], data["n_due"], strict=True)
    ]
    data["ci_text"] = interval_text(data["followup_ci_low"], data["followup_ci_high"])
    order = [t for t in TIMEPOINT_ORDER if t in set(data["timepoint_label"])]
    bands = ["80% or more (target met)", "50% to 79%", "under 50% (unusable)"]
    x = alt.X("timepoint_label:N", title="Timepoint", sort=order, axis=alt.Axis(labelAngle=0))
    y = alt.Y("unit_name:N", title=labels.GROUP_TITLE[unit], axis=alt.Axis(labelLimit=220))
    tooltip = [
        alt.Tooltip("unit_name:N", title=labels.GROUP_TITLE[unit]),
        alt.Tooltip("timepoint_label:N", title="Timepoint"),
        alt.Tooltip("followup_rate:Q", title="Follow-up completion", format=PCT1),
        alt.Tooltip("assessed_text:N", title="Returned of due"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
    ]
    base = alt.Chart().encode(x=x, y=y)
    shown = (
        base.transform_filter("!datum.suppressed")
        .mark_rect(stroke="white")
        .encode(
            color=alt.Color(
                "band:N",
                title="Follow-up",
                scale=alt.Scale(domain=bands, range=list(palette.BANDS)),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    hidden = base.transform_filter("datum.suppressed").mark_rect(
        fill="white", stroke=palette.SUPPRESSED_STROKE, strokeDash=[4, 3], aria=False
    )
    text = base.mark_text(fontSize=12).encode(
        text="cell_text:N",
        color=alt.when(alt.datum.suppressed)
        .then(alt.value(palette.SUPPRESSED_STROKE))
        .when(alt.FieldEqualPredicate(field="band", equal=bands[1]))
        .then(alt.value("black"))
        .otherwise(alt.value("white")),
        tooltip=tooltip,
    )
    return alt.layer(shown, hidden, text, data=data, title=title).properties(height=alt.Step(34))

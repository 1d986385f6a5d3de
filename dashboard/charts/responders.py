"""Responder rates: the cause × group heat map and bars, and rates side by side.

Intervals are the analytics layer's Wilson limits, drawn as rules from those columns.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from dashboard import labels, palette
from dashboard.charts.base import (
    BARS_WIDTH,
    OFFSET_PADDING,
    PCT1,
    PICK,
    TENTHS,
    Figure,
    as_floats,
    cause_order,
    empty_chart,
    group_colour,
    group_order,
    interval_text,
    label_groups,
    tall,
    visible_rows,
)


def _rate_frame(summary: pd.DataFrame, group: str) -> pd.DataFrame:
    data = summary.copy()
    data = as_floats(
        data,
        [
            "responder_rate",
            "responder_ci_low",
            "responder_ci_high",
            "n_assessed",
            "n_excluded",
            "responders",
            "n_due",
        ],
    )
    data["n_rate"] = data["n_assessed"] - data["n_excluded"]
    data["cause_label"] = data["cause"].map(labels.CAUSE)
    data = label_groups(data, group)
    data["suppressed"] = data["suppressed"].fillna(False).astype(bool)
    data["responders_text"] = [
        labels.n_of(r, n) for r, n in zip(data["responders"], data["n_rate"], strict=True)
    ]
    data["ci_text"] = interval_text(data["responder_ci_low"], data["responder_ci_high"])
    return data


def _focus_opacity(data: pd.DataFrame, focus: tuple[str, str] | None) -> Any:
    """Full opacity for the focused cell (all cells without a focus), faded otherwise."""
    if focus is None:
        data["is_focus"] = True
    else:
        data["is_focus"] = (data["cause"] == focus[0]) & (data["group"] == focus[1])
    return alt.when(alt.datum.is_focus).then(alt.value(1.0)).otherwise(alt.value(0.3))


def _rate_tooltip(group: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("cause_label:N", title="Cause"),
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE[group]),
        alt.Tooltip("responder_rate:Q", title="Responder rate", format=PCT1),
        alt.Tooltip("responders_text:N", title="Responders of assessed"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
    ]


def responder_heatmap(
    summary: pd.DataFrame,
    *,
    group: str = "pathway",
    measure_label: str = "",
    focus: tuple[str, str] | None = None,
) -> Figure:
    """Cause × pathway (or treatment) responder rates; n in each cell; hidden cells blank.

    `summary` is analytics.summary(by=("cause", group)) for one measure. A click on a shown
    cell sets the `pick` selection (fields cause and group).
    """
    title = alt.Title(
        f"Responder rate by cause and {group}",
        subtitle=[
            measure_label,
            "Each cell: responders as a share of patients assessed (n). "
            "Dashed blank cells are hidden as too small.",
        ],
    )
    if summary.empty:
        return empty_chart(title.text)
    data = _rate_frame(summary, group)
    opacity = _focus_opacity(data, focus)
    data["cell_text"] = [
        "hidden" if hidden else f"{labels.percent(rate)}\nn={labels.count(n)}"
        for hidden, rate, n in zip(
            data["suppressed"], data["responder_rate"], data["n_rate"], strict=True
        )
    ]
    data["dark"] = data["responder_rate"].fillna(1.0) < 0.55
    x = alt.X(
        "group_label:N",
        title=labels.GROUP_TITLE[group],
        sort=group_order(data, group),
        axis=alt.Axis(
            labelAngle=-35 if group == "treatment" else 0, labelLimit=180, labelOverlap=False
        ),
    )
    y = alt.Y("cause_label:N", title="Cause", sort=cause_order(data), axis=alt.Axis(labelLimit=220))
    pick = alt.selection_point(name=PICK, fields=["cause", "group"], on="click")
    base = alt.Chart().encode(x=x, y=y)
    shown = (
        base.transform_filter("!datum.suppressed")
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            color=alt.Color(
                "responder_rate:Q",
                title="Responder rate",
                scale=alt.Scale(scheme=palette.RATE_SCHEME, domain=[0, 1]),
                legend=alt.Legend(format="%", orient="right"),
            ),
            opacity=opacity,
            tooltip=_rate_tooltip(group),
        )
        .add_params(pick)
    )
    hidden = (
        base.transform_filter("datum.suppressed")
        .mark_rect(fill="white", stroke=palette.SUPPRESSED_STROKE, strokeDash=[4, 3])
        .encode(
            tooltip=[
                alt.Tooltip("cause_label:N", title="Cause"),
                alt.Tooltip("group_label:N", title=labels.GROUP_TITLE[group]),
                alt.Tooltip("cell_text:N", title="Figures"),
            ]
        )
    )
    text = base.mark_text(lineBreak="\n", fontSize=11).encode(
        text="cell_text:N",
        color=alt.when(alt.datum.suppressed)
        .then(alt.value(palette.SUPPRESSED_STROKE))
        .when(alt.datum.dark)
        .then(alt.value("white"))
        .otherwise(alt.value("black")),
        opacity=opacity,
        tooltip=_rate_tooltip(group),
    )
    return alt.layer(shown, hidden, text, data=data, title=title).properties(height=alt.Step(46))


def responder_bars(
    summary: pd.DataFrame,
    *,
    group: str = "pathway",
    measure_label: str = "",
    focus: tuple[str, str] | None = None,
) -> Figure:
    """The heat map's rates as bars per cause with 95% interval whiskers; clickable."""
    title = alt.Title(
        f"Responder rate by cause and {group}, with 95% intervals",
        subtitle=[
            measure_label,
            "Whiskers: 95% Wilson interval. Hidden small groups are not drawn.",
        ],
    )
    data = visible_rows(summary)
    if data.empty:
        return empty_chart(title.text)
    data = _rate_frame(data, group)
    opacity = _focus_opacity(data, focus)
    y = alt.Y(
        "group_label:N",
        title=None,
        sort=group_order(data, group),
        axis=alt.Axis(labelLimit=240, labelOverlap=False),
    )
    pick = alt.selection_point(name=PICK, fields=["cause", "group"], on="click")
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(
                "responder_rate:Q",
                title="Responder rate",
                axis=alt.Axis(format="%", values=TENTHS),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=group_colour(data, group),
            opacity=opacity,
            tooltip=_rate_tooltip(group),
        )
        .add_params(pick)
    )
    whiskers = (
        alt.Chart()
        .mark_rule(color="black")
        .encode(
            y=y,
            x="responder_ci_low:Q",
            x2="responder_ci_high:Q",
            opacity=opacity,
            tooltip=_rate_tooltip(group),
        )
    )
    return (
        alt.layer(bars, whiskers, data=data)
        .properties(width=BARS_WIDTH, height=alt.Step(20))
        .facet(
            row=alt.Row(
                "cause_label:N",
                title=None,
                sort=cause_order(data),
                header=alt.Header(
                    labelAngle=0, labelAlign="left", labelFontWeight="bold", labelLimit=200
                ),
            ),
        )
        .resolve_scale(y="independent")
        .properties(title=title)
    )


def rate_bars(
    summary: pd.DataFrame,
    *,
    group: str = "pathway",
    title: str = "Responder rates",
    definition_label: str = "",
) -> Figure:
    """Responder rates per group side by side (one cluster per measure), with whiskers."""
    data = visible_rows(summary)
    heading = alt.Title(title, subtitle=[definition_label, "Whiskers: 95% Wilson interval."])
    if data.empty:
        return empty_chart(title)
    data = as_floats(
        data,
        [
            "responder_rate",
            "responder_ci_low",
            "responder_ci_high",
            "n_assessed",
            "n_excluded",
            "responders",
        ],
    )
    data = data[data["responder_rate"].notna()]
    if data.empty:
        return empty_chart(title, "No patient has been assessed at this timepoint yet")
    data = label_groups(data, group)
    data["measure_label"] = data["measure"].map(labels.MEASURE)
    data["n_rate"] = data["n_assessed"] - data["n_excluded"]
    data["responders_text"] = [
        labels.n_of(r, n) for r, n in zip(data["responders"], data["n_rate"], strict=True)
    ]
    data["ci_text"] = interval_text(data["responder_ci_low"], data["responder_ci_high"])
    tooltip = [
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE[group]),
        alt.Tooltip("measure_label:N", title="Measure"),
        alt.Tooltip("responder_rate:Q", title="Responder rate", format=PCT1),
        alt.Tooltip("responders_text:N", title="Responders of assessed"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
    ]
    measures = [labels.MEASURE[m] for m in dict.fromkeys(data["measure"])]
    x = alt.X(
        "measure_label:N", title=None, sort=measures, axis=alt.Axis(labelAngle=0, labelLimit=320)
    )
    # The gap between bars is the offset scale's padding and every bar fills its band.
    # A bar narrower than its band (Streamlit's theme sets bar.discreteBandSize to 0.85)
    # is centred by Vega-Lite with the *cluster's* band width rather than the offset's, so
    # each bar slid right by 7.5% of a cluster — one whole bar with 15 treatments — and
    # every whisker (centred correctly) sat one bar to the left of its own (issue 12).
    offset = alt.XOffset(
        "group_label:N",
        sort=group_order(data, group),
        scale=alt.Scale(paddingInner=OFFSET_PADDING),
    )
    base = alt.Chart().encode(x=x, xOffset=offset)
    bars = base.mark_bar(width=alt.RelativeBandSize(1)).encode(
        y=alt.Y(
            "responder_rate:Q",
            title="Responder rate",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=group_colour(data, group),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color="black").encode(
        y="responder_ci_low:Q", y2="responder_ci_high:Q", tooltip=tooltip
    )
    return alt.layer(bars, whiskers, data=data, title=heading).properties(height=tall(380, data))

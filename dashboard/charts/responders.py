"""Responder rates: the cause × group heat map and bars, and rates side by side.

Intervals are the analytics layer's Wilson limits, drawn as rules from those columns.

A little over 300 lines: the heat map, the bars and rates side by side share the rate
frame, labels and tooltips above them.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from dashboard import labels, palette
from dashboard.charts.base import (
    BARS_WIDTH,
    HIDDEN,
    MIN_SHOWN,
    PCT1,
    PICK,
    TENTHS,
    Figure,
    as_floats,
    cause_order,
    empty_chart,
    group_colour,
    group_order,
    hidden_message,
    interval_text,
    label_groups,
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
        HIDDEN if hidden else f"{labels.percent(rate)}\nn={labels.count(n)}"
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
        .mark_rect(fill="white", stroke=palette.SUPPRESSED_STROKE, strokeDash=[4, 3], aria=False)
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


def _bar_labels(data: pd.DataFrame, group: str, *, with_measure: bool = False) -> pd.DataFrame:
    """Each bar's axis label carries its numbers: "Hardware revision: 82% (9/11), 52–95%".

    Hidden groups keep their place on the axis as "hidden (<5)", so a missing bar never
    reads as a missing treatment; `tick_x` puts a visible tick at the rate, so 0% shows.
    """
    figures = [
        HIDDEN
        if hidden
        else f"{labels.percent(rate)} ({labels.count(r)}/{labels.count(n)}), "
        + (labels.interval(lo, hi) or "no interval")
        for hidden, rate, r, n, lo, hi in zip(
            data["suppressed"],
            data["responder_rate"],
            data["responders"],
            data["n_rate"],
            data["responder_ci_low"],
            data["responder_ci_high"],
            strict=True,
        )
    ]
    names = data["group_label"].astype(str)
    if with_measure:
        names = data["measure"].map(labels.measure_short) + " · " + names
    data["axis_label"] = [f"{n}: {f}" for n, f in zip(names, figures, strict=True)]
    data["bar_text"] = figures
    rank = {code: i for i, code in enumerate(palette.ordered(group, data["group"].unique()))}
    data["group_rank"] = data["group"].map(rank)
    if with_measure:
        measures = list(dict.fromkeys(data["measure"]))
        data["group_rank"] = data["measure"].map(measures.index) * 1000 + data["group_rank"]
    data["tick_x"] = data["responder_rate"].where(~data["suppressed"])
    # A hidden group gets a bar of no width: no figure is drawn, but every facet keeps a
    # described bar for screen readers (an empty mark is an unlabelled image to them).
    data["bar_x"] = data["responder_rate"].where(~data["suppressed"], 0.0)
    data["hidden_x"] = [0.0 if h else None for h in data["suppressed"]]
    return data


def _bar_layers(
    data: pd.DataFrame, group: str, opacity: Any, tooltip: list[alt.Tooltip], *, pick: bool
) -> list[alt.Chart]:
    """Bars, whiskers, a tick at each rate (0% visible) and "hidden (<5)" notes."""
    y = alt.Y(
        "axis_label:N",
        title=None,
        sort=alt.EncodingSortField(field="group_rank", op="min"),
        axis=alt.Axis(labelLimit=360, labelOverlap=False),
    )
    x = alt.X(
        "bar_x:Q",
        title="Responder rate",
        axis=alt.Axis(format="%", values=TENTHS),
        scale=alt.Scale(domain=[0, 1]),
    )
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=y,
            x=x,
            color=group_colour(data, group, legend=False),
            opacity=opacity,
            tooltip=tooltip,
        )
    )
    if pick:
        picked = alt.selection_point(name=PICK, fields=["cause", "group"], on="click")
        bars = bars.add_params(picked)
    whiskers = (
        alt.Chart()
        .mark_rule(color="black", aria=False)
        .encode(
            y=y, x="responder_ci_low:Q", x2="responder_ci_high:Q", opacity=opacity, tooltip=tooltip
        )
    )
    ticks = (
        alt.Chart()
        .mark_tick(color="black", thickness=2, aria=False)
        .encode(y=y, x="tick_x:Q", opacity=opacity, tooltip=tooltip)
    )
    hidden = (
        alt.Chart()
        .mark_text(
            align="left", dx=4, color=palette.SUPPRESSED_STROKE, fontStyle="italic", aria=False
        )
        .encode(y=y, x="hidden_x:Q", text=alt.value(HIDDEN))
    )
    return [bars, whiskers, ticks, hidden]


def responder_bars(
    summary: pd.DataFrame,
    *,
    group: str = "pathway",
    measure_label: str = "",
    focus: tuple[str, str] | None = None,
) -> Figure:
    """The heat map's rates as labelled bars per cause with 95% whiskers; clickable.

    Each bar's label reads "82% (9/11), 52–95%"; hidden groups stay as "hidden (<5)".
    """
    title = alt.Title(
        f"Responder rate by cause and {group}, with 95% intervals",
        subtitle=[
            measure_label,
            "Label: rate (responders/assessed), 95% Wilson interval (whisker). "
            f"Groups under {MIN_SHOWN} patients: {HIDDEN}.",
        ],
    )
    if summary.empty:
        return empty_chart(title.text)
    data = _bar_labels(_rate_frame(summary, group), group)
    if data["suppressed"].all():
        return empty_chart(title.text, hidden_message())
    opacity = _focus_opacity(data, focus)
    layers = _bar_layers(data, group, opacity, _rate_tooltip(group), pick=True)
    return (
        alt.layer(*layers, data=data)
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
    """Responder rates per group (and measure) as labelled horizontal bars with whiskers.

    Each label reads "Hardware revision: 82% (9/11), 52–95%"; hidden groups stay on the
    axis as "hidden (<5)"; a tick marks every rate, so a 0% bar is visible and hoverable.
    """
    heading = alt.Title(
        title,
        subtitle=[
            definition_label,
            "Label: rate (responders/assessed), 95% Wilson interval (whisker).",
        ],
    )
    if summary.empty:
        return empty_chart(title)
    data = as_floats(
        summary.copy(),
        [
            "responder_rate",
            "responder_ci_low",
            "responder_ci_high",
            "n_assessed",
            "n_excluded",
            "responders",
        ],
    )
    data["suppressed"] = data["suppressed"].fillna(False).astype(bool)
    data = data[data["suppressed"] | data["responder_rate"].notna()]
    if data.empty:
        return empty_chart(title, "No patient has been assessed at this timepoint yet")
    if not (~data["suppressed"]).any():
        return empty_chart(title, hidden_message())
    data = label_groups(data.reset_index(drop=True), group)
    data["measure_label"] = data["measure"].map(labels.MEASURE)
    data["n_rate"] = data["n_assessed"] - data["n_excluded"]
    data["responders_text"] = [
        labels.n_of(r, n) for r, n in zip(data["responders"], data["n_rate"], strict=True)
    ]
    data["ci_text"] = interval_text(data["responder_ci_low"], data["responder_ci_high"])
    data = _bar_labels(data, group, with_measure=data["measure"].nunique() > 1)
    tooltip = [
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE[group]),
        alt.Tooltip("measure_label:N", title="Measure"),
        alt.Tooltip("responder_rate:Q", title="Responder rate", format=PCT1),
        alt.Tooltip("responders_text:N", title="Responders of assessed"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
    ]
    opacity = alt.value(1.0)
    layers = _bar_layers(data, group, opacity, tooltip, pick=False)
    return alt.layer(*layers, data=data, title=heading).properties(height=alt.Step(22))

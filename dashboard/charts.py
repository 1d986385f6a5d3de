"""Every chart of the dashboard: a pure function from an analytics frame to an `alt.Chart`.

No streamlit here. Intervals are columns the analytics layer computed (Wilson, t,
Greenwood, exact binomial limits) and are drawn as rules or bands from those columns, never
computed by Vega. Suppressed rows are never drawn with a number: on heat maps they are
blank, dashed cells; elsewhere they are left out. Titles and tooltips use clinical words,
and colours come from `palette`, so a pathway or treatment looks the same on every page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from analytics.definitions import FOLLOWUP_TARGET, FOLLOWUP_UNUSABLE
from dashboard import labels, palette
from pipelines import vocabulary as vocab

PICK = "pick"  # name of the click selection on the Causes & pathways charts
TIMEPOINT_ORDER: list[str] = [labels.TIMEPOINT[c] for c in vocab.TIMEPOINTS]
_PCT = ".0%"
TENTHS = [i / 10 for i in range(11)]
_PCT1 = ".1%"
_DAYS_PER_MONTH = 30.44
KM_MIN_AT_RISK = 10  # a curve's tail resting on fewer patients is noise, not information
# Curves end at the last scheduled follow-up (24 months). Past it nobody has another
# assessment, so the only patients still "in contact" are those with a later event:
# censoring stops being independent of the event and the curve would fall steeply.
KM_MAX_DAYS = 730
HISTOGRAM_WIDTH = 420
BARS_WIDTH = 560
LEGEND_COLUMNS = 2  # facets cannot stretch to the container: a width that fits half a page


# --- helpers ----------------------------------------------------------------------------


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that are not suppressed, as a plain copy."""
    if frame.empty:
        return frame.copy()
    if "suppressed" in frame.columns:
        frame = frame[~frame["suppressed"].fillna(False).astype(bool)]
    return frame.reset_index(drop=True).copy()


def _floats(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Nullable numbers as plain floats (NaN), which Vega reads as null."""
    for col in columns:
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def _interval_text(low: pd.Series, high: pd.Series, digits: int = 0) -> pd.Series:
    return pd.Series(
        [labels.interval(lo, hi, digits) for lo, hi in zip(low, high, strict=True)],
        index=low.index,
        dtype=object,
    )


def _empty(title: str, message: str = "No cases to show with these filters") -> alt.Chart:
    """A chart holding only a message, for frames with nothing to draw."""
    frame = pd.DataFrame({"message": [message]})
    return (
        alt.Chart(frame, title=title)
        .mark_text(fontSize=14, color=palette.NEUTRAL)
        .encode(text="message:N")
        .properties(height=80)
    )


def _label_groups(frame: pd.DataFrame, column: str, field: str = "group") -> pd.DataFrame:
    """Add `<field>` (the code) and `<field>_label` for a group column."""
    frame[field] = frame[column].astype(str)
    frame[f"{field}_label"] = frame[column].map(lambda v: labels.value_label(column, v))
    return frame


def _colour(
    frame: pd.DataFrame,
    column: str,
    *,
    field: str = "group_label",
    code_field: str = "group",
    legend: bool = True,
    orient: str = "bottom",
) -> alt.Color:
    """Colour by a group column's labels with each code's fixed colour."""
    domain_codes, colours = palette.scale(column, frame[code_field].dropna().unique())
    domain = [labels.value_label(column, c) for c in domain_codes]
    return alt.Color(
        f"{field}:N",
        title=labels.GROUP_TITLE.get(column, column),
        scale=alt.Scale(domain=domain, range=colours),
        sort=domain,
        legend=(
            alt.Legend(
                orient=orient, columns=1 if orient == "right" else LEGEND_COLUMNS, labelLimit=260
            )
            if legend
            else None
        ),
    )


def _tall(base: int, frame: pd.DataFrame, field: str = "group") -> int:
    """Total height for a chart with a bottom legend: the plot keeps `base` pixels."""
    n = frame[field].nunique() if field in frame.columns else 1
    return base + 30 * math.ceil(max(n, 1) / LEGEND_COLUMNS)


def _group_order(frame: pd.DataFrame, column: str) -> list[str]:
    codes = palette.ordered(column, frame["group"].dropna().unique())
    return [labels.value_label(column, c) for c in codes]


def _cause_order(frame: pd.DataFrame) -> list[str]:
    codes = palette.ordered("cause", frame["cause"].dropna().unique())
    return [labels.CAUSE[c] for c in codes]


# --- Overview ---------------------------------------------------------------------------


def new_cases(frame: pd.DataFrame, *, period: str = "quarter") -> alt.Chart:
    """New cases per quarter (or year) by cause, stacked; hidden small cells left out."""
    title = alt.Title(
        f"New cases per {period}, by cause",
        subtitle="By treatment date. A period-and-cause cell with too few cases is not drawn.",
    )
    data = _floats(_shown(frame), ["n_cases"])
    if data.empty:
        return _empty(title.text)
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
            color=_colour(data, "cause", field="cause_label", orient="right"),
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


def followup_by_timepoint(frame: pd.DataFrame) -> alt.Chart:
    """Follow-up completion per timepoint with its interval and the 50% and 80% marks."""
    title = alt.Title(
        "Follow-up completion by timepoint",
        subtitle=[
            "Patients who returned a follow-up score (with or without a baseline), of those due.",
            "Dashed lines: the 80% target of the US Quality Outcomes Database, and 50%,",
            "below which CMS treats a measure as unusable. Whiskers: 95% Wilson interval.",
        ],
    )
    data = _floats(_shown(frame), ["followup_rate", "followup_ci_low", "followup_ci_high"])
    data = data[data["n_due"].fillna(0).astype(float) > 0] if not data.empty else data
    if data.empty:
        return _empty(title.text, "No follow-up is due yet for the cases in view")
    data["timepoint_label"] = data["timepoint"].map(labels.TIMEPOINT)
    data["assessed_text"] = [
        labels.n_of(a, d) for a, d in zip(data["n_followup_returned"], data["n_due"], strict=True)
    ]
    data["ci_text"] = _interval_text(data["followup_ci_low"], data["followup_ci_high"])
    order = [t for t in TIMEPOINT_ORDER if t in set(data["timepoint_label"])]
    tooltip = [
        alt.Tooltip("timepoint_label:N", title="Timepoint"),
        alt.Tooltip("followup_rate:Q", title="Follow-up completion", format=_PCT1),
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


# --- Causes & pathways ------------------------------------------------------------------


def _rate_frame(summary: pd.DataFrame, group: str) -> pd.DataFrame:
    data = summary.copy()
    data = _floats(
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
    data = _label_groups(data, group)
    data["suppressed"] = data["suppressed"].fillna(False).astype(bool)
    data["responders_text"] = [
        labels.n_of(r, n) for r, n in zip(data["responders"], data["n_rate"], strict=True)
    ]
    data["ci_text"] = _interval_text(data["responder_ci_low"], data["responder_ci_high"])
    return data


def _focus_opacity(data: pd.DataFrame, focus: tuple[str, str] | None) -> alt.OpacityValue:
    if focus is None:
        data["is_focus"] = True
    else:
        data["is_focus"] = (data["cause"] == focus[0]) & (data["group"] == focus[1])
    return alt.when(alt.datum.is_focus).then(alt.value(1.0)).otherwise(alt.value(0.3))


def _rate_tooltip(group: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("cause_label:N", title="Cause"),
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE[group]),
        alt.Tooltip("responder_rate:Q", title="Responder rate", format=_PCT1),
        alt.Tooltip("responders_text:N", title="Responders of assessed"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
    ]


def responder_heatmap(
    summary: pd.DataFrame,
    *,
    group: str = "pathway",
    measure_label: str = "",
    focus: tuple[str, str] | None = None,
) -> alt.Chart:
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
        return _empty(title.text)
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
        sort=_group_order(data, group),
        axis=alt.Axis(
            labelAngle=-35 if group == "treatment" else 0, labelLimit=180, labelOverlap=False
        ),
    )
    y = alt.Y(
        "cause_label:N", title="Cause", sort=_cause_order(data), axis=alt.Axis(labelLimit=220)
    )
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
) -> alt.Chart:
    """The heat map's rates as bars per cause with 95% interval whiskers; clickable."""
    title = alt.Title(
        f"Responder rate by cause and {group}, with 95% intervals",
        subtitle=[
            measure_label,
            "Whiskers: 95% Wilson interval. Hidden small groups are not drawn.",
        ],
    )
    data = _shown(summary)
    if data.empty:
        return _empty(title.text)
    data = _rate_frame(data, group)
    opacity = _focus_opacity(data, focus)
    y = alt.Y(
        "group_label:N",
        title=None,
        sort=_group_order(data, group),
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
            color=_colour(data, group),
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
                sort=_cause_order(data),
                header=alt.Header(
                    labelAngle=0, labelAlign="left", labelFontWeight="bold", labelLimit=200
                ),
            ),
        )
        .resolve_scale(y="independent")
        .properties(title=title)
    )


# --- outcomes over time, change, responders side by side ---------------------------------


def trajectory(
    frame: pd.DataFrame, *, group: str | None = "pathway", measure: str = "odi"
) -> alt.Chart:
    """Mean of a measure at each timepoint per group, with 95% interval bands."""
    info = vocab.MEASURES[measure]
    better = "Higher is better" if info.higher_is_better else "Lower is better"
    title = alt.Title(
        f"Mean {labels.measure_words(measure)} at each timepoint",
        subtitle=f"{better}. Bands: 95% t interval. Every patient with a value at the timepoint.",
    )
    data = _floats(_shown(frame), ["mean", "ci_low", "ci_high", "n_values"])
    if data.empty:
        return _empty(title.text)
    data["timepoint_label"] = data["timepoint"].map(labels.TIMEPOINT)
    data["ci_text"] = [
        "" if np.isnan(lo) else f"{lo:.2f} to {hi:.2f}"
        for lo, hi in zip(data["ci_low"], data["ci_high"], strict=True)
    ]
    if group:
        data = _label_groups(data, group)
        colour = _colour(data, group)
    else:
        data["group"] = "all"
        data["group_label"] = "All cases in view"
        colour = alt.Color(
            "group_label:N", title=None, scale=alt.Scale(range=[palette.NEUTRAL]), legend=None
        )
    order = [t for t in TIMEPOINT_ORDER if t in set(data["timepoint_label"])]
    x = alt.X(
        "timepoint_label:N",
        title="Timepoint",
        sort=order,
        scale=alt.Scale(type="point"),
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
        tooltip=tooltip,
    )
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y("ci_low:Q", title=y_title, scale=alt.Scale(zero=False)),
        y2="ci_high:Q",
        color=alt.Color("group_label:N", legend=None),
    )
    return alt.layer(line, band, data=data, title=title).properties(height=_tall(380, data))


def change_histogram(
    frame: pd.DataFrame,
    *,
    group: str | None = "pathway",
    measure: str = "odi",
    timepoint: str = "12m",
) -> alt.Chart:
    """Distribution of each patient's improvement at a timepoint, one small panel per group."""
    info = vocab.MEASURES[measure]
    unit = "points" if info.unit == "points" else info.unit
    title = alt.Title(
        f"Change from baseline at {labels.TIMEPOINT[timepoint].lower()}: {info.label}",
        subtitle=f"Improvement in {unit} (right of the line = better); "
        "bars: share of each group's patients.",
    )
    data = _floats(_shown(frame), ["bin_low", "bin_high", "n_cases", "share", "group_n"])
    data = data[data["bin_low"].notna()] if not data.empty else data
    if data.empty:
        return _empty(title.text)
    if group:
        data = _label_groups(data, group)
        colour = _colour(data, group, legend=False)
        order = _group_order(data, group)
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
        alt.Tooltip("share:Q", title="Share of group", format=_PCT1),
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
    zero = alt.Chart().mark_rule(color="black", strokeDash=[3, 3]).encode(x=alt.datum(0))
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


def rate_bars(
    summary: pd.DataFrame,
    *,
    group: str = "pathway",
    title: str = "Responder rates",
    definition_label: str = "",
) -> alt.Chart:
    """Responder rates per group side by side (one cluster per measure), with whiskers."""
    data = _shown(summary)
    heading = alt.Title(title, subtitle=[definition_label, "Whiskers: 95% Wilson interval."])
    if data.empty:
        return _empty(title)
    data = _floats(
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
        return _empty(title, "No patient has been assessed at this timepoint yet")
    data = _label_groups(data, group)
    data["measure_label"] = data["measure"].map(labels.MEASURE)
    data["n_rate"] = data["n_assessed"] - data["n_excluded"]
    data["responders_text"] = [
        labels.n_of(r, n) for r, n in zip(data["responders"], data["n_rate"], strict=True)
    ]
    data["ci_text"] = _interval_text(data["responder_ci_low"], data["responder_ci_high"])
    tooltip = [
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE[group]),
        alt.Tooltip("measure_label:N", title="Measure"),
        alt.Tooltip("responder_rate:Q", title="Responder rate", format=_PCT1),
        alt.Tooltip("responders_text:N", title="Responders of assessed"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
    ]
    measures = [labels.MEASURE[m] for m in dict.fromkeys(data["measure"])]
    x = alt.X(
        "measure_label:N", title=None, sort=measures, axis=alt.Axis(labelAngle=0, labelLimit=320)
    )
    offset = alt.XOffset("group_label:N", sort=_group_order(data, group))
    base = alt.Chart().encode(x=x, xOffset=offset)
    bars = base.mark_bar().encode(
        y=alt.Y(
            "responder_rate:Q",
            title="Responder rate",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=_colour(data, group),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color="black").encode(
        y="responder_ci_low:Q", y2="responder_ci_high:Q", tooltip=tooltip
    )
    return alt.layer(bars, whiskers, data=data, title=heading).properties(height=_tall(380, data))


# --- reoperation-free survival ------------------------------------------------------------


def thin_curve(curve: pd.DataFrame, keys: Sequence[str], step_days: int = 7) -> pd.DataFrame:
    """At most one curve point per group and `step_days` (the last), plus each first point.

    A million cases give a step almost every day; a chart a few hundred pixels wide cannot
    show steps a week apart, so this keeps the drawing small without changing its shape.
    """
    if curve.empty:
        return curve
    data = curve.sort_values([*keys, "day"], kind="stable")
    bucket = (data["day"] // step_days).astype(int)
    by = [data[k] for k in keys] + [bucket]
    last = data.groupby(by, sort=False, dropna=False).tail(1)
    first = (
        data.groupby([data[k] for k in keys], sort=False, dropna=False).head(1)
        if keys
        else data.head(1)
    )
    out = pd.concat([first, last]).drop_duplicates()
    return out.sort_values([*keys, "day"], kind="stable").reset_index(drop=True)


def km_curves(
    frame: pd.DataFrame, *, group: str | None = "pathway", event_label: str = "Reoperation"
) -> alt.Chart:
    """Kaplan–Meier event-free curves per group with 95% interval bands (step functions)."""
    title = alt.Title(
        f"{event_label}-free survival (Kaplan–Meier)",
        subtitle=[
            "Share of patients without the event, by months since treatment. "
            "Bands: 95% interval (log-log).",
            f"Each curve stops where fewer than {KM_MIN_AT_RISK} patients remain at risk, and at "
            "24 months, the last scheduled follow-up.",
        ],
    )
    data = _floats(_shown(frame), ["day", "survival", "ci_low", "ci_high", "at_risk"])
    data = data[data["day"].notna()] if not data.empty else data
    if data.empty:
        return _empty(title.text)
    kept = (data["at_risk"] >= KM_MIN_AT_RISK) & (data["day"] <= KM_MAX_DAYS)
    data = thin_curve(data[kept], [group] if group else [])
    if data.empty:
        return _empty(title.text, f"Fewer than {KM_MIN_AT_RISK} patients at risk")
    data["months"] = (data["day"] / _DAYS_PER_MONTH).round(2)
    data["ci_text"] = _interval_text(data["ci_low"], data["ci_high"], 1)
    if group:
        data = _label_groups(data, group)
        colour = _colour(data, group)
    else:
        data["group"], data["group_label"] = "all", "All cases in view"
        colour = alt.Color("group_label:N", scale=alt.Scale(range=[palette.NEUTRAL]), legend=None)
    tooltip = [
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE.get(group or "", "Group")),
        alt.Tooltip("months:Q", title="Months after treatment", format=".1f"),
        alt.Tooltip("survival:Q", title=f"Free of {event_label.lower()}", format=_PCT1),
        alt.Tooltip("ci_text:N", title="95% CI"),
        alt.Tooltip("at_risk:Q", title="Still at risk", format=","),
    ]
    low = float(np.nanmin(data["ci_low"])) if data["ci_low"].notna().any() else 0.0
    y_scale = alt.Scale(domain=[max(0.0, np.floor(low * 20) / 20), 1.0])
    base = alt.Chart().encode(
        x=alt.X("months:Q", title="Months after treatment", axis=alt.Axis(tickMinStep=3)),
    )
    line = base.mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        y=alt.Y(
            "survival:Q",
            title=f"Free of {event_label.lower()}",
            scale=y_scale,
            axis=alt.Axis(format="%"),
        ),
        color=colour,
        tooltip=tooltip,
    )
    band = base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=alt.Y(
            "ci_low:Q",
            title=f"Free of {event_label.lower()}",
            scale=y_scale,
            axis=alt.Axis(format="%"),
        ),
        y2="ci_high:Q",
        color=alt.Color("group_label:N", legend=None),
    )
    return alt.layer(line, band, data=data, title=title).properties(height=_tall(400, data))


# --- Physicians & clinics ---------------------------------------------------------------


_POSITION_LABEL = {
    "above_998": "Above the 99.8% limit",
    "above_95": "Above the 95% limit",
    "within": "Within the limits",
    "below_95": "Below the 95% limit",
    "below_998": "Below the 99.8% limit",
}
_POSITION_COLOUR = {
    "above_998": "#004488",
    "above_95": "#6699CC",
    "within": "#BBBBBB",
    "below_95": "#EE9988",
    "below_998": "#BB5566",
}


def funnel_position(p95: object, p998: object) -> str:
    """One of _POSITION_LABEL's keys from the two analytics position columns."""
    if p998 in ("above", "below"):
        return f"{p998}_998"
    if p95 in ("above", "below"):
        return f"{p95}_95"
    return "within"


def funnel(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    unit: str = "physician",
    overall_rate: float = float("nan"),
    measure_label: str = "",
) -> alt.Chart:
    """Funnel plot: responder rate against n per physician or clinic, 95% and 99.8% limits."""
    who = labels.GROUP_TITLE[unit].lower()
    title = alt.Title(
        f"Responder rate by {who}, against the number of patients assessed",
        subtitle=[
            measure_label,
            "Dashed: 95% limits; dotted: 99.8% limits (exact binomial, Spiegelhalter 2005); "
            "line: overall rate. Unadjusted for case mix.",
        ],
    )
    data = _floats(_shown(points), ["n", "responders", "responder_rate", "ci_low", "ci_high"])
    if data.empty or np.isnan(overall_rate):
        return _empty(title.text)
    data["unit_name"] = data[unit].astype(str)
    data["position"] = [
        funnel_position(a, b)
        for a, b in zip(data["position_95"], data["position_998"], strict=True)
    ]
    data["position_label"] = data["position"].map(_POSITION_LABEL)
    data["responders_text"] = [
        labels.n_of(r, n) for r, n in zip(data["responders"], data["n"], strict=True)
    ]
    data["ci_text"] = _interval_text(data["ci_low"], data["ci_high"])
    present = [k for k in _POSITION_LABEL if k in set(data["position"])]
    colour = alt.Color(
        "position_label:N",
        title="Against the limits",
        scale=alt.Scale(
            domain=[_POSITION_LABEL[k] for k in present],
            range=[_POSITION_COLOUR[k] for k in present],
        ),
        legend=alt.Legend(orient="bottom"),
    )
    lim = limits.copy()
    lim = lim[lim["n"] >= 1]
    long = lim.melt(id_vars="n", var_name="limit", value_name="rate")
    long["level"] = np.where(long["limit"].str.endswith("998"), "99.8% limits", "95% limits")
    long["side"] = np.where(long["limit"].str.startswith("lower"), "lower", "upper")
    x = alt.X("n:Q", title="Patients assessed (n)", scale=alt.Scale(zero=False, nice=True))
    y_scale = alt.Scale(domain=[0, 1])
    lines = (
        alt.Chart(long)
        .mark_line(color=palette.NEUTRAL, strokeWidth=1.2)
        .encode(
            x=x,
            y=alt.Y("rate:Q", title="Responder rate", axis=alt.Axis(format="%"), scale=y_scale),
            detail="limit:N",
            strokeDash=alt.StrokeDash(
                "level:N",
                title="Control limits",
                scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[6, 4], [2, 2]]),
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    overall = (
        alt.Chart(pd.DataFrame({"rate": [overall_rate], "text": [labels.percent(overall_rate, 1)]}))
        .mark_rule(color="black", strokeWidth=1.5)
        .encode(y="rate:Q", tooltip=[alt.Tooltip("text:N", title="Overall responder rate")])
    )
    dots = (
        alt.Chart(data)
        .mark_circle(size=90, stroke="black", strokeWidth=0.6, opacity=0.95)
        .encode(
            x=x,
            y=alt.Y("responder_rate:Q", scale=y_scale),
            color=colour,
            tooltip=[
                alt.Tooltip("unit_name:N", title=labels.GROUP_TITLE[unit]),
                alt.Tooltip("responder_rate:Q", title="Responder rate", format=_PCT1),
                alt.Tooltip("responders_text:N", title="Responders of assessed"),
                alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
                alt.Tooltip("position_label:N", title="Against the limits"),
            ],
        )
    )
    return alt.layer(lines, overall, dots, title=title).properties(height=480)


# --- Data quality -----------------------------------------------------------------------


def completeness(frame: pd.DataFrame) -> alt.Chart:
    """Share of records with a value, per column, grouped by table."""
    title = alt.Title(
        "Completeness of each column",
        subtitle="Share of the records in view that have a value. "
        "Optional columns (BMI, smoker, scores not collected) may be blank by design.",
    )
    data = _floats(frame.copy(), ["share_present", "n_rows", "n_present"])
    data = data[data["n_rows"] > 0] if not data.empty else data
    if data.empty:
        return _empty(title.text)
    data["field"] = data["table"] + " · " + data["column"]
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
                scale=alt.Scale(domain=bands, range=["#004488", "#DDAA33", "#BB5566"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("table:N", title="Table"),
                alt.Tooltip("column:N", title="Column"),
                alt.Tooltip("share_present:Q", title="Complete", format=_PCT1),
                alt.Tooltip("present_text:N", title="With a value"),
            ],
        )
        .properties(height=alt.Step(20))
    )


def followup_heatmap(frame: pd.DataFrame, *, unit: str = "clinic") -> alt.Chart:
    """Follow-up completion per clinic and timepoint, coloured against the 50% and 80% marks."""
    title = alt.Title(
        f"Follow-up completion by {labels.GROUP_TITLE[unit].lower()} and timepoint",
        subtitle="Blue: 80% target met. Yellow: usable but under target. "
        "Red: under 50%, unusable. Dashed blank cells are hidden as too small.",
    )
    if frame.empty:
        return _empty(title.text)
    data = _floats(frame.copy(), ["followup_rate", "followup_ci_low", "followup_ci_high"])
    data["suppressed"] = data["suppressed"].fillna(False).astype(bool)
    data = data[data["suppressed"] | (data["n_due"].fillna(0).astype(float) > 0)]
    if data.empty:
        return _empty(title.text, "No follow-up is due yet for the cases in view")
    data["unit_name"] = data[unit].astype(str)
    data["timepoint_label"] = data["timepoint"].map(labels.TIMEPOINT)
    data["band"] = np.select(
        [data["followup_rate"] >= FOLLOWUP_TARGET, data["followup_rate"] >= FOLLOWUP_UNUSABLE],
        ["80% or more (target met)", "50% to 79%"],
        "under 50% (unusable)",
    )
    data["cell_text"] = [
        "hidden" if hidden else labels.percent(rate)
        for hidden, rate in zip(data["suppressed"], data["followup_rate"], strict=True)
    ]
    data["assessed_text"] = [
        labels.n_of(a, d) for a, d in zip(data["n_followup_returned"], data["n_due"], strict=True)
    ]
    data["ci_text"] = _interval_text(data["followup_ci_low"], data["followup_ci_high"])
    order = [t for t in TIMEPOINT_ORDER if t in set(data["timepoint_label"])]
    bands = ["80% or more (target met)", "50% to 79%", "under 50% (unusable)"]
    x = alt.X("timepoint_label:N", title="Timepoint", sort=order, axis=alt.Axis(labelAngle=0))
    y = alt.Y("unit_name:N", title=labels.GROUP_TITLE[unit], axis=alt.Axis(labelLimit=220))
    tooltip = [
        alt.Tooltip("unit_name:N", title=labels.GROUP_TITLE[unit]),
        alt.Tooltip("timepoint_label:N", title="Timepoint"),
        alt.Tooltip("followup_rate:Q", title="Follow-up completion", format=_PCT1),
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
                scale=alt.Scale(domain=bands, range=["#004488", "#DDAA33", "#BB5566"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    hidden = base.transform_filter("datum.suppressed").mark_rect(
        fill="white", stroke=palette.SUPPRESSED_STROKE, strokeDash=[4, 3]
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

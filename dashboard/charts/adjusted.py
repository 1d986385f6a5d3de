"""Case-mix adjusted comparisons (issue 9): crude beside adjusted, balance, O/E funnel,
and the bands of "patients like mine".

Each function takes what analytics.adjust returns (the `compare` and `similar` objects,
the `providers` frame) and draws intervals from the columns computed there; nothing is
estimated here. Suppressed figures are never drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from dashboard import labels, palette
from dashboard.charts.base import PCT1, Figure, empty_chart, interval_text

SMD_MARK = 0.1  # the usual mark of good balance (|SMD| < 0.1)
ESTIMATE_ORDER = ["Crude", "Adjusted (overlap weights)"]
DIFFERENCE_ORDER = ["Crude", "Adjusted (overlap weights)", "Doubly robust check"]
BAND_ORDER = ["clearly_better", "somewhat_better", "unchanged", "worse"]
BAND_COLOURS = ["#117733", "#88CCEE", "#BBBBBB", "#CC3311"]  # better to worse, Tol
# Streamlit fits a chart's whole height (title and legend too) into `height`: a short chart
# with a three-line title kept no room for its plot, and both pathways' rows fell on one
# line. Fitting only the width keeps `height` the plot's own, on screen and in the report.
PLOT_HEIGHT = alt.AutoSizeParams(type="fit-x", contains="padding")
# Streamlit's theme cuts axis labels at 100 px ("Less invasive opti…"): these say it whole.
WHOLE_LABELS = alt.Axis(labelLimit=220)
LOVE_COLOURS = ["#AA3377", "#222222"]  # before (Tol purple: no pathway's), after (near black)


def _arm_label(code: str) -> str:
    if code in labels.PATHWAY:
        return labels.PATHWAY[code]
    return labels.value_label("treatment", code)


def _arm_colour(code: str) -> str:
    return palette.PATHWAY.get(code) or palette.TREATMENT.get(code) or palette.NEUTRAL


def _definition_words(result: Mapping[str, Any]) -> str:
    """'minimal important change: ODI improved by at least 30%, at 12 months' (not codes)."""
    code, tp = str(result.get("definition", "")), str(result.get("timepoint", ""))
    words = labels.RESPONDER.get(code, code.replace("_", " "))
    return f"{words[:1].lower()}{words[1:]}, at {labels.TIMEPOINT.get(tp, tp).lower()}"


def covariate_words(code: str) -> str:
    """A balance covariate in words, as the report's balance table writes it."""
    return code.replace("_", " ").replace("=", ": ")


def crude_and_adjusted(result: Mapping[str, Any]) -> Figure:
    """Each arm's responder rate, crude and adjusted, as dots with 95% intervals."""
    title = alt.Title(
        "Responder rate by pathway: crude and case-mix adjusted",
        subtitle=[
            f"Responders: {_definition_words(result)}.",
            "Hollow: crude (Wilson 95% CI); filled: overlap-weighted (robust 95% CI).",
        ],
        anchor="start",  # from the left edge, as on screen: centred, fit-x would clip it
    )
    rows = []
    for p in result.get("pathways", []):
        for kind, rate, low, high in (
            (ESTIMATE_ORDER[0], p.get("rate"), p.get("rate_ci_low"), p.get("rate_ci_high")),
            (
                ESTIMATE_ORDER[1],
                p.get("adjusted_rate"),
                p.get("adjusted_ci_low"),
                p.get("adjusted_ci_high"),
            ),
        ):
            if rate is None or low is None or high is None:
                continue
            rows.append(
                {
                    "arm": _arm_label(p["pathway"]),
                    "code": p["pathway"],
                    "estimate": kind,
                    "rate": float(rate),
                    "low": float(low),
                    "high": float(high),
                    "n": p.get("n_analysed"),
                    "effective_n": p.get("effective_n"),
                }
            )
    if result.get("suppressed") or not rows:
        return empty_chart(title.text, "Too few analysed cases in a pathway to compare")
    data = pd.DataFrame(rows)
    data["ci_text"] = interval_text(data["low"], data["high"], 1)
    arms = list(dict.fromkeys(data["arm"]))
    colour = alt.Color(
        "arm:N",
        title="Pathway",
        scale=alt.Scale(domain=arms, range=[_arm_colour(c) for c in dict.fromkeys(data["code"])]),
        legend=None,
    )
    y = alt.Y("arm:N", title=None, sort=arms, axis=WHOLE_LABELS)
    offset = alt.YOffset("estimate:N", sort=ESTIMATE_ORDER, title=None)
    x = alt.X(
        "rate:Q", title="Responder rate", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
    )
    tooltip = [
        alt.Tooltip("arm:N", title="Pathway"),
        alt.Tooltip("estimate:N", title="Estimate"),
        alt.Tooltip("rate:Q", title="Responder rate", format=PCT1),
        alt.Tooltip("ci_text:N", title="95% CI"),
        alt.Tooltip("n:Q", title="Analysed (n)"),
        alt.Tooltip("effective_n:Q", title="Effective n after weighting", format=".0f"),
    ]
    # the layers carry no data; alt.layer gets it once (a DataFrame in every layer makes
    # Altair hash each layer's text to hoist it: docs/performance.md, "Dashboard")
    base = alt.Chart().encode(y=y, yOffset=offset, color=colour, tooltip=tooltip)
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", title="Responder rate", scale=alt.Scale(domain=[0, 1])), x2="high:Q"
    )
    shape = alt.Shape(
        "estimate:N",
        sort=ESTIMATE_ORDER,
        title="Estimate",
        scale=alt.Scale(domain=ESTIMATE_ORDER, range=["circle", "diamond"]),
        legend=alt.Legend(orient="bottom"),
    )
    # Crude hollow, adjusted filled: one layer each (fill is a mark property here).
    crude = (
        base.mark_point(size=110, strokeWidth=2, filled=False)
        .encode(x=x, shape=shape)
        .transform_filter(alt.datum.estimate == ESTIMATE_ORDER[0])
    )
    adjusted = (
        base.mark_point(size=110, strokeWidth=2, filled=True)
        .encode(x=x, shape=shape)
        .transform_filter(alt.datum.estimate == ESTIMATE_ORDER[1])
    )
    return alt.layer(bars, crude, adjusted, data=data, title=title).properties(
        height=55 * len(arms) + 20, autosize=PLOT_HEIGHT
    )


def difference(result: Mapping[str, Any]) -> Figure:
    """The difference between the arms (first − second), crude, adjusted and doubly robust."""
    arms = [_arm_label(a) for a in result.get("arms", [])]
    words = " − ".join(arms) if len(arms) == 2 else "first − second"
    title = alt.Title(
        f"Difference in responder rate ({words})",
        subtitle="Dots with 95% CI; the line at zero is no difference.",
        anchor="start",
    )
    d = result.get("difference") or {}
    rows = [
        {"estimate": name, "value": d.get(key), "low": d.get(f"{key}_ci_low"),
         "high": d.get(f"{key}_ci_high")}
        for name, key in zip(
            DIFFERENCE_ORDER, ("unadjusted", "adjusted", "doubly_robust"), strict=True
        )
    ]  # fmt: skip
    data = pd.DataFrame([r for r in rows if r["value"] is not None and r["low"] is not None])
    if result.get("suppressed") or data.empty:
        return empty_chart(title.text, "Too few analysed cases in a pathway to compare")
    data = data.astype({"value": float, "low": float, "high": float})
    data["ci_text"] = [
        f"{lo * 100:+.1f} to {hi * 100:+.1f} points"
        for lo, hi in zip(data["low"], data["high"], strict=True)
    ]
    data["value_text"] = [f"{v * 100:+.1f} points" for v in data["value"]]
    y = alt.Y("estimate:N", title=None, sort=DIFFERENCE_ORDER, axis=WHOLE_LABELS)
    # Ticks in points ("+8"), not "+8%": a difference of rates is not a rate.
    points = alt.Axis(labelExpr="datum.value == 0 ? '0' : format(datum.value * 100, '+.0f')")
    x = alt.X("value:Q", title="Difference (percentage points)", axis=points)
    tooltip = [
        alt.Tooltip("estimate:N", title="Estimate"),
        alt.Tooltip("value_text:N", title="Difference"),
        alt.Tooltip("ci_text:N", title="95% CI"),
    ]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"value": [0.0]})).mark_rule(color="black").encode(x="value:Q")
    bars = base.mark_rule(strokeWidth=2, color=palette.NEUTRAL).encode(
        x=alt.X("low:Q", title="Difference (percentage points)", axis=points), x2="high:Q"
    )
    dots = base.mark_point(size=110, filled=True, color=palette.NEUTRAL).encode(x=x)
    return alt.layer(zero, bars, dots, title=title).properties(height=110, autosize=PLOT_HEIGHT)


def love_plot(balance: Sequence[Mapping[str, Any]]) -> Figure:
    """Standardised mean difference of each covariate before and after weighting."""
    title = alt.Title(
        "Balance of the pathways on each covariate (love plot)",
        subtitle=f"Standardised mean difference; dashed lines at ±{SMD_MARK}: inside them "
        "the pathways are similar on that covariate.",
    )
    rows = [
        {"covariate": covariate_words(str(b["covariate"])), "when": when, "smd": b[key]}
        for b in balance
        for when, key in (("Before weighting", "smd_unadjusted"), ("After", "smd_adjusted"))
        if b.get(key) is not None
    ]
    if not rows:
        return empty_chart(title.text, "No covariates to balance")
    data = pd.DataFrame(rows).astype({"smd": float})
    # Order by the imbalance before weighting, the worst at the top.
    order = (
        data[data["when"] == "Before weighting"]
        .assign(size=lambda f: f["smd"].abs())
        .sort_values("size", ascending=False)["covariate"]
        .tolist()
    )
    y = alt.Y("covariate:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    marks = pd.DataFrame({"smd": [-SMD_MARK, SMD_MARK]})
    edges = (
        alt.Chart(marks)
        .mark_rule(strokeDash=[5, 4], color=palette.NEUTRAL)
        .encode(x=alt.X("smd:Q"))
    )
    # A grey zero line, so the "after" diamonds that sit on it (overlap weights balance the
    # means exactly) stay visible; "before" in a colour no pathway uses.
    zero = (
        alt.Chart(pd.DataFrame({"smd": [0.0]})).mark_rule(color=palette.NEUTRAL).encode(x="smd:Q")
    )
    dots = (
        alt.Chart(data)
        .mark_point(size=70, filled=True, opacity=0.9)
        .encode(
            x=alt.X("smd:Q", title="Standardised mean difference (repeat − less invasive)"),
            y=y,
            color=alt.Color(
                "when:N",
                title=None,
                scale=alt.Scale(domain=["Before weighting", "After"], range=LOVE_COLOURS),
                legend=alt.Legend(orient="bottom"),
            ),
            shape=alt.Shape(
                "when:N",
                scale=alt.Scale(domain=["Before weighting", "After"], range=["circle", "diamond"]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("covariate:N", title="Covariate"),
                alt.Tooltip("when:N", title="When"),
                alt.Tooltip("smd:Q", title="SMD", format=".3f"),
            ],
        )
    )
    return alt.layer(edges, zero, dots, title=title).properties(height=18 * len(order) + 60)


def similar_bands(result: Mapping[str, Any]) -> Figure:
    """Per pathway, the share of similar past patients in each band of ODI change."""
    tp = result.get("timepoint", "")
    title = alt.Title(
        f"How similar past patients fared at {labels.TIMEPOINT.get(tp, tp).lower()}",
        subtitle="A description of similar past patients, not a prediction. Bars: share in "
        "each band of ODI change; lines: Wilson 95% CI.",
    )
    rows = [
        {
            "arm": _arm_label(p["pathway"]),
            "band": band["band"],
            "band_label": band["label"],
            "share": float(band["share"]),
            "low": float(band["ci_low"]),
            "high": float(band["ci_high"]),
            "count": labels.n_of(band["n"], p["n"]),
        }
        for p in result.get("pathways", [])
        if not p.get("suppressed")
        for band in p.get("bands") or []
    ]
    if not rows:
        return empty_chart(title.text, "Too few similar past patients to show")
    data = pd.DataFrame(rows)
    data["ci_text"] = interval_text(data["low"], data["high"])
    labels_in_order = list(dict.fromkeys(data.set_index("band").loc[BAND_ORDER, "band_label"]))
    x = alt.X("band_label:N", title=None, sort=labels_in_order, axis=alt.Axis(labelAngle=0))
    colour = alt.Color(
        "band_label:N",
        title=None,
        sort=labels_in_order,
        scale=alt.Scale(domain=labels_in_order, range=BAND_COLOURS),
        legend=None,
    )
    tooltip = [
        alt.Tooltip("arm:N", title="Pathway"),
        alt.Tooltip("band_label:N", title="Band"),
        alt.Tooltip("share:Q", title="Share", format=PCT1),
        alt.Tooltip("count:N", title="Patients"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
    ]
    y = alt.Y("share:Q", title="Share of similar patients", axis=alt.Axis(format="%"))
    bars = alt.Chart().mark_bar().encode(x=x, y=y, color=colour, tooltip=tooltip)
    whiskers = alt.Chart().mark_rule(color="black").encode(x=x, y=alt.Y("low:Q"), y2="high:Q")
    return (
        alt.layer(bars, whiskers, data=data)
        .properties(width=260, height=220)
        .facet(column=alt.Column("arm:N", title=None))
        .properties(title=title)
    )

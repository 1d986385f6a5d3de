"""Physicians and clinics: the funnel plot of responder rate against volume."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from analytics.display_rules import FUNNEL_POSITION_LABEL, funnel_position
from dashboard import labels, palette
from dashboard.charts.base import PCT1, Figure, as_floats, empty_chart, interval_text, visible_rows


def funnel(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    unit: str = "physician",
    overall_rate: float = float("nan"),
    measure_label: str = "",
) -> Figure:
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
    data = as_floats(
        visible_rows(points), ["n", "responders", "responder_rate", "ci_low", "ci_high"]
    )
    if data.empty or np.isnan(overall_rate):
        return empty_chart(title.text)
    data["unit_name"] = data[unit].astype(str)
    data["position"] = [
        funnel_position(a, b)
        for a, b in zip(data["position_95"], data["position_998"], strict=True)
    ]
    data["position_label"] = data["position"].map(FUNNEL_POSITION_LABEL)
    data["responders_text"] = [
        labels.n_of(r, n) for r, n in zip(data["responders"], data["n"], strict=True)
    ]
    data["ci_text"] = interval_text(data["ci_low"], data["ci_high"])
    present = [k for k in FUNNEL_POSITION_LABEL if k in set(data["position"])]
    colour = alt.Color(
        "position_label:N",
        title="Against the limits",
        scale=alt.Scale(
            domain=[FUNNEL_POSITION_LABEL[k] for k in present],
            range=[palette.FUNNEL_POSITION[k] for k in present],
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
        .mark_rule(color="black", strokeWidth=1.5, aria=False)
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
                alt.Tooltip("responder_rate:Q", title="Responder rate", format=PCT1),
                alt.Tooltip("responders_text:N", title="Responders of assessed"),
                alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
                alt.Tooltip("position_label:N", title="Against the limits"),
            ],
        )
    )
    return alt.layer(lines, overall, dots, title=title).properties(height=480)

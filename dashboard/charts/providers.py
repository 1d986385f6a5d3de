"""Physicians and clinics: funnel plots of the crude responder rate against volume, and of
observed ÷ expected responders against the number expected (case-mix adjusted, issue 9).

A unit a reader looks for (the clinic or physician a report is about) is marked by a
`HIGHLIGHT` column holding its label: a larger ringed point with that label beside it.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from analytics.display_rules import FUNNEL_POSITION_LABEL, funnel_position
from dashboard import labels, palette
from dashboard.charts.base import PCT1, Figure, as_floats, empty_chart, interval_text, visible_rows

# A text column: non-empty on the row(s) to mark, with the words to write beside the point.
HIGHLIGHT = "highlight"
ADJUSTED_FUNNEL_WIDTH = 440


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
    colour = _position_colour(present)
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


def adjusted_funnel(frame: pd.DataFrame, *, unit: str, overall_rate: float) -> Figure:
    """Observed ÷ expected responders of each unit against its expected count.

    The unit's position uses its own limits for O given E (analytics.adjust.providers);
    rows with a `HIGHLIGHT` label are ringed and labelled (a report's own unit).
    the funnel lines are drawn for a unit whose patients all share the overall rate, a
    guide for the eye that can differ slightly from a unit's own limits.
    """
    who = labels.GROUP_TITLE[unit].lower()
    title = alt.Title(
        f"Observed ÷ expected responders by {who} (case-mix adjusted)",
        subtitle=[
            "Expected: from a risk model of age, sex, baseline score, risk factors,",
            "cause and index surgery, without the provider.",
            "Dashed: 95% limits; dotted: 99.8% limits (Spiegelhalter 2005);",
            "line at 1: as expected. Colour: the unit's position against its own limits.",
        ],
    )
    data = visible_rows(frame)
    if data.empty or "expected" not in data or data["expected"].isna().all():
        return empty_chart(title.text)
    for col in ("n", "responders", "expected", "oe_ratio", "adjusted_rate", "shrunken_rate"):
        data[col] = pd.to_numeric(data[col], errors="coerce").astype(float)
    data["unit_name"] = data[unit].astype(str)
    data["position"] = [
        funnel_position(a, b)
        for a, b in zip(data["position_95"], data["position_998"], strict=True)
    ]
    data["position_label"] = data["position"].map(FUNNEL_POSITION_LABEL)
    present = [k for k in FUNNEL_POSITION_LABEL if k in set(data["position"])]
    top = float(data["expected"].max())
    e = np.linspace(max(0.5, float(data["expected"].min()) * 0.8), top * 1.1, 80)
    rate = min(max(overall_rate, 1e-6), 1 - 1e-6)
    lines = []
    for level, z in (("95% limits", 1.959964), ("99.8% limits", 3.090232)):
        half = z * np.sqrt(e * (1 - rate)) / e
        for side, values in (("lower", np.maximum(1 - half, 0)), ("upper", 1 + half)):
            lines.append(pd.DataFrame({"e": e, "ratio": values, "level": level, "side": side}))
    long = pd.concat(lines, ignore_index=True)
    x = alt.X("e:Q", title="Expected responders (E)", scale=alt.Scale(zero=False, nice=True))
    limits = (
        alt.Chart(long)
        .mark_line(color=palette.NEUTRAL, strokeWidth=1.2)
        .encode(
            x=x,
            y=alt.Y("ratio:Q", title="Observed ÷ expected (O/E)"),
            detail="side:N",
            strokeDash=alt.StrokeDash(
                "level:N",
                title="Control limits",
                scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[6, 4], [2, 2]]),
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    one = alt.Chart(pd.DataFrame({"ratio": [1.0]})).mark_rule(color="black").encode(y="ratio:Q")
    dots = (
        alt.Chart(data.rename(columns={"expected": "e", "oe_ratio": "ratio"}))
        .mark_circle(size=90, stroke="black", strokeWidth=0.6, opacity=0.95)
        .encode(
            x="e:Q",
            y="ratio:Q",
            color=_position_colour(present),
            tooltip=[
                alt.Tooltip("unit_name:N", title=labels.GROUP_TITLE[unit]),
                alt.Tooltip("n:Q", title="Assessed (n)"),
                alt.Tooltip("responders:Q", title="Observed responders (O)"),
                alt.Tooltip("e:Q", title="Expected responders (E)", format=".1f"),
                alt.Tooltip("ratio:Q", title="O/E", format=".2f"),
                alt.Tooltip("adjusted_rate:Q", title="Risk-adjusted rate", format=PCT1),
                alt.Tooltip("shrunken_rate:Q", title="Shrunken rate", format=PCT1),
                alt.Tooltip("position_label:N", title="Against the limits"),
            ],
        )
    )
    layers: list[alt.Chart] = [limits, one, dots]
    marked = _highlighted(data.rename(columns={"expected": "e", "oe_ratio": "ratio"}))
    if not marked.empty:
        layers += _marker(marked, float(e.min()), float(e.max()))
    # The width only counts off screen (the dashboard stretches a chart to its column): in a
    # report the funnel sits beside its words, and 440 px keeps its text at the report's size.
    return alt.layer(*layers, title=title).properties(width=ADJUSTED_FUNNEL_WIDTH, height=480)


def _highlighted(data: pd.DataFrame) -> pd.DataFrame:
    """The visible rows carrying a highlight label (none when the column is absent)."""
    if HIGHLIGHT not in data.columns:
        return data.iloc[0:0]
    text = data[HIGHLIGHT].fillna("").astype(str).str.strip()
    return data[text != ""].assign(**{HIGHLIGHT: text[text != ""]})


def _marker(marked: pd.DataFrame, low: float, high: float) -> list[alt.Chart]:
    """A ring round the marked point and its label, on the side with room for the words."""
    right_half = marked["e"] > (low + high) / 2
    marked = marked.assign(align=np.where(right_half, "right", "left"))
    ring = (
        alt.Chart(marked)
        .mark_point(
            shape="circle", size=420, filled=False, stroke="black", strokeWidth=2.5, aria=False
        )
        .encode(x="e:Q", y="ratio:Q")
    )
    words = []
    for side, frame in marked.groupby("align"):
        words.append(
            alt.Chart(frame)
            .mark_text(
                align=str(side),  # type: ignore[arg-type]
                dx=-16 if side == "right" else 16,
                fontSize=13,
                fontWeight="bold",
                color="black",
            )
            .encode(x="e:Q", y="ratio:Q", text=f"{HIGHLIGHT}:N")
        )
    return [ring, *words]


def _position_colour(present: list[str]) -> alt.Color:
    """Both funnels colour a unit by its place against the limits, in the same colours."""
    return alt.Color(
        "position_label:N",
        title="Against the limits",
        scale=alt.Scale(
            domain=[FUNNEL_POSITION_LABEL[k] for k in present],
            range=[palette.FUNNEL_POSITION[k] for k in present],
        ),
        legend=alt.Legend(orient="bottom"),
    )

"""Event-free survival: Kaplan–Meier step curves with their interval bands.

The cut at 24 months and the minimum number at risk are `analytics.display_rules`, the
same ones `fbss events` and the tables use.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from analytics.display_rules import DAYS_PER_MONTH, KM_MAX_DAYS, KM_MIN_AT_RISK
from analytics.events import AT_RISK_DAYS
from dashboard import labels, palette
from dashboard.charts.base import (
    PCT,
    PCT1,
    Figure,
    as_floats,
    empty_chart,
    group_colour,
    interval_text,
    label_groups,
    nothing_to_draw,
    tall,
    visible_rows,
)

# The numbers-at-risk table's columns (0, 3, 6, 12, 24 months) are the axis ticks.
AT_RISK_MONTHS: list[int] = [round(day / DAYS_PER_MONTH) for day in AT_RISK_DAYS]


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
) -> Figure:
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
    data = as_floats(visible_rows(frame), ["day", "survival", "ci_low", "ci_high", "at_risk"])
    data = data[data["day"].notna()] if not data.empty else data
    if data.empty:
        return nothing_to_draw(title.text, frame)
    kept = (data["at_risk"] >= KM_MIN_AT_RISK) & (data["day"] <= KM_MAX_DAYS)
    data = thin_curve(data[kept], [group] if group else [])
    if data.empty:
        return empty_chart(title.text, f"Fewer than {KM_MIN_AT_RISK} patients at risk")
    data["months"] = (data["day"] / DAYS_PER_MONTH).round(2)
    data["ci_text"] = interval_text(data["ci_low"], data["ci_high"], 1)
    if group:
        data = label_groups(data, group)
        colour = group_colour(data, group)
    else:
        data["group"], data["group_label"] = "all", "All cases in view"
        colour = alt.Color("group_label:N", scale=alt.Scale(range=[palette.NEUTRAL]), legend=None)
    tooltip = [
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE.get(group or "", "Group")),
        alt.Tooltip("months:Q", title="Months after treatment", format=".1f"),
        alt.Tooltip("survival:Q", title=f"Free of {event_label.lower()}", format=PCT1),
        alt.Tooltip("ci_text:N", title="95% CI"),
        alt.Tooltip("at_risk:Q", title="Still at risk", format=","),
    ]
    data["ci_low"] = data["ci_low"].clip(0.0, 1.0)
    data["ci_high"] = data["ci_high"].clip(0.0, 1.0)
    # From 0, so a fall from 100% to 90% looks like the tenth it is; ticks at the follow-up
    # times, the columns of the numbers-at-risk table under the chart.
    y_scale = alt.Scale(domain=[0.0, 1.0])
    base = alt.Chart().encode(
        x=alt.X(
            "months:Q",
            title="Months after treatment",
            scale=alt.Scale(domain=[0, AT_RISK_MONTHS[-1]], nice=False),
            axis=alt.Axis(values=AT_RISK_MONTHS, format="d"),
        ),
    )
    line = base.mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        y=alt.Y(
            "survival:Q",
            title=f"Free of {event_label.lower()}",
            scale=y_scale,
            axis=alt.Axis(format=PCT),
        ),
        color=colour,
        tooltip=tooltip,
    )
    band = base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=alt.Y(
            "ci_low:Q",
            title=f"Free of {event_label.lower()}",
            scale=y_scale,
            axis=alt.Axis(format=PCT),
        ),
        y2="ci_high:Q",
        color=alt.Color("group_label:N", legend=None),
    )
    return alt.layer(line, band, data=data, title=title).properties(height=tall(400, data))

"""Charts for the follow-up definitions of issue 8: paired change over time, who is lost.

Each function takes an analytics frame and returns an `alt.Chart`; no streamlit import.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from analytics.lost_to_followup import SMD_MARK
from dashboard import labels
from dashboard.charts.base import Figure
from dashboard.charts.outcomes import _segments, line_groups
from pipelines import vocabulary as vocab

_ORDER: list[str] = [labels.TIMEPOINT[c] for c in vocab.TIMEPOINTS]


def _empty(title: str) -> alt.Chart:
    frame = pd.DataFrame({"text": ["No cases to show with these filters"]})
    return alt.Chart(frame, title=title).mark_text(size=14).encode(text="text:N")


def mean_change(frame: pd.DataFrame, *, group: str | None, measure: str) -> Figure:
    """Mean improvement from baseline of the same patients at each timepoint (paired t bars)."""
    title = alt.Title(
        f"Change in {labels.measure_words(measure)} from baseline",
        subtitle=[
            "Same patients: each timepoint counts those with a baseline and a value there.",
            "Positive = better. Bars: 95% paired t interval.",
        ],
    )
    shown = frame[~frame["suppressed"].astype(bool)].dropna(subset=["mean_change"])
    if shown.empty:
        return _empty(title.text)
    data = shown.assign(
        timepoint_label=shown["timepoint"].map(labels.TIMEPOINT),
        mean_change=shown["mean_change"].astype(float),
        change_ci_low=shown["change_ci_low"].astype(float),
        change_ci_high=shown["change_ci_high"].astype(float),
    )
    # The groups' words and colours are those of the trajectory chart beside it.
    data, colour = line_groups(data, group)
    # Every timepoint of the frame keeps its place and a line restarts after a missing one
    # (hidden or unassessed): a line through a gap would claim a value there (issue 12).
    data["segment"] = _segments(data)
    present = set(frame["timepoint"].map(labels.TIMEPOINT))
    order = [t for t in _ORDER if t in present]
    x = alt.X(
        "timepoint_label:N",
        title="Timepoint",
        sort=order,
        scale=alt.Scale(type="point", domain=order),
        axis=alt.Axis(labelAngle=0),
    )
    tooltip = [
        alt.Tooltip("group_label:N", title=labels.GROUP_TITLE.get(group or "", "Group")),
        alt.Tooltip("timepoint_label:N", title="Timepoint"),
        alt.Tooltip("mean_change:Q", title="Mean change", format=".2f"),
        alt.Tooltip("baseline_mean:Q", title="Their baseline mean", format=".2f"),
        alt.Tooltip("n_values:Q", title="Patients with both values", format=","),
    ]
    base = alt.Chart().encode(x=x, color=colour)
    line = base.mark_line(point=True).encode(
        y=alt.Y("mean_change:Q", title="Mean improvement"), detail="segment:N", tooltip=tooltip
    )
    # the bars' field must not add its name to the axis title ("…, change_ci_low")
    bars = base.mark_errorbar().encode(
        y=alt.Y("change_ci_low:Q", title="Mean improvement"), y2="change_ci_high:Q"
    )
    return alt.layer(line, bars, data=data, title=title, height=320)


def dropout_smd(frame: pd.DataFrame) -> Figure:
    """Standardised mean differences, lost minus followed, with the ±0.1 marks."""
    title = alt.Title(
        "Who is lost to follow-up",
        subtitle=f"Standardised mean difference, lost minus followed; beyond ±{SMD_MARK:g} "
        "the groups differ.",
    )
    shown = frame[~frame["suppressed"].astype(bool)].dropna(subset=["smd"])
    if shown.empty:
        return _empty(title.text)
    data = shown.assign(
        item=[
            f"{c.replace('_', ' ')}: {lv.replace('_', ' ')}" if isinstance(lv, str) else
            c.replace("_", " ")
            for c, lv in zip(shown["characteristic"], shown["level"], strict=True)
        ],
        smd=shown["smd"].astype(float),
    )  # fmt: skip
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("smd:Q", title="Standardised mean difference"),
            y=alt.Y("item:N", title=None, sort=None),
            color=alt.Color("imbalanced:N", title=f"|SMD| ≥ {SMD_MARK:g}"),
            tooltip=[
                alt.Tooltip("item:N", title="Characteristic"),
                alt.Tooltip("followed_value:Q", title="Followed", format=".3f"),
                alt.Tooltip("lost_value:Q", title="Lost", format=".3f"),
                alt.Tooltip("smd:Q", title="SMD", format=".3f"),
            ],
        )
    )
    marks = pd.DataFrame({"smd": [-SMD_MARK, SMD_MARK]})
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 4]).encode(x="smd:Q")
    return alt.layer(rules, points, title=title, height=max(200, 22 * len(data)))

"""Overview charts: new cases per period, follow-up completion by timepoint."""

from __future__ import annotations

import datetime as dt

import altair as alt
import numpy as np
import pandas as pd

from analytics.definitions import DEFAULT_MIN_CELL, FOLLOWUP_TARGET, FOLLOWUP_UNUSABLE
from dashboard import labels, palette
from dashboard.charts.base import (
    PCT1,
    TIMEPOINT_ORDER,
    Figure,
    as_floats,
    empty_chart,
    interval_text,
    nothing_to_draw,
    tall,
    visible_rows,
)
from pipelines import vocabulary as vocab

OTHER = "other"  # the code of the merged hidden causes
OTHER_LABEL = "Other (hidden)"
_UNIT = {"quarter": "yearquarter", "year": "year", "month": "yearmonth"}
_OFFSET = {"quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}


def _period_rows(
    frame: pd.DataFrame, totals: pd.DataFrame | None, min_cell: int = DEFAULT_MIN_CELL
) -> pd.DataFrame:
    """Shown cause cells plus, per period, the hidden causes merged as one "other" cell.

    `totals` (the same count without the cause split) gives each period's true size, so a
    period whose causes are all small still shows its cases instead of vanishing.
    """
    cells = as_floats(visible_rows(frame), ["n_cases"])
    cells = cells[["period_start", "cause", "n_cases"]] if not cells.empty else cells
    if totals is None or totals.empty:
        return cells.reset_index(drop=True)
    total = as_floats(visible_rows(totals), ["n_cases"])[["period_start", "n_cases"]]
    cells = _merge_until_safe(cells, total.set_index("period_start")["n_cases"], min_cell)
    shown = cells.groupby("period_start")["n_cases"].sum() if not cells.empty else pd.Series()
    other = total.set_index("period_start")["n_cases"].sub(shown, fill_value=0)
    other = other[other > 0].rename("n_cases").reset_index().assign(cause=OTHER)
    return pd.concat([cells, other], ignore_index=True)


def _merge_until_safe(cells: pd.DataFrame, totals: pd.Series, min_cell: int) -> pd.DataFrame:
    """Move a period's smallest shown causes into "other" until "other" is 0 or >= min_cell.

    "Other (hidden)" is printed as a count, so 1-4 hidden cases in it would be a small
    cell shown outright (and the period total minus the shown causes gives it anyway).
    """
    if cells.empty:
        return cells
    keep = []
    for start, group in cells.groupby("period_start", sort=False):
        group = group.sort_values("n_cases")
        hidden = float(totals.get(start, group["n_cases"].sum())) - float(group["n_cases"].sum())
        while 0 < hidden < min_cell and not group.empty:
            hidden += float(group["n_cases"].iloc[0])
            group = group.iloc[1:]
        keep.append(group)
    return pd.concat(keep).sort_index() if keep else cells.iloc[0:0]


def new_cases(
    frame: pd.DataFrame,
    *,
    totals: pd.DataFrame | None = None,
    period: str = "quarter",
    as_of: dt.date | None = None,
) -> Figure:
    """New cases per quarter (or year) by cause, stacked on a continuous time axis.

    Hidden small causes are merged per period into "Other (hidden)" (from `totals`, the
    period counts without the cause split), so bar heights are the period totals; periods
    without a case stay as gaps on the axis; the period holding `as_of` is marked as
    still in progress.
    """
    title = alt.Title(
        f"New cases per {period}, by cause",
        subtitle=[
            f"By treatment date; label: the {period}'s total. Causes with too few cases in a "
            f'{period} are merged into "{OTHER_LABEL}".',
            f"A faded last bar is the current {period}, still in progress.",
        ],
    )
    data = _period_rows(frame, totals)
    if data.empty:
        return nothing_to_draw(title.text, frame)
    data["period_start"] = pd.to_datetime(data["period_start"])
    starts = data["period_start"]
    data["period"] = (
        starts.dt.year.astype(str)
        if period == "year"
        else starts.dt.year.astype(str) + " Q" + starts.dt.quarter.astype(str)
    )
    current = pd.Timestamp(as_of) if as_of is not None else None
    offset = _OFFSET.get(period, pd.DateOffset(months=3))
    data["in_progress"] = (
        [bool(s <= current < s + offset) for s in starts]
        if current is not None
        else [False] * len(data)
    )
    data["cause_label"] = [OTHER_LABEL if c == OTHER else labels.CAUSE[c] for c in data["cause"]]
    rank = {code: i for i, code in enumerate([*vocab.CAUSES, OTHER])}
    data["cause_rank"] = data["cause"].map(rank)
    data["period_total"] = data.groupby("period_start")["n_cases"].transform("sum")
    data["status"] = np.where(data["in_progress"], f"{period.capitalize()} in progress", "Complete")
    codes = palette.ordered("cause", [c for c in data["cause"].unique() if c != OTHER])
    has_other = OTHER in set(data["cause"])
    domain = [labels.CAUSE[c] for c in codes] + ([OTHER_LABEL] if has_other else [])
    colours = [palette.CAUSE[c] for c in codes] + ([palette.OTHER] if has_other else [])
    unit = _UNIT.get(period, "yearquarter")
    x = alt.X(
        f"{unit}(period_start):T",
        title=period.capitalize(),
        axis=alt.Axis(
            format="%Y" if period == "year" else "Q%q %Y", labelAngle=45, labelAlign="left"
        ),  # each label starts at its period's left edge and runs under its own bar
    )
    tooltip = [
        alt.Tooltip("period:N", title=period.capitalize()),
        alt.Tooltip("cause_label:N", title="Cause"),
        alt.Tooltip("n_cases:Q", title="New cases", format=","),
        alt.Tooltip("period_total:Q", title=f"All new cases in the {period}", format=","),
        alt.Tooltip("status:N", title="Status"),
    ]
    top = float(data["period_total"].max()) * 1.15  # room for the total above the tallest bar
    bars = (
        alt.Chart()
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=alt.Y("n_cases:Q", title="New cases", stack="zero", scale=alt.Scale(domain=[0, top])),
            color=alt.Color(
                "cause_label:N",
                title="Cause",
                scale=alt.Scale(domain=domain, range=colours),
                sort=domain,
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=260),
            ),
            opacity=alt.when(alt.datum.in_progress).then(alt.value(0.45)).otherwise(alt.value(1.0)),
            order=alt.Order("cause_rank:Q"),
            tooltip=tooltip,
        )
    )
    per_period = data.groupby("period_start", as_index=False).agg(
        period_total=("n_cases", "sum"),
        in_progress=("in_progress", "max"),
        period=("period", "first"),
    )
    per_period["total_text"] = [
        f"{labels.count(n)} so far" if p else labels.count(n)
        for n, p in zip(per_period["period_total"], per_period["in_progress"], strict=True)
    ]
    totals_text = (
        alt.Chart(per_period)
        .mark_text(dy=-4, baseline="bottom", fontSize=11)
        .encode(
            x=alt.X(x.shorthand, bandPosition=0.5),
            y=alt.Y("period_total:Q", scale=alt.Scale(domain=[0, top])),
            text="total_text:N",
            tooltip=[
                alt.Tooltip("period:N", title=period.capitalize()),
                alt.Tooltip("total_text:N", title="All new cases"),
            ],
        )
    )
    return alt.layer(alt.layer(bars, data=data), totals_text, title=title).properties(
        height=tall(360, data.assign(group=data["cause"]))
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
    whiskers = base.mark_rule(color="black", strokeWidth=1.5, aria=False).encode(
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
        .mark_rule(strokeDash=[6, 4], strokeWidth=2, aria=False)
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

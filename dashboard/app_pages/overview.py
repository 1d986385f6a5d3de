"""Overview: how many cases, is follow-up collected, how many respond, when data last came."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from typing import Any

import pandas as pd
import streamlit as st

from analytics import quality
from analytics.worklist import WorklistHead
from dashboard import auth, charts, data, labels, tables, ui
from dashboard import followup as followup_figures
from dashboard.sidebar import choice, context, open_section, sections

WORKLIST_DAYS = 30  # "due this month": windows closing within 30 days
# Below the headline cards, one tab each; only the open one is computed and drawn
# (issue 7: after a filter change the page waits for what is shown).
SECTIONS: dict[str, str] = {
    "trends": "New cases and follow-up",
    "worklist": "Follow-ups to collect",
    "by_unit": "Who misses the 12-month target",
}

ctx = context()
view = ctx.view
st.title("Overview")
st.caption(
    "For clinic managers: the cases in view, follow-up collection against the registry "
    "targets, and outcomes at a glance. Every rate shows n of N and a 95% interval."
)


def _start_worklist(version: data.StoreFile) -> Future[WorklistHead]:
    """The worklist's most urgent rows and counts, started on the query pool with the
    page's other figures."""
    return data.submit(
        data.worklist_head,
        version,
        limit=followup_figures.WORKLIST_SHOWN,
        soon=WORKLIST_DAYS,
        clinics=view.clinic,
        physicians=view.physician,
        scope=view.filters().scope,
    )


def _worklist(version: data.StoreFile, pending: Future[WorklistHead]) -> None:
    """Follow-ups to collect: open visit windows without an assessment (analytics.worklist).

    Only the most urgent rows are shown (and cached); the CSV holds the whole list, made
    when clicked: at a million cases three physicians have 64,514 open windows, and
    sending them all to the browser on every filter change took seconds (issue 7)."""
    clinics, physicians, scope = view.clinic, view.physician, view.filters().scope
    head = pending.result()
    st.subheader("Follow-ups to collect")
    st.markdown(
        f"**{labels.plural(head.due_soon, 'follow-up')} due in the next {WORKLIST_DAYS} days** "
        f"(their visit window closes), of {labels.count(head.total)} open windows without "
        "an assessment."
    )
    st.caption(
        "The call list: most urgent first. Follows the sidebar's clinic and physician "
        "filters only (a list of patients to call, not a statistic: nothing is hidden). "
        + followup_figures.worklist_shown(len(head.rows), head.total)
    )
    ui.table(
        followup_figures.worklist_table(head.rows),
        "Follow-up worklist (open windows without an assessment)",
        key="worklist",
        full=lambda: followup_figures.worklist_table(
            data.worklist(version, clinics=clinics, physicians=physicians, scope=scope)
        ),
    )


def render() -> None:
    filters = view.filters()
    count = ui.start_count(ctx, filters)
    version = ctx.version
    if count is None or version is None or filters is None:
        ui.enough_cases(ctx, filters)  # the empty state
        return
    # the cards' figures and the open section's start beside the count; drawn only if
    # enough cases are in view
    section = open_section("overview_section")
    history = data.submit(data.load_history, version, limit=50)
    headline = data.submit(
        data.headline,
        version,
        filters=filters,
        responder=view.responder,
        timepoint=view.timepoint,
    )
    followup = data.submit(data.followup_completion, version, filters=filters)
    started: dict[str, Future[Any]]  # the open section's figures, by name
    if section == "trends":
        started = {
            "new_cases": data.submit(
                data.cases_by_period, version, by=("cause",), period=view.period, filters=filters
            ),
            "totals": data.submit(
                data.cases_by_period, version, by=(), period=view.period, filters=filters
            ),
        }
    elif section == "worklist":
        started = {"worklist": _start_worklist(version)}
    else:
        started = {
            unit: data.submit(
                data.followup_completion, version, by=(unit,), timepoints=("12m",), filters=filters
            )
            for unit in ("clinic", "physician")
        }
    if not ui.enough_cases(ctx, filters, count=count):
        return
    n_cases = count.result()
    tp = labels.TIMEPOINT[view.timepoint]
    loaded = quality.last_loaded(history.result())
    h = headline.result()

    cols = st.columns(5)
    cols[0].metric(
        "Cases in view",
        labels.count(auth.published(n_cases)),
        border=True,
        help="Cases matching the sidebar filters.",
    )
    cols[0].caption(
        "Data last loaded " + (f"{loaded:%d %b %Y, %H:%M}" if loaded is not None else "never")
    )
    cols[1].metric(
        "Treated recently",
        labels.count(h.n_recent) if h.n_recent is not None else "hidden",
        border=True,
        help="Hidden when fewer than 5.",
    )
    cols[1].caption(f"in the {h.recent_days} days to {h.as_of:%d %b %Y}")
    followup_rows = followup.result()
    card = followup_figures.followup_card(followup_rows, view.timepoint)
    # The card and the chart beside it count follow-up the same way (ODI), and only the
    # 12-month figure is held against the 80% target, which is set for 12 months.
    cols[2].metric(
        "Follow-up",
        labels.percent(card.rate),
        delta=card.delta_text,
        border=True,
        help="Patients due at the timepoint with both a baseline and a follow-up ODI (as in "
        "the chart below). The US Quality Outcomes Database aims for 80% at 12 months; "
        "below 50% a measure is unusable.",
    )
    cols[2].caption(
        f"at {tp.lower()}: {labels.n_of(card.assessed, card.due)} due · "
        f"95% CI {labels.interval(*card.ci) if card.ci else '–'}"
    )
    cols[3].metric(
        "Responders",
        labels.percent(h.responder_rate),
        border=True,
        help=f"{h.responder_label}. Patients whose baseline was too low to improve by the "
        "threshold are left out.",
    )
    cols[3].caption(
        f"at {tp.lower()}: {labels.n_of(h.responders, h.responder_n)} assessed · "
        f"95% CI {labels.interval(*h.responder_ci) if h.responder_ci else '–'}"
    )
    cols[4].metric(
        "Reoperation-free",
        labels.percent(h.reoperation_free_12m),
        border=True,
        help="Kaplan–Meier estimate: the share of patients without a reoperation 12 months "
        "after treatment, counting patients followed for less time until they left view.",
    )
    cols[4].caption(
        "at 12 months (Kaplan–Meier) · 95% CI "
        + (labels.interval(*h.reoperation_free_12m_ci) if h.reoperation_free_12m_ci else "–")
    )
    ui.table(tables.headline_table(h, card), "Headline figures", key="headline")

    with sections("overview_section", SECTIONS):
        if section == "trends":
            cases, totals = started["new_cases"].result(), started["totals"].result()
            _trends(cases, totals, followup_rows, h.as_of)
        elif section == "worklist":
            _worklist(version, started["worklist"])
        else:
            _by_unit({unit: pending.result() for unit, pending in started.items()})


def _trends(
    cases: pd.DataFrame, totals: pd.DataFrame, followup_rows: pd.DataFrame, as_of: dt.date
) -> None:
    """New cases per period by cause, and follow-up completion by timepoint."""
    left, right = st.columns(2)
    with left:
        period = choice(
            "period",
            "Count new cases per",
            ["quarter", "year"],
            format_func=str.capitalize,
            kind="segmented",
        )
        ui.chart(charts.new_cases(cases, totals=totals, period=period, as_of=as_of))
        ui.table(tables.cases_table(cases), f"New cases per {period} by cause", key="cases")
    with right:
        ui.chart(charts.followup_by_timepoint(followup_rows))
        ui.table(
            tables.followup_table(followup_rows),
            "Follow-up completion by timepoint",
            key="followup",
        )
        st.caption(
            "Follow-up is counted on the Oswestry Disability Index: a patient counts as "
            "assessed at a timepoint when both a baseline and a follow-up ODI were recorded."
        )


def _by_unit(frames: dict[str, pd.DataFrame]) -> None:
    """12-month follow-up by clinic and by physician, worst first."""
    st.subheader("Who misses the 12-month follow-up target")
    st.caption(
        "Questionnaires returned of those due at 12 months, worst first; the gap is in "
        "percentage points to the 80% target of the US Quality Outcomes Database."
    )
    for unit, frame in frames.items():
        ui.table(
            followup_figures.followup_by_unit(frame, unit),
            f"12-month follow-up by {unit}",
            key=f"followup_by_{unit}",
            expanded=unit == "clinic",
        )


ui.guarded(render)

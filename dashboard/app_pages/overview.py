"""Overview: how many cases, is follow-up collected, how many respond, when data last came."""

from __future__ import annotations

import streamlit as st

from analytics import quality
from analytics.definitions import FOLLOWUP_TARGET
from dashboard import auth, charts, data, labels, tables, ui
from dashboard.sidebar import choice, context

ctx = context()
view = ctx.view
st.title("Overview")
st.caption(
    "For clinic managers: the cases in view, follow-up collection against the registry "
    "targets, and outcomes at a glance. Every rate shows n of N and a 95% interval."
)


def render() -> None:
    filters = view.filters()
    if not ui.enough_cases(ctx, filters):
        return
    version = ctx.version
    assert version is not None
    tp = labels.TIMEPOINT[view.timepoint]
    n_cases = data.count_cases(version, filters)
    history = data.submit(data.load_history, version, limit=50)
    headline = data.submit(
        data.headline,
        version,
        filters=filters,
        responder=view.responder,
        timepoint=view.timepoint,
    )
    new_cases = data.submit(
        data.cases_by_period, version, by=("cause",), period=view.period, filters=filters
    )
    followup = data.submit(data.followup_completion, version, filters=filters)
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
    gap = None if h.followup_rate is None else (h.followup_rate - FOLLOWUP_TARGET) * 100
    cols[2].metric(
        "Follow-up",
        labels.percent(h.followup_rate),
        delta=None if gap is None else f"{gap:+.0f} pts vs 80% target",
        border=True,
        help="Patients due at the timepoint with both a baseline and a follow-up ODI. The US "
        "Quality Outcomes Database aims for 80% at 12 months; below 50% a measure is unusable.",
    )
    cols[2].caption(
        f"at {tp.lower()}: {labels.n_of(h.followup_returned, h.followup_due)} due · "
        f"95% CI {labels.interval(*h.followup_ci) if h.followup_ci else '–'}"
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
    ui.table(tables.headline_table(h), "Headline figures", key="headline")

    left, right = st.columns(2)
    with left:
        period = choice(
            "period",
            "Count new cases per",
            ["quarter", "year"],
            format_func=str.capitalize,
            kind="segmented",
        )
        cases = new_cases.result()
        ui.chart(charts.new_cases(cases, period=period))
        ui.table(tables.cases_table(cases), f"New cases per {period} by cause", key="cases")
    with right:
        followup = followup.result()
        ui.chart(charts.followup_by_timepoint(followup))
        ui.table(
            tables.followup_table(followup), "Follow-up completion by timepoint", key="followup"
        )
        st.caption(
            "Follow-up is counted on the Oswestry Disability Index: a patient counts as "
            "assessed at a timepoint when both a baseline and a follow-up ODI were recorded."
        )


ui.guarded(render)

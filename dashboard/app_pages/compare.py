"""Compare pathways: for a patient like this one, how did each pathway do over time?"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics.definitions import DEFAULT_MIN_CELL, PRESETS
from analytics.filters import Filters
from dashboard import (
    adjusted_panels,
    charts,
    data,
    followup_panels,
    labels,
    tables,
    ui,
)
from dashboard.sidebar import (
    choice,
    context,
    keep_widget_state,
    open_section,
    sections,
    update_view,
)
from dashboard.state import CHOICES, GROUP_CHOICES, compare_filters
from pipelines import vocabulary as vocab

OPIOID_REDUCTION = "opioid_mme:50%"  # half the daily dose or less, among opioid users

ctx = context()
st.title("Compare pathways")
st.caption(
    "For physicians: choose a cause and, if you like, a patient profile, and see how repeat "
    "surgery compared with the less invasive options in this clinic's own patients."
)


def _any(word: str, mapping: dict[str, str]) -> Callable[[str], str]:
    return lambda code: mapping[code] if code else word


def _profile() -> None:
    cols: list[DeltaGenerator] = list(st.columns(5))
    choice(
        "patient_cause",
        "Cause",
        list(CHOICES["patient_cause"]),
        format_func=_any("Any cause in view", labels.CAUSE),
        container=cols[0],
    )
    choice(
        "patient_age_band",
        "Age band",
        list(CHOICES["patient_age_band"]),
        format_func=_any("Any age", labels.AGE_BAND),
        container=cols[1],
    )
    choice(
        "patient_sex",
        "Sex",
        list(CHOICES["patient_sex"]),
        format_func=_any("Any sex", labels.SEX),
        container=cols[2],
    )
    choice(
        "patient_index_surgery",
        "Index surgery",
        list(CHOICES["patient_index_surgery"]),
        format_func=_any("Any index surgery", labels.INDEX_SURGERY),
        container=cols[3],
    )
    choice(
        "patient_severity",
        "Baseline disability",
        list(CHOICES["patient_severity"]),
        format_func=_any("Any baseline ODI", labels.SEVERITY),
        container=cols[4],
        help="Oswestry Disability Index before treatment (Fairbank bands).",
    )
    cols = list(st.columns([1, 2, 2]))
    choice(
        "compare_by",
        "Compare",
        list(GROUP_CHOICES),
        kind="segmented",
        format_func=lambda g: labels.GROUP_TITLE[g] + "s",
        container=cols[0],
    )
    choice(
        "measure",
        "Outcome measure",
        list(vocab.MEASURES),
        format_func=labels.MEASURE.__getitem__,
        container=cols[1],
    )


# Profile fields from the most to the least specific: "widen" drops the first one set.
WIDEN_ORDER: tuple[tuple[str, str], ...] = (
    ("patient_severity", "baseline disability"),
    ("patient_index_surgery", "index surgery"),
    ("patient_sex", "sex"),
    ("patient_age_band", "age band"),
    ("patient_cause", "cause"),
)


def _narrowest() -> tuple[str, str] | None:
    view = ctx.view
    return next(((f, w) for f, w in WIDEN_ORDER if getattr(view, f)), None)


def _widen(field: str) -> None:
    update_view(**{field: ""})


def _similar(n: int, any_hidden: bool) -> None:
    """'N similar patients; groups under 5 are hidden — widen the profile' with one click."""
    narrowest = _narrowest()
    few = n < DEFAULT_MIN_CELL
    count = "No" if n == 0 else f"Fewer than {DEFAULT_MIN_CELL}" if few else labels.count(n)
    text = f"**{count} similar patients** match this profile and the sidebar filters"
    if few or any_hidden:
        text += f"; groups under {DEFAULT_MIN_CELL} are hidden — widen the profile."
        st.warning(text, icon=":material/visibility_off:")
        if narrowest is not None:
            st.button(
                f"Widen the profile: any {narrowest[1]}",
                key="w_widen_profile",
                on_click=_widen,
                args=(narrowest[0],),
                icon=":material/zoom_out_map:",
            )
    else:
        st.caption(text + ".")


# The page's sections, one tab each; only the open one is computed and drawn.
SECTIONS: dict[str, str] = {
    "adjusted": "Adjusted comparison",
    "outcomes": "Outcomes, crude",
    "over_time": "Over time, crude",
    "events": "Reoperations and complications",
    "similar": "Patients like mine",
}
Figures = dict[str, Future[pd.DataFrame]]


def _start(section: str, version: data.StoreFile, filters: Filters, *, paired: bool) -> Figures:
    """Start the open section's crude figures on the query pool (the adjusted fit is
    started apart); the other sections cost nothing until their tab is opened."""
    view, submit = ctx.view, data.submit
    by, tp = (view.compare_by,), view.timepoint
    if section == "outcomes":
        return {
            "change": submit(
                data.change_distribution,
                version,
                measure=view.measure,
                timepoint=tp,
                by=by,
                filters=filters,
            ),
            "summary": submit(
                data.summary,
                version,
                by=by,
                timepoint=tp,
                responder=view.responder,
                filters=filters,
            ),
            "reduction": submit(
                data.summary,
                version,
                by=by,
                timepoint=tp,
                responder=OPIOID_REDUCTION,
                filters=filters,
            ),
        }
    if section == "over_time":
        return _trajectories(version, filters, paired=paired)
    if section == "events":
        return {
            "curve": submit(data.km_curves, version, event="reoperation", by=by, filters=filters),
            "events": submit(data.events_summary, version, by=by, filters=filters),
        }
    return {}


def _trajectories(version: data.StoreFile, filters: Filters, *, paired: bool) -> Figures:
    view = ctx.view
    return {
        name: data.submit(
            data.trajectory,
            version,
            measure=m,
            by=(view.compare_by,),
            filters=filters,
            paired=paired,
        )
        for name, m in (("traj", view.measure), ("opioids", "opioid_mme"))
    }


def _any_hidden(got: dict[str, pd.DataFrame]) -> bool:
    return any(
        bool(f["suppressed"].fillna(False).astype(bool).any())
        for f in got.values()
        if "suppressed" in f.columns
    )


def _outcomes(got: dict[str, pd.DataFrame]) -> None:
    view = ctx.view
    group, measure, tp = view.compare_by, view.measure, view.timepoint
    by, tp_label = (group,), labels.TIMEPOINT[tp].lower()
    left, right = st.columns(2)
    with left:
        ui.chart(
            charts.rate_bars(
                got["summary"],
                group=group,
                title=f"Responders at {tp_label}",
                definition_label=PRESETS[view.responder].label,
            )
        )
        ui.table(
            tables.outcome_table(got["summary"], by),
            "Responders and change",
            key="compare_responders",
        )
    with right:
        ui.chart(charts.change_histogram(got["change"], group=group, measure=measure, timepoint=tp))
        ui.table(
            tables.change_table(got["change"], by), "Distribution of change", key="compare_change"
        )
    ui.table(
        tables.outcome_table(got["reduction"], by),
        f"Opioid use: change and halving of the daily dose at {tp_label}",
        key="compare_opioids",
    )
    st.caption(
        "Opioid responders: patients taking opioids at baseline whose daily morphine "
        "milligram equivalents fell by half or more; the mean change counts everyone."
    )


def _over_time(got: dict[str, pd.DataFrame], open_cohort: bool) -> None:
    view = ctx.view
    group, measure = view.compare_by, view.measure
    left, right = st.columns(2)
    with left:
        if open_cohort:
            ui.chart(charts.trajectory(got["traj"], group=group, measure=measure))
        else:
            ui.chart(charts.mean_change(got["traj"], group=group, measure=measure))
        followup_panels.trajectory_caption(open_cohort)
        ui.table(
            tables.trajectory_table(got["traj"], (group,)),
            f"{labels.MEASURE[measure]} over time",
            key="compare_trajectory",
        )
    with right:
        ui.chart(charts.trajectory(got["opioids"], group=group, measure="opioid_mme"))
        ui.table(
            tables.trajectory_table(got["opioids"], (group,)),
            f"{labels.MEASURE['opioid_mme']} over time",
            key="compare_opioid_trajectory",
        )


def _events(version: data.StoreFile, got: dict[str, pd.DataFrame]) -> None:
    group = ctx.view.compare_by
    ui.chart(charts.km_curves(got["curve"], group=group))
    followup_panels.capture_caption(version)
    ui.table(
        tables.at_risk_table(data.numbers_at_risk(got["curve"], group), group),
        "Numbers at risk (still followed and free of reoperation)",
        key="compare_at_risk",
        expanded=True,
    )
    ui.table(
        tables.events_table(got["events"], (group,)),
        "Reoperations, crossovers and complications",
        key="compare_events",
    )


def render() -> None:
    if not ctx.has_data:
        ui.no_store(ctx)
        return
    # the open-cohort toggle and the "Patients like mine" form live in tabs: keep what
    # the user set while another tab is open
    keep_widget_state(("compare_open_cohort", *adjusted_panels.PROFILE_KEYS))
    _profile()
    ctx.view = context().view
    st.info(
        "**Observational comparison, not a trial.** Patients were not randomised: those "
        "offered repeat surgery may differ from those offered less invasive options in ways "
        "these figures do not adjust for. Use them to inform a discussion, not to decide it.",
        icon=":material/info:",
    )
    version = ctx.version
    if version is None:
        ui.no_store(ctx)
        return
    section = open_section("compare_section")
    with sections("compare_section", SECTIONS):
        _section(section, version)


def _section(section: str, version: data.StoreFile) -> None:
    """The open section: its figures, then its charts and tables."""
    view = ctx.view
    if section == "similar":  # its own profile: the one above and its count do not apply
        st.caption(
            "This tab has its own profile, below: the cause, age band, sex, index "
            "surgery and baseline disability chosen above apply to the other tabs. "
            "The sidebar's filters apply here too."
        )
        adjusted_panels.patients_like_mine(version, view.filters(), timepoint=view.timepoint)
        return
    filters = compare_filters(view)
    if filters is None:
        _similar(0, True)
        return
    # The open section's figures start beside the count (issue 7); the other sections
    # are computed only when their tab is opened.
    count = data.submit(data.count_cases, version, filters)
    adjusted = (
        adjusted_panels.start_pathway_comparison(
            version, filters, timepoint=view.timepoint, responder=view.responder
        )
        if section == "adjusted"
        else None
    )
    # the trajectories follow the open-cohort toggle drawn in their section (its value
    # is kept while other tabs are open, and a click on it reruns the page with the new one)
    open_cohort = bool(st.session_state.get("compare_open_cohort", False))
    started = _start(section, version, filters, paired=not open_cohort)
    n_cases = count.result()
    if n_cases < DEFAULT_MIN_CELL:
        _similar(n_cases, True)
        return
    if section == "adjusted":
        note = st.container()  # the count goes above the comparison, known after it
        hidden = adjusted_panels.pathway_comparison(
            version,
            filters,
            timepoint=view.timepoint,
            responder=view.responder,
            started=adjusted,
        )
        with note:
            _similar(n_cases, hidden)
        return
    if section == "over_time":
        open_cohort = followup_panels.open_cohort_toggle("compare_open_cohort")
    got = {name: f.result() for name, f in started.items()}
    _similar(n_cases, _any_hidden(got))
    if section == "outcomes":
        _outcomes(got)
    elif section == "over_time":
        _over_time(got, open_cohort)
    else:
        _events(version, got)


ui.guarded(render)

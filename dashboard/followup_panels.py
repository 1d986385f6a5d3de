"""Page sections for issue 8's definitions, so each page adds one call: the event-capture
rule beside event figures, the paired/open trajectory choice, who is lost, out-of-window
assessments, and the event-capture setting on the Import page."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analytics.published import base_for, published_dropout
from analytics.trajectories import COHORTS
from dashboard import charts, data, labels, ui
from pipelines import settings, store
from pipelines import vocabulary as vocab


def open_cohort_toggle(key: str) -> bool:
    """The trajectory option: False (default) = same patients, True = open cohort."""
    return bool(
        st.toggle(
            "Open cohort (every recorded value, different patients at each timepoint)",
            key=key,
            help=COHORTS["open"],
        )
    )


def trajectory_caption(open_cohort: bool) -> None:
    st.caption(COHORTS["open" if open_cohort else "paired"] + ".")


def capture_caption(version: data.StoreFile) -> None:
    """Which event-capture rule the event figures use (shown beside the KM chart)."""
    rules = data.capture_rules(version)
    st.caption(
        f"Event capture: {rules.describe()}. complete = events come from the clinic's "
        "records whatever the follow-up (event-free patients followed to today); "
        "at_contact = events known only at follow-up contacts (followed to the last "
        "assessment). Set per clinic on the Import page."
    )


def dropout_section(
    version: data.StoreFile,
    filters: Any,
    timepoint: str,
    started: Future[pd.DataFrame] | None = None,
) -> None:
    """Who is lost to follow-up at `timepoint`: the flags in words, the chart, the table.

    `started`: the same figure already submitted (data.submit) with these arguments."""
    when = labels.TIMEPOINT[timepoint].lower()
    st.subheader(f"Who is lost to follow-up at {when}")
    if started is not None:
        frame = started.result()
    else:
        frame = data.dropout(version, timepoint=timepoint, filters=filters)
    # the cache rounds only counts it knows by name: n_followed, shares and SMDs here
    frame = published_dropout(frame, base_for(getattr(filters, "scope", None)))
    if frame["suppressed"].all():
        st.info("Too few patients followed or lost to compare safely.")
        return
    messages = [m for m in frame["message"] if m]
    if messages:
        st.warning("\n".join(f"- {m}" for m in messages), icon=":material/person_off:")
    else:
        st.success("Patients lost and followed started alike (every |SMD| < 0.1).")
    ui.chart(charts.dropout_smd(frame))
    ui.table(frame, f"Followed against lost at {when}", key="dropout")


def out_of_window_section(
    version: data.StoreFile, filters: Any, started: Future[pd.DataFrame] | None = None
) -> None:
    """Assessments dated outside their timepoint's visit window (still counted).

    `started`: the same figure already submitted (data.submit) with these arguments."""
    st.subheader("Assessments outside their visit window")
    if started is not None:
        frame = started.result()
    else:
        frame = data.out_of_window(version, filters=filters)
    windows = ", ".join(
        f"{labels.TIMEPOINT[t]} {w.opens}–{w.closes}" for t, w in vocab.VISIT_WINDOWS.items()
    )
    st.caption(
        f"Windows in days after treatment: {windows}. These still count by their label; "
        "check the timepoint or the date at the source."
    )
    if frame.empty:
        st.success("Every assessment is dated inside its window.", icon=":material/check_circle:")
        return
    st.warning(f"{labels.plural(len(frame), 'assessment')} outside the window.")
    ui.table(frame, "Assessments outside their visit window", key="out_of_window", expanded=True)


def event_capture_setting(db: Path) -> None:
    """The Import page's per-clinic event-capture setting (written like a load)."""
    st.subheader("How each clinic's events are captured")
    if not db.is_file():
        st.caption("Load case records first.")
        return
    with store.reader(db) as con:
        clinics = [
            r[0] for r in con.execute("select distinct clinic from cases order by 1").fetchall()
        ]
        current = settings.event_capture(con)
    if not clinics:
        st.caption("Load case records first.")
        return
    st.caption(" ".join(f"**{rule}**: {text}." for rule, text in vocab.EVENT_CAPTURE_RULES.items()))
    clinic = st.selectbox("Clinic", clinics, key="w_capture_clinic")
    rules = list(vocab.EVENT_CAPTURE_RULES)
    rule = st.radio(
        "Event capture",
        rules,
        index=rules.index(current.get(clinic, vocab.DEFAULT_EVENT_CAPTURE)),
        key=f"w_capture_rule_{clinic}",
        horizontal=True,
    )
    if st.button("Save event capture", key="w_capture_save"):
        settings.set_event_capture(db, clinic, rule)
        current[clinic] = rule
        st.success(f"{clinic}: events captured {rule}.", icon=":material/check_circle:")
    st.dataframe(
        {
            "clinic": clinics,
            "event capture": [current.get(c, vocab.DEFAULT_EVENT_CAPTURE) for c in clinics],
        },
        hide_index=True,
    )

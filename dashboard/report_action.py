"""The sidebar's Report (PDF) action: the same report as `fbss report`, for the viewer's scope.

A physician gets only their own report and a manager their clinics' (the check of `fbss
report --as`, reports/permission.py), rounded as every figure a non-admin sees. Moved
out of ui.py, which holds the small blocks every page uses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from access.accounts import AccessError
from analytics.definitions import AnalyticsError
from dashboard import auth, downloads

REPORT_KEY = "_fbss_report_pdf"


def report_scope(view: Any) -> tuple[str, str | None]:
    """The report's unit from the sidebar: one physician, else one clinic, else the network."""
    if len(view.physician) == 1:
        return "physician", view.physician[0]
    if len(view.clinic) == 1:
        return "clinic", view.clinic[0]
    return "network", None


def report_action() -> None:
    """The sidebar's Report control: build the PDF for the current scope and a period."""
    from dashboard.sidebar import context

    ctx = context()
    if not ctx.has_data:
        return
    first, last = ctx.options.get("first_treatment"), ctx.options.get("last_treatment")
    if not isinstance(first, dt.date) or not isinstance(last, dt.date):
        return
    kind, name = report_scope(ctx.view)
    # The same rule as `fbss report --as`: a physician gets only their own report, a
    # manager their clinics' (the report reads the store with full access, so the
    # check is made here, before anything is built).
    from reports import permission

    who = auth.current()
    if who is not None and not who.is_admin:
        if who.scope.role == "physician":
            kind, name = "physician", who.scope.physician
        elif kind == "network":
            kind, name = "clinic", who.scope.clinics[0]
        try:
            permission.check(who.scope, kind, name, ctx.db)
        except AccessError as exc:
            with st.sidebar.expander("Report (PDF)", icon=":material/picture_as_pdf:"):
                st.caption(f"No report for this selection: {exc}.")
            return
    with st.sidebar.expander("Report (PDF)", icon=":material/picture_as_pdf:"):
        st.caption(
            f"For **{name or 'the whole network'}** (one clinic or physician chosen in the "
            "filters above narrows it; other filters do not apply). Figures as of the "
            "period's last day."
        )
        periods = [
            *(str(y) for y in range(last.year, first.year - 1, -1)),
            *(f"{y}-H{h}" for y in range(last.year, first.year - 1, -1) for h in (2, 1)),
            *(f"{y}-Q{q}" for y in range(last.year, first.year - 1, -1) for q in (4, 3, 2, 1)),
        ]
        period = st.selectbox("Period", periods, key="w_report_period")
        previous = st.checkbox("Compare with the previous period", key="w_report_previous")
        if st.button("Build report", key="w_report_build", icon=":material/description:"):
            _build_report(ctx.db, kind, name, period, previous)
        made = st.session_state.get(REPORT_KEY)
        if made and made[0] == (kind, name, period, previous):
            st.download_button(
                "Download the PDF",
                data=made[1],
                file_name=made[2],
                mime="application/pdf",
                key="w_report_download",
                icon=":material/download:",
                on_click="ignore",
            )


def _build_report(db: Any, kind: str, name: str | None, period: str, previous: bool) -> None:
    """Build with a progress bar; keep the PDF for the download button."""
    from analytics.published import PUBLISHED_BASE
    from reports.build import make_report
    from reports.periods import parse_period

    who = auth.current()
    bar = st.progress(0.0, text="Starting")
    with st.status("Building the report…", expanded=False) as status:

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)
            status.update(label=f"Building the report: {message.lower()}")

        try:
            report, rendered = make_report(
                db,
                kind,  # type: ignore[arg-type]
                name,
                parse_period(period),
                compare_previous=previous,
                # rounded as every other figure this viewer sees (exact for an admin)
                round_base=0 if who is None or who.is_admin else PUBLISHED_BASE,
                progress=progress,
            )
        except AnalyticsError as exc:
            status.update(label=f"No report: {exc}", state="error")
            return
        status.update(label=f"Report ready: {rendered.n_pages} pages", state="complete")
    stem = downloads.file_name(f"report {name or 'network'} {period}").rsplit(".", 1)[0]
    st.session_state[REPORT_KEY] = ((kind, name, period, previous), rendered.pdf, f"{stem}.pdf")
    if report.is_empty:
        st.info("No cases up to the period's end: the report says so.")

"""Causes & pathways: which cause-and-pathway combinations do well; click one to narrow."""

from __future__ import annotations

from concurrent.futures import Future

import pandas as pd
import streamlit as st

from analytics.definitions import PRESETS
from dashboard import charts, data, followup_panels, labels, tables, ui
from dashboard.sidebar import choice, context, open_section, sections, update_view
from dashboard.state import GROUP_CHOICES, focus_filters, focus_from_selection

HEAT_KEY, BARS_KEY = "pick_heat", "pick_bars"
# The selection's details, one tab each; only the open one is computed (issue 7).
SECTIONS: dict[str, str] = {
    "outcomes": "Over time and change",
    "events": "Reoperations and complications",
}

ctx = context()
view = ctx.view
st.title("Causes & pathways")
st.caption(
    "Responder rates for each cause of failed back surgery and each pathway (or treatment). "
    "**Click a cell or a bar** to narrow the charts below to that cause and pathway; "
    "click an empty spot of the chart or *Clear selection* to see everything again."
)


def _picked(key: str) -> None:
    """Chart click callback: the clicked (cause, group) becomes the view's focus."""
    state = st.session_state.get(key) or {}
    focus = focus_from_selection(state.get("selection"), charts.PICK)
    update_view(focus_cause=focus[0] if focus else "", focus_group=focus[1] if focus else "")


def _clear() -> None:
    update_view(focus_cause="", focus_group="")


def render() -> None:
    filters = view.filters()
    if not ui.enough_cases(ctx, filters):
        return
    version = ctx.version
    assert version is not None
    group = choice(
        "columns",
        "Columns",
        list(GROUP_CHOICES),
        format_func=lambda g: labels.GROUP_TITLE[g],
        kind="segmented",
    )
    focus = ctx.view.focus()
    if focus and focus[1] not in GROUP_CHOICES[group]:
        _clear()
        focus = None
    tp = labels.TIMEPOINT[view.timepoint].lower()
    # a joint rule (leg_pain+back_pain) is charted by its first measure
    measure = tables.criterion_measures(view.responder)[0].split("+")[0]
    definition = PRESETS[view.responder]
    subtitle = f"{definition.label}, at {tp}"
    if len(definition.criteria) > 1:
        subtitle += f" (charts: the {labels.measure_words(measure)} criterion)"
    narrowed = focus_filters(ctx.view) if focus else filters
    by_cause = data.submit(
        data.summary,
        version,
        by=("cause", group),
        timepoint=view.timepoint,
        responder=view.responder,
        filters=filters,
    )
    # The open section's details are fetched alongside, shown only if allowed (the other
    # section costs nothing until its tab is opened: issue 7); a focus outside the sidebar
    # filters (narrowed is None) has no detail cohort, so nothing is fetched for it.
    section = open_section("causes_section")
    details: dict[str, Future[pd.DataFrame]] = {}
    if narrowed is not None and section == "outcomes":
        details = {
            "trajectory": data.submit(
                data.trajectory, version, measure=measure, by=(group,), filters=narrowed
            ),
            "changes": data.submit(
                data.change_distribution,
                version,
                measure=measure,
                timepoint=view.timepoint,
                by=(group,),
                filters=narrowed,
            ),
        }
    elif narrowed is not None:
        details = {
            "events": data.submit(data.events_summary, version, by=(group,), filters=narrowed)
        }
    summary = by_cause.result()
    rows = tables.first_measure_rows(summary, view.responder)
    ui.chart(
        charts.responder_heatmap(rows, group=group, measure_label=subtitle, focus=focus),
        key=HEAT_KEY,
        on_select=lambda: _picked(HEAT_KEY),
    )
    # Every chart's figures one keystroke away, as text for screen readers (issue 12).
    ui.table(
        tables.outcome_table(rows, ("cause", group)),
        f"Heat map figures: responders by cause and {group}",
        key="causes_heat",
    )
    ui.chart(
        charts.responder_bars(rows, group=group, measure_label=subtitle, focus=focus),
        key=BARS_KEY,
        on_select=lambda: _picked(BARS_KEY),
    )
    hidden = tables.suppressed_count(rows)
    if hidden:
        st.caption(f"{hidden} cause-and-{group} cells are hidden as too small to show safely.")
    ui.table(
        tables.outcome_table(summary, ("cause", group)),
        f"Outcomes by cause and {group}",
        key="causes",
    )

    st.divider()
    if focus:
        cause, chosen = focus
        st.subheader(f"Selected: {labels.CAUSE[cause]} · {labels.value_label(group, chosen)}")
        st.button("Clear selection", key="w_clear_focus", on_click=_clear, icon=":material/close:")
        if tables.is_hidden_cell(rows, cause, chosen, group):
            st.info("This cell is hidden as a small group, so its details are hidden too.")
            return
    else:
        st.subheader(f"All causes, by {group}")
        st.caption(f"Click a cell or a bar above to narrow these charts to one cause and {group}.")
    with sections("causes_section", SECTIONS):
        if not ui.enough_cases(ctx, narrowed, "this selection") or not details:
            return
        got = {name: pending.result() for name, pending in details.items()}
        if section == "outcomes":
            _outcomes(got, group, measure)
        else:
            ui.table(
                tables.events_table(got["events"], (group,)),
                "Reoperations, crossovers and complications",
                key="causes_events",
                expanded=True,
            )
            followup_panels.capture_caption(version)


def _outcomes(got: dict[str, pd.DataFrame], group: str, measure: str) -> None:
    """The selection's mean at each timepoint and its distribution of change."""
    left, right = st.columns(2)
    with left:
        ui.chart(charts.trajectory(got["trajectory"], group=group, measure=measure))
        followup_panels.trajectory_caption(False)
        ui.table(
            tables.trajectory_table(got["trajectory"], (group,)),
            "Mean at each timepoint",
            key="causes_trajectory",
        )
    with right:
        ui.chart(
            charts.change_histogram(
                got["changes"], group=group, measure=measure, timepoint=ctx.view.timepoint
            )
        )
        ui.table(
            tables.change_table(got["changes"], (group,)),
            "Change from baseline",
            key="causes_change",
        )


ui.guarded(render)

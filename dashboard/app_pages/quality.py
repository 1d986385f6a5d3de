"""Data quality: what was loaded when, how complete it is, and what the last rejection said."""

from __future__ import annotations

import streamlit as st

from analytics import quality
from analytics.published import base_for, published_completeness
from dashboard import charts, data, followup_panels, labels, tables, ui
from dashboard.sidebar import context, open_section, sections

# Below the load history, one tab each for the figures that follow the sidebar's filters;
# only the open one is computed and drawn (issue 7: after a filter change the page waits
# for what is shown).
SECTIONS: dict[str, str] = {
    "followup": "Follow-up by clinic",
    "completeness": "Completeness",
    "lost": "Lost to follow-up",
    "windows": "Visit windows",
}

ctx = context()
st.title("Data quality")
st.caption(
    "Is the data sound? The history of loads, how complete each column is, whether "
    "follow-up is being collected at every clinic, and the last batch that was turned away."
)


def render() -> None:
    if ctx.version is None:
        ui.no_store(ctx)
        return
    version = ctx.version
    st.subheader("Load history")
    history = data.load_history(version, limit=200)
    ui.table(quality.describe_loads(history), "Load history", key="loads", expanded=True)

    st.subheader("Most recent rejected batch")
    rejected = data.last_rejection(version)
    if rejected.empty:
        st.success("No batch has been rejected.", icon=":material/check_circle:")
    else:
        first = rejected.iloc[0]
        st.warning(
            f"Load {int(first['load_id'])}, attempted {first['attempted_at']:%d %b %Y %H:%M}, "
            f"was rejected with {labels.plural(len(rejected), 'problem')}. "
            "Nothing from it was stored.",
            icon=":material/block:",
        )
        ui.table(rejected, "Rejected batch report", key="rejection", expanded=True)

    if not ctx.has_data:
        ui.no_store(ctx)
        return
    filters = ctx.view.filters()
    count = ui.start_count(ctx, filters)
    if count is None or filters is None:
        ui.enough_cases(ctx, filters)  # the empty state
        return
    # the open section's figure starts beside the count of cases; drawn only if enough
    # cases are in view
    view = ctx.view
    section = open_section("quality_section")
    if section == "followup":
        started = data.submit(data.followup_completion, version, by=("clinic",), filters=filters)
    elif section == "completeness":
        started = data.submit(data.completeness, version, filters=filters)
    elif section == "lost":
        started = data.submit(data.dropout, version, timepoint=view.timepoint, filters=filters)
    else:
        started = data.submit(data.out_of_window, version, filters=filters)
    if not ui.enough_cases(ctx, filters, count=count):
        return
    with sections("quality_section", SECTIONS):
        if section == "followup":
            followup = started.result()
            ui.chart(charts.followup_heatmap(followup, unit="clinic"))
            ui.table(
                tables.followup_table(followup, ("clinic",)),
                "Follow-up completion by clinic and timepoint",
                key="followup_clinic",
            )
        elif section == "completeness":
            # record counts are named apart from the counts the cache rounds (review 5, F2)
            complete = published_completeness(started.result(), base_for(filters.scope))
            ui.chart(charts.completeness(complete))
            ui.table(
                tables.completeness_table(complete), "Completeness by column", key="completeness"
            )
        elif section == "lost":
            followup_panels.dropout_section(version, filters, view.timepoint, started=started)
        else:
            followup_panels.out_of_window_section(version, filters, started=started)


ui.guarded(render)

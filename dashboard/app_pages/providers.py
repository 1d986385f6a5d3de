"""Physicians & clinics: is anyone an outlier, once chance is allowed for? (funnel plot)"""

from __future__ import annotations

import streamlit as st

from analytics.definitions import FUNNEL_UNITS, PRESETS
from analytics.display_rules import FUNNEL_POSITION_LABEL, PUBLISHED_WITHIN_LABEL
from analytics.published import base_for, published_funnel
from dashboard import adjusted_panels, charts, data, labels, tables, ui
from dashboard.sidebar import choice, context

ctx = context()
st.title("Physicians & clinics")
st.caption(
    "A funnel plot puts each physician's (or clinic's) responder rate against the number of "
    "patients it rests on. Small numbers scatter widely by chance; only points outside the "
    "funnel's limits differ from the overall rate by more than chance would explain."
)


def render() -> None:
    view = ctx.view
    filters = view.filters()
    if not ui.enough_cases(ctx, filters):
        return
    version = ctx.version
    assert version is not None
    unit = choice(
        "unit",
        "Compare",
        list(FUNNEL_UNITS),
        kind="segmented",
        format_func=lambda u: labels.GROUP_TITLE[u] + "s",
    )
    definition = PRESETS[view.responder]
    criterion = tables.criterion_text(view.responder)
    tp = labels.TIMEPOINT[view.timepoint].lower()
    subtitle = f"{definition.label}, at {tp}"
    if len(definition.criteria) > 1:
        first = tables.criterion_measures(view.responder)[0]
        subtitle += f" (the {labels.measure_words(first)} criterion)"
    if adjusted_panels.adjusted_switch():
        adjusted_panels.provider_funnel(
            version,
            filters,
            unit=unit,
            timepoint=view.timepoint,
            responder=criterion,
            subtitle=subtitle,
        )
        return
    result = data.funnel(
        version, unit=unit, timepoint=view.timepoint, responder=criterion, filters=filters
    )
    # the cache passes a Funnel through: its counts and overall rate published here
    base = base_for(getattr(filters, "scope", None))
    result = published_funnel(result, base)
    overall_rate, n_total = result.overall_rate, result.n_total
    ui.chart(
        charts.funnel(
            result.points,
            result.limits,
            unit=unit,
            overall_rate=result.overall_rate,
            measure_label=subtitle,
        )
    )
    hidden = tables.suppressed_count(result.points)
    st.caption(
        f"Overall responder rate {labels.percent(overall_rate, 1)} of "
        f"{labels.count(n_total)} patients assessed. "
        + (f"{hidden} {unit}s with too few assessed patients are not shown. " if hidden else "")
        + "Rates are not adjusted for case mix: a physician who takes the hardest cases can "
        "sit low for that reason alone (registry differences shrink a lot after adjustment)."
    )
    table = tables.funnel_table(result.points, unit)
    if base > 1:
        st.caption(adjusted_panels.PUBLISHED_POSITIONS)
        # a unit not flagged at the published precision may be too close to tell
        within = FUNNEL_POSITION_LABEL["within"]
        table["Against the limits"] = table["Against the limits"].replace(
            within, PUBLISHED_WITHIN_LABEL
        )
    ui.table(
        table,
        f"Responder rate by {unit}",
        key="funnel",
        expanded=True,
    )


ui.guarded(render)

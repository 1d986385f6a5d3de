"""Every chart of the dashboard: a pure function from an analytics frame to an `alt.Chart`.

No streamlit here. Intervals are columns the analytics layer computed (Wilson, t,
Greenwood, exact binomial limits) and are drawn as rules or bands from those columns, never
computed by Vega. Suppressed rows are never drawn with a number: on heat maps they are
blank, dashed cells; elsewhere they are left out. Titles and tooltips use clinical words,
and colours come from `palette`, so a pathway or treatment looks the same on every page.

One module per subject; pages use this package's names (`charts.funnel(...)`).
"""

from __future__ import annotations

from analytics.display_rules import KM_MAX_DAYS, KM_MIN_AT_RISK, funnel_position
from dashboard.charts.adjusted import (
    crude_and_adjusted,
    difference,
    love_plot,
    similar_bands,
)
from dashboard.charts.base import PICK, TIMEPOINT_ORDER, Figure
from dashboard.charts.encodings import install as _share_altair_class_table
from dashboard.charts.followup import dropout_smd, mean_change
from dashboard.charts.outcomes import change_histogram, trajectory
from dashboard.charts.overview import followup_by_timepoint, new_cases
from dashboard.charts.providers import HIGHLIGHT, adjusted_funnel, funnel
from dashboard.charts.quality import completeness, followup_heatmap
from dashboard.charts.responders import rate_bars, responder_bars, responder_heatmap
from dashboard.charts.survival import km_curves, thin_curve

_share_altair_class_table()  # issue 7: no creation-time validation, 10-18 ms less per channel

__all__ = [
    "HIGHLIGHT",
    "KM_MAX_DAYS",
    "KM_MIN_AT_RISK",
    "PICK",
    "TIMEPOINT_ORDER",
    "Figure",
    "adjusted_funnel",
    "change_histogram",
    "completeness",
    "crude_and_adjusted",
    "difference",
    "dropout_smd",
    "followup_by_timepoint",
    "followup_heatmap",
    "funnel",
    "funnel_position",
    "km_curves",
    "love_plot",
    "mean_change",
    "new_cases",
    "rate_bars",
    "responder_bars",
    "responder_heatmap",
    "similar_bands",
    "thin_curve",
    "trajectory",
]

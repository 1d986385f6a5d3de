"""Rules that decide what a figure may show, shared by the CLI, the tables and the charts.

They live in the read side rather than in chart code so that `fbss events`, the dashboard
tables and the Kaplan–Meier chart cut curves at the same day, and the funnel chart and its
table name a physician's position against the limits with the same words.
"""

from __future__ import annotations

from analytics.definitions import KM_REPORT_DAYS

DAYS_PER_MONTH = 30.44

# Kaplan–Meier curves end at the last scheduled follow-up (24 months), the last day
# `fbss events` reports. Past it nobody has another assessment, so the only patients still
# "in contact" are those with a later event: censoring stops being independent of the
# event and the curve would fall steeply.
KM_MAX_DAYS: int = max(KM_REPORT_DAYS.values())
# A curve's tail resting on fewer patients is noise, not information.
KM_MIN_AT_RISK = 10

# A unit's place on a funnel plot, from the two analytics position columns (worst last).
FUNNEL_POSITION_LABEL: dict[str, str] = {
    "above_998": "Above the 99.8% limit",
    "above_95": "Above the 95% limit",
    "within": "Within the limits",
    "below_95": "Below the 95% limit",
    "below_998": "Below the 99.8% limit",
}


def funnel_position(p95: object, p998: object) -> str:
    """One of FUNNEL_POSITION_LABEL's keys from `position_95` and `position_998`."""
    if p998 in ("above", "below"):
        return f"{p998}_998"
    if p95 in ("above", "below"):
        return f"{p95}_95"
    return "within"


# "within" in a published (rounded, non-admin) output: a flag is shown only when every
# true count the rounding allows gives it (analytics.published_positions), so a unit not
# flagged may be within the limits or merely too close to a limit to tell.
PUBLISHED_WITHIN_LABEL = "Within the limits, or too close to tell at the published precision"


def funnel_position_label(p95: object, p998: object, *, published: bool = False) -> str:
    """FUNNEL_POSITION_LABEL's words for a unit ("" without positions, as when hidden)."""
    if p95 is None and p998 is None:
        return ""
    if isinstance(p95, float) and isinstance(p998, float) and p95 != p95 and p998 != p998:
        return ""  # both NaN
    key = funnel_position(p95, p998)
    return PUBLISHED_WITHIN_LABEL if published and key == "within" else FUNNEL_POSITION_LABEL[key]

"""Analytics frames turned into the tables a page shows and offers as CSV.

Pure functions (no streamlit): codes become clinical labels, headers say what and in
which unit, rates become percentages with their 95% interval, and suppressed rows keep
their group but show no figure, only a note.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.definitions import AnalyticsError, parse_responder
from analytics.display_rules import FUNNEL_POSITION_LABEL, funnel_position
from analytics.overview import Headline
from dashboard import labels
from dashboard.followup import FollowupCard

SUPPRESSED_NOTE = "hidden: too few cases"


def _pct(series: pd.Series) -> pd.Series:
    return (pd.to_numeric(series, errors="coerce").astype(float) * 100).round(1)


def _num(series: pd.Series, digits: int = 2) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float).round(digits)


def _groups(frame: pd.DataFrame, keys: Sequence[str]) -> dict[str, pd.Series]:
    return {
        labels.GROUP_TITLE.get(k, k): frame[k].map(lambda v, k=k: labels.value_label(k, v))
        for k in keys
    }


def _note(frame: pd.DataFrame) -> pd.Series:
    hidden = frame["suppressed"].fillna(False).astype(bool)
    return hidden.map({True: SUPPRESSED_NOTE, False: ""})


def outcome_table(summary: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Follow-up, responders and change from baseline per group (analytics.summary)."""
    f = summary
    return pd.DataFrame(
        {
            **_groups(f, keys),
            "Measure": f["measure"].map(labels.MEASURE),
            "Timepoint": f["timepoint"].map(labels.TIMEPOINT),
            "Cases": f["n_cases"],
            "Due for follow-up": f["n_due"],
            "Returned": f["n_followup_returned"],
            "Assessed": f["n_assessed"],
            "Follow-up (%)": _pct(f["followup_rate"]),
            "Baseline too low to improve": f["n_excluded"],
            "Responders": f["responders"],
            "Responder rate (%)": _pct(f["responder_rate"]),
            "95% CI low (%)": _pct(f["responder_ci_low"]),
            "95% CI high (%)": _pct(f["responder_ci_high"]),
            "Baseline mean": _num(f["baseline_mean"]),
            "Mean improvement": _num(f["mean_change"]),
            "Improvement 95% CI low": _num(f["mean_change_ci_low"]),
            "Improvement 95% CI high": _num(f["mean_change_ci_high"]),
            "Note": _note(f),
        }
    )


def followup_table(frame: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Follow-up completion per group and timepoint (analytics.followup_completion)."""
    f = frame
    meets = f["meets_target"].map({True: "yes", False: "no"})
    unusable = f["unusable"].map({True: "yes", False: "no"})
    return pd.DataFrame(
        {
            **_groups(f, keys),
            "Timepoint": f["timepoint"].map(labels.TIMEPOINT),
            "Due": f["n_due"],
            "Returned": f["n_followup_returned"],
            "Assessed": f["n_assessed"],
            "Follow-up (%)": _pct(f["followup_rate"]),
            "95% CI low (%)": _pct(f["followup_ci_low"]),
            "95% CI high (%)": _pct(f["followup_ci_high"]),
            "Meets 80% target": meets.where(f["meets_target"].notna(), ""),
            "Below 50% (unusable)": unusable.where(f["unusable"].notna(), ""),
            "Note": _note(f),
        }
    )


def trajectory_table(frame: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Mean of a measure at each timepoint per group (analytics.trajectory)."""
    f = frame
    return pd.DataFrame(
        {
            **_groups(f, keys),
            "Timepoint": f["timepoint"].map(labels.TIMEPOINT),
            "Measure": f["measure"].map(labels.MEASURE),
            "Patients with a value": f["n_values"],
            "Mean": _num(f["mean"]),
            "95% CI low": _num(f["ci_low"]),
            "95% CI high": _num(f["ci_high"]),
            "Note": _note(f),
        }
    )


def change_table(frame: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """The change histogram per group (analytics.change_distribution)."""
    f = frame
    return pd.DataFrame(
        {
            **_groups(f, keys),
            "Improvement from": _num(f["bin_low"]),
            "to (not including)": _num(f["bin_high"]),
            "Patients": f["n_cases"],
            "Share of group (%)": _pct(f["share"]),
            "Group size": f["group_n"],
            "Note": _note(f),
        }
    )


def events_table(frame: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Event rates and event-free survival per group (analytics.events_summary)."""
    f = frame
    return pd.DataFrame(
        {
            **_groups(f, keys),
            "Event": f["event"].map(labels.EVENT),
            "Cases": f["n_cases"],
            "With the event": f["n_with_event"],
            "Rate (%)": _pct(f["event_rate"]),
            "95% CI low (%)": _pct(f["event_ci_low"]),
            "95% CI high (%)": _pct(f["event_ci_high"]),
            "Event-free at 12 months (%)": _pct(f["km_free_12m"]),
            "12-month 95% CI low (%)": _pct(f["km_free_12m_ci_low"]),
            "12-month 95% CI high (%)": _pct(f["km_free_12m_ci_high"]),
            "Event-free at 24 months (%)": _pct(f["km_free_24m"]),
            "24-month 95% CI low (%)": _pct(f["km_free_24m_ci_low"]),
            "24-month 95% CI high (%)": _pct(f["km_free_24m_ci_high"]),
            "Note": _note(f),
        }
    )


def at_risk_table(at_risk: pd.DataFrame, key: str | None) -> pd.DataFrame:
    """Numbers at risk: one row per group, one column per day (as months after treatment)."""
    if at_risk.empty:
        return pd.DataFrame(columns=[labels.GROUP_TITLE.get(key or "", "Group")])
    f = at_risk.copy()
    group_title = labels.GROUP_TITLE.get(key, key) if key else "Group"
    f["_group"] = f[key].map(lambda v: labels.value_label(key, v)) if key else "All cases"
    f["_day"] = f["day"].map(day_label)
    order = list(dict.fromkeys(f["_day"]))
    wide = f.pivot_table(
        index="_group", columns="_day", values="at_risk", aggfunc="sum", sort=False
    )
    wide = wide.reindex(columns=order).reset_index().rename(columns={"_group": group_title})
    wide.columns.name = None
    for col in order:
        wide[col] = wide[col].astype("Int64")
    return wide


def day_label(day: int) -> str:
    """0 -> 'At treatment', 91 -> '3 months', 365 -> '12 months'."""
    if day == 0:
        return "At treatment"
    months = round(day / 30.44)
    return f"{months} months"


def funnel_table(points: pd.DataFrame, unit: str) -> pd.DataFrame:
    """One row per physician or clinic: n, responders, rate with interval, position."""
    f = points
    # The chart's words for the same positions (analytics.display_rules), so the table
    # beside the funnel cannot disagree with the colour of its dot.
    position = [
        "" if pd.isna(p95) and pd.isna(p998) else FUNNEL_POSITION_LABEL[funnel_position(p95, p998)]
        for p95, p998 in zip(f["position_95"], f["position_998"], strict=True)
    ]
    return pd.DataFrame(
        {
            labels.GROUP_TITLE[unit]: f[unit],
            # the key column second, so a narrow screen never scrolls it out of view
            "Against the limits": position,
            "Assessed (n)": f["n"],
            "Responders": f["responders"],
            "Responder rate (%)": _pct(f["responder_rate"]),
            "95% CI low (%)": _pct(f["ci_low"]),
            "95% CI high (%)": _pct(f["ci_high"]),
            "Note": _note(f),
        }
    ).sort_values([labels.GROUP_TITLE[unit]], kind="stable", ignore_index=True)


def cases_table(frame: pd.DataFrame, keys: Sequence[str] = ("cause",)) -> pd.DataFrame:
    """New cases per period and group (analytics.cases_by_period)."""
    f = frame
    return pd.DataFrame(
        {
            "Period starting": pd.to_datetime(f["period_start"]).dt.date,
            **_groups(f, keys),
            "New cases": f["n_cases"],
            "Note": _note(f),
        }
    )


def completeness_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Share of records with a value, per table and column (analytics.completeness)."""
    f = frame
    return pd.DataFrame(
        {
            "Field": [
                labels.column_label(t, c) for t, c in zip(f["table"], f["column"], strict=True)
            ],
            "Records": f["n_rows"],
            "With a value": f["n_present"],
            "Complete (%)": _pct(f["share_present"]),
        }
    )


def headline_table(headline: Headline, followup: FollowupCard | None = None) -> pd.DataFrame:
    """The Overview's headline figures as rows (figure, value, n of N, 95% interval).

    `followup` (the card's ODI figures) replaces the headline's own follow-up row, so the
    table, the card and the chart show one measure.
    """
    h = headline
    tp = labels.TIMEPOINT[h.timepoint]

    def ci(pair: tuple[float, float] | None) -> str:
        return labels.interval(*pair, digits=1) if pair else ""

    rows = [
        ("Cases in view", labels.count(h.n_cases), "", ""),
        (
            f"Treated in the last {h.recent_days} days",
            labels.count(h.n_recent),
            "",
            "",
        ),
        (
            f"Follow-up completion at {tp}",
            labels.percent(h.followup_rate, 1),
            labels.n_of(h.followup_returned, h.followup_due),
            ci(h.followup_ci),
        )
        if followup is None
        else (
            f"Follow-up completion at {tp} (ODI)",
            labels.percent(followup.rate, 1),
            labels.n_of(followup.assessed, followup.due),
            ci(followup.ci),
        ),
        (
            f"Responders at {tp}: {h.responder_label}",
            labels.percent(h.responder_rate, 1),
            labels.n_of(h.responders, h.responder_n),
            ci(h.responder_ci),
        ),
        (
            "Reoperation-free at 12 months (Kaplan–Meier)",
            labels.percent(h.reoperation_free_12m, 1),
            "",
            ci(h.reoperation_free_12m_ci),
        ),
    ]
    return pd.DataFrame(rows, columns=["Figure", "Value", "n of N", "95% CI"])


def criterion_text(responder: str, index: int = 0) -> str:
    """One criterion of a responder definition as `measure:N[%]` (funnels take one)."""
    definition = parse_responder(responder)
    if not definition.criteria:
        raise AnalyticsError(f"responder definition {responder!r} has no criterion")
    return definition.criteria[min(index, len(definition.criteria) - 1)].text


def criterion_measures(responder: str) -> list[str]:
    """The measures a responder definition counts, in its order."""
    return [c.measure for c in parse_responder(responder).criteria]


def first_measure_rows(summary: pd.DataFrame, responder: str) -> pd.DataFrame:
    """The rows of a summary for the definition's first measure (what the charts show)."""
    first = criterion_measures(responder)[0]
    return summary[summary["measure"] == first].reset_index(drop=True)


def is_hidden_cell(rows: pd.DataFrame, cause: str, group_value: str, group: str) -> bool:
    """Whether a (cause, group) cell of a summary is suppressed (or absent)."""
    if rows.empty:
        return True
    match = rows[(rows["cause"] == cause) & (rows[group] == group_value)]
    return match.empty or bool(match["suppressed"].fillna(False).astype(bool).any())


def suppressed_count(frame: pd.DataFrame) -> int:
    """How many rows of a result are hidden as small groups."""
    if frame.empty or "suppressed" not in frame.columns:
        return 0
    return int(np.asarray(frame["suppressed"].fillna(False), dtype=bool).sum())

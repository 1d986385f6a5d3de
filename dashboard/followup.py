"""Follow-up figures for the Overview: the headline card, the table by clinic, the worklist.

No streamlit here. Both read `analytics.followup_completion` (ODI, both a baseline and a
follow-up score), the same frame the follow-up chart draws, so a card and the chart beside
it can never disagree. The 80% target (US Quality Outcomes Database) is set for 12
months: only the 12-month figure is held against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analytics.definitions import FOLLOWUP_TARGET
from dashboard import labels
from dashboard.charts.base import HIDDEN

TARGET_TIMEPOINT = "12m"


@dataclass(frozen=True)
class FollowupCard:
    """One timepoint's follow-up completion, as the Overview card shows it."""

    timepoint: str
    due: int | None
    assessed: int | None
    rate: float | None
    ci: tuple[float, float] | None

    @property
    def delta_text(self) -> str | None:
        """'-6 pts vs 80% target' at 12 months; None at other timepoints or without a rate."""
        if self.timepoint != TARGET_TIMEPOINT or self.rate is None:
            return None
        return f"{(self.rate - FOLLOWUP_TARGET) * 100:+.1f} pts vs 80% target"


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def followup_card(frame: pd.DataFrame, timepoint: str) -> FollowupCard:
    """The card's figures for `timepoint` from a followup_completion() frame (no groups)."""
    rows = frame[frame["timepoint"] == timepoint] if not frame.empty else frame
    if rows.empty or bool(rows["suppressed"].iloc[0]):
        return FollowupCard(timepoint, None, None, None, None)
    row = rows.iloc[0]
    due, assessed = _number(row["n_due"]), _number(row["n_followup_returned"])
    low, high = _number(row["followup_ci_low"]), _number(row["followup_ci_high"])
    return FollowupCard(
        timepoint=timepoint,
        due=None if due is None else int(due),
        assessed=None if assessed is None else int(assessed),
        rate=_number(row["followup_rate"]),
        ci=None if low is None or high is None else (low, high),
    )


def followup_by_unit(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    """12-month follow-up per clinic (or physician), worst first, with the gap to 80%.

    `frame` is followup_completion(by=(unit,)) ; hidden units (fewer than 5 due) stay as
    rows that say so, after the shown ones, so no unit silently disappears.
    """
    f = frame[frame["timepoint"] == TARGET_TIMEPOINT].copy()
    f = f[f["suppressed"].astype(bool) | (pd.to_numeric(f["n_due"]).fillna(0) > 0)]
    rate = pd.to_numeric(f["followup_rate"])
    hidden = f["suppressed"].astype(bool)
    gap = (FOLLOWUP_TARGET - rate) * 100
    low, high = f["followup_ci_low"], f["followup_ci_high"]
    out = pd.DataFrame(
        {
            labels.GROUP_TITLE[unit]: f[unit].astype(str),
            "Due at 12 months": _counts(f["n_due"], hidden),
            "Returned": _counts(f["n_followup_returned"], hidden),
            "Follow-up (%)": rate.mul(100).round(1),
            "95% CI": [
                "" if h else labels.interval(lo, hi, 1)
                for h, lo, hi in zip(hidden, low, high, strict=True)
            ],
            "Gap to 80% (pts)": gap.clip(lower=0).round(1),
            "Status": [_status(h, r) for h, r in zip(hidden, rate, strict=True)],
        }
    )
    out["_hidden"], out["_rate"] = hidden.to_numpy(), rate.to_numpy()
    out = out.sort_values(["_hidden", "_rate"], kind="stable", na_position="last")
    return out.drop(columns=["_hidden", "_rate"]).reset_index(drop=True)


def _counts(values: pd.Series, hidden: pd.Series) -> list[object]:
    return [HIDDEN if h else int(v) for v, h in zip(values, hidden, strict=True)]


def _status(hidden: bool, rate: float) -> str:
    if hidden:
        return f"fewer than 5 due: {HIDDEN}"
    if rate >= FOLLOWUP_TARGET:
        return "target met"
    return "under 50%: unusable" if rate < 0.5 else "under target"


def units_short(frame: pd.DataFrame, unit: str) -> Sequence[str]:
    """Names of the shown units under the 80% target (for a one-line summary)."""
    table = followup_by_unit(frame, unit)
    under = table[table["Status"].isin(["under target", "under 50%: unusable"])]
    return list(under[labels.GROUP_TITLE[unit]])


WORKLIST_SHOWN = 200  # rows of the worklist on the Overview; its CSV download holds them all


def worklist_shown(shown: int, total: int) -> str:
    """The worklist's caption line: how many of its rows the page shows."""
    if total == 0:
        return "No open window is waiting for an assessment."
    if shown >= total:
        return f"All {labels.count(total)} shown; the CSV download holds the same."
    return (
        f"{labels.count(shown)} of {labels.count(total)} shown, most urgent first; "
        "the CSV download holds them all."
    )


def worklist_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The follow-up worklist (analytics.worklist) with clinical headers."""
    return pd.DataFrame(
        {
            "Days left": rows["days_left"],
            "Case": rows["case_id"],
            "Patient (pseudonymous)": rows["patient_id"],
            "Clinic": rows["clinic"],
            "Physician": rows["physician"],
            "Timepoint": rows["timepoint"].map(labels.TIMEPOINT),
            "Window opens": rows["window_opens"],
            "Window closes": rows["window_closes"],
        }
    )

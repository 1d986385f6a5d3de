"""Assessments dated outside their timepoint's visit window (vocabulary.VISIT_WINDOWS).

They still count by their label in every figure; this list lets the data manager check
them (a mislabelled timepoint, a wrong date). No streamlit import.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics import facts, frames, queries
from analytics.filters import Filters
from analytics.sql_files import literal
from pipelines import vocabulary as vocab

COLUMNS: tuple[str, ...] = (
    "case_id", "clinic", "timepoint", "treatment_date", "assessment_date",
    "days_after_treatment", "window_opens", "window_closes",
)  # fmt: skip


def out_of_window(
    db: queries.Db,
    *,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
    limit: int = 10_000,
) -> pd.DataFrame:
    """Follow-up assessments (known on `as_of`) dated outside their window. Columns: COLUMNS."""
    tps = tuple(vocab.VISIT_WINDOWS)
    arms = " ".join(f"when {literal(tp)} then {queries.fact(facts.date_column(tp))}" for tp in tps)
    out = queries.query(
        db,
        "out_of_window",
        filters=filters or Filters(),
        as_of=frames.snapshot_day(as_of),
        params={
            **queries.timepoint_params(tps),
            "w_opens": [vocab.VISIT_WINDOWS[tp].opens for tp in tps],
            "w_closes": [vocab.VISIT_WINDOWS[tp].closes for tp in tps],
            "limit": int(limit),
        },
        fragments={"date_at_tp": f"case w.timepoint {arms} end"},
    )
    return out[list(COLUMNS)]

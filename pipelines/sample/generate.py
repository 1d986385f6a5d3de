"""The three frames of a sample, drawn from one seeded generator in a fixed order."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipelines.sample.cases import cases_frame, draw_cases
from pipelines.sample.draw import check, days
from pipelines.sample.followup import assessments_frame, events_frame

if TYPE_CHECKING:
    import pandas as pd


def generate(n_cases: int, seed: int, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Synthetic cases, assessments and events; the same arguments give equal frames."""
    import numpy as np

    check(n_cases, as_of)
    rng = np.random.default_rng(seed)
    cohort = draw_cases(rng, n_cases, days(as_of))
    return {
        "cases": cases_frame(cohort),
        "assessments": assessments_frame(rng, cohort, days(as_of)),
        "events": events_frame(rng, cohort, days(as_of)),
    }

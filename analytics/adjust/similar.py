"""Patients like mine: how the most similar past cases fared, per pathway (`fbss similar`).

A description of similar past patients, not a prediction (as NORspine's tool says). For
each pathway the k past cases nearest to the profile are found: exactly the same cause
when one is given, nearest on the other given characteristics after standardising each
to mean 0 and sd 1 over the candidates (scikit-learn NearestNeighbors, Euclidean).
A candidate missing a characteristic counts as average on it (0 after standardising),
so nobody is excluded for a missing risk factor and a missing value neither helps nor
hurts a match much. Their ODI change at the timepoint, as a percent of baseline, is put
in four bands with a Wilson interval each; a pathway with fewer matches than the
small-cell limit is suppressed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analytics import stats
from analytics.adjust import data
from analytics.definitions import DEFAULT_MIN_CELL, AnalyticsError, check_min_cell
from analytics.filters import Filters
from analytics.queries import Db
from pipelines import vocabulary as vocab

DEFAULT_K = 50
NOTE = "A description of similar past patients, not a prediction for this patient."
# (code, label, lowest percent improvement, highest) — bounds inclusive as labelled.
BANDS: tuple[tuple[str, str, float, float], ...] = (
    ("clearly_better", "Clearly better (ODI improved by 30% or more)", 30, np.inf),
    ("somewhat_better", "Somewhat better (10% to under 30%)", 10, 30),
    ("unchanged", "Unchanged (within 10%)", -10, 10),
    ("worse", "Worse (ODI 10% or more higher)", -np.inf, -10),
)
# Profile keys and the frame column each is matched on.
PROFILE_COLUMNS: dict[str, str] = {
    "age": "age",
    "baseline_odi": "baseline_value",
    "back_pain": "back_pain_baseline",
    "leg_pain": "leg_pain_baseline",
    "female": "female",
    **{f: f for f in data.RISK_FACTORS},
}


def band_of(percent: np.ndarray) -> np.ndarray:
    """Band code of each percent improvement of ODI (positive = better)."""
    return np.select(
        [percent >= 30, percent >= 10, percent > -10],
        ["clearly_better", "somewhat_better", "unchanged"],
        default="worse",
    )


def similar(
    db: Db,
    profile: Mapping[str, Any],
    *,
    timepoint: str = "12m",
    k: int = DEFAULT_K,
    min_cell: int = DEFAULT_MIN_CELL,
    filters: Filters | None = None,
    as_of: dt.date | str | None = None,
) -> dict[str, Any]:
    """Per pathway, the shares of the k nearest past cases in each band of ODI change
    (past cases as known on `as_of`, default today)."""
    min_cell = check_min_cell(min_cell)
    if int(k) != k or k < 1:
        raise AnalyticsError(f"k must be a whole number of 1 or more (got {k})")
    cause = profile.get("cause")
    if cause is not None and cause not in vocab.CAUSES:
        raise AnalyticsError(f"unknown cause {cause!r}; choose from {', '.join(vocab.CAUSES)}")
    sex = profile.get("sex")
    if sex is not None and sex not in vocab.SEXES:
        raise AnalyticsError(f"unknown sex {sex!r}; choose from {', '.join(vocab.SEXES)}")
    given = {key: float(profile[key]) for key in PROFILE_COLUMNS if profile.get(key) is not None}
    if sex is not None:
        given["female"] = float(sex == "female")
    if not given:
        raise AnalyticsError("give at least one characteristic to match on, e.g. age")
    # Percent improvement needs room to improve: the ODI 30% rule excludes baseline 0.
    cf = data.case_frame(db, timepoint=timepoint, responder="odi:30%", filters=filters, as_of=as_of)
    frame = cf.cases.assign(female=(cf.cases["sex"] == "female").astype(float))
    if cause is not None:
        frame = frame[frame["cause"] == cause]
    columns = [PROFILE_COLUMNS[key] for key in given]
    target = np.array(list(given.values()))
    rows = [
        _pathway(frame[frame["pathway"] == p], p, columns, target, int(k), min_cell)
        for p in vocab.PATHWAYS
    ]
    return {
        "timepoint": timepoint,
        "k": int(k),
        "profile": {key: profile[key] for key in profile if profile[key] is not None},
        "matched_on": [*(["cause (exact)"] if cause else []), *given],
        "note": NOTE,
        "pathways": rows,
    }


def _pathway(
    frame: pd.DataFrame, pathway: str, columns: list[str], target: np.ndarray, k: int, min_cell: int
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pathway": pathway,
        "n": 0,
        "max_distance": None,
        "bands": [],
        "suppressed": True,
    }
    if frame.empty:
        return out
    values = frame[columns].to_numpy(dtype=float)
    mean = np.nanmean(values, axis=0)
    sd = np.nanstd(values, axis=0)
    scale = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    centre = np.where(np.isfinite(mean), mean, 0.0)
    z = np.nan_to_num((values - centre) / scale, nan=0.0)
    query = ((target - centre) / scale)[None, :]
    n = min(k, len(frame))
    # scikit-learn takes 1-3 s to import: paid by the first search, not by every process
    # that imports this module (the dashboard's data module imports it at its start).
    from sklearn.neighbors import NearestNeighbors

    distance, index = NearestNeighbors(n_neighbors=n).fit(z).kneighbors(query)
    chosen = frame.iloc[index[0]]
    percent = 100 * chosen["improvement"].to_numpy() / chosen["baseline_value"].to_numpy()
    codes = band_of(percent)
    out["n"] = n
    if n < max(min_cell, 1):
        out["n"] = None
        return out
    counts = np.array([(codes == code).sum() for code, *_ in BANDS])
    low, high = stats.wilson(counts, np.full(len(counts), n))
    out["max_distance"] = float(distance[0].max())
    out["suppressed"] = False
    out["bands"] = [
        {
            "band": code,
            "label": label,
            "n": int(c),
            "share": c / n,
            "ci_low": float(lo),
            "ci_high": float(hi),
        }
        for (code, label, *_), c, lo, hi in zip(BANDS, counts, low, high, strict=True)
    ]
    return out

"""Shaping the aggregate frames the queries return: dates, dtypes, order, empty results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analytics.definitions import AnalyticsError


def to_date(value: dt.date | str | None, *, default_today: bool = True) -> dt.date | None:
    """A date from a date or an ISO `YYYY-MM-DD` string; today when None (if asked)."""
    if value is None:
        return dt.date.today() if default_today else None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise AnalyticsError(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


def snapshot_day(value: dt.date | str | None) -> dt.date:
    """The as-of day of a snapshot: the given date, or today."""
    day = to_date(value)
    assert day is not None  # to_date gives today for None
    return day


def as_int(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Count columns as nullable integers, so suppression can null them and JSON stays int."""
    for col in columns:
        if col in frame.columns:
            frame[col] = pd.array(np.asarray(frame[col].fillna(0), dtype=np.int64), dtype="Int64")
    return frame


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as float, NaN where the denominator is 0."""
    num = numerator.to_numpy(dtype=float)
    den = denominator.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(den > 0, num / den, np.nan), index=numerator.index)


def fill_overall(
    frame: pd.DataFrame, column: str, values: Sequence[object], zeros: Sequence[str]
) -> pd.DataFrame:
    """Ungrouped results keep one row per `values` item even when no case is in view."""
    present = set(frame[column]) if column in frame.columns else set()
    missing = [v for v in values if v not in present]
    if not missing:
        return frame
    extra = pd.DataFrame({column: missing, **{z: [0] * len(missing) for z in zeros}})
    extra = extra.reindex(columns=list(dict.fromkeys([*frame.columns, *extra.columns])))
    return pd.concat([frame, extra], ignore_index=True) if len(frame) else extra


def order_rows(
    frame: pd.DataFrame, keys: Sequence[str], rank: Mapping[str, Mapping[str, int]]
) -> pd.DataFrame:
    """Sort by group keys, then by the vocabulary order of the ranked columns."""
    helper = {f"_rank_{c}": frame[c].map(order) for c, order in rank.items()}
    tmp = frame.assign(**helper)
    tmp = tmp.sort_values([*keys, *helper], kind="stable", na_position="last")
    return tmp.drop(columns=list(helper)).reset_index(drop=True)

"""CSV downloads that are safe to open in a spreadsheet.

Text cells and headers go through the project's one formula-injection rule,
`pipelines.spreadsheet.neutralise` (the same as `fbss load --report` and `fbss summary
--format csv`). Numbers are written as numbers, so a negative change stays -3.5.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

import numpy as np
import pandas as pd

from pipelines.spreadsheet import neutralise

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _cell(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def to_csv(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a BOM, so Excel reads accents), formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def file_name(title: str, showing: str = "") -> str:
    """A safe download file name from a table title and what the page shows:
    'Follow-up by clinic', 'clinic-north_2026-12-02' -> fbss-follow-up-by-clinic_clinic-....csv.
    """
    stem = _SAFE_NAME.sub("-", title.strip().lower()).strip("-.") or "table"
    tail = _SAFE_NAME.sub("-", showing.strip()).strip("-.")
    return f"fbss-{stem[:60]}" + (f"_{tail[:90]}" if tail else "") + ".csv"

"""Writing result frames as JSON (list of objects), CSV or an aligned text table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipelines.spreadsheet import neutralise

FORMATS: tuple[str, ...] = ("table", "csv", "json")


def _plain(value: object) -> object:
    """A JSON-ready Python value: null for NA/NaN, ints stay ints, dates as ISO text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, object]]:
    """Rows as dicts of plain values, in the given column order."""
    return [
        {col: _plain(value) for col, value in zip(columns, row, strict=True)}
        for row in frame[list(columns)].itertuples(index=False, name=None)
    ]


def to_json(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """A JSON list of objects; rates are fractions, suppressed values null."""
    return json.dumps(records(frame, columns), indent=2, ensure_ascii=False)


def _text(value: object, *, digits: int | None) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if digits is not None else repr(value)
    return str(value)


def to_csv(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """CSV with a header; empty cells for null; full float precision; formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # Python 3.11's csv quotes only the line terminator's characters, so a lone CR in a
    # text cell would end the row early: such rows are written fully quoted.
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    rows = [[neutralise(c) for c in columns]]
    for row in frame[list(columns)].itertuples(index=False, name=None):
        rows.append([neutralise(_text(v, digits=None)) for v in row])
    for cells in rows:
        (quoted if any("\r" in str(c) for c in cells) else writer).writerow(cells)
    return buffer.getvalue()


def to_table(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """An aligned text table for the terminal (3 decimals; '-' for null)."""
    if frame.empty:
        return "no cases in view\n"
    cells = [
        [_text(v, digits=3) or "-" for v in row]
        for row in frame[list(columns)].itertuples(index=False, name=None)
    ]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        for col in columns
    ]

    def line(items: Sequence[str]) -> str:
        parts = [
            item.rjust(w) if num else item.ljust(w)
            for item, w, num in zip(items, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(columns)), *(line(r) for r in cells)]) + "\n"


def render(frame: pd.DataFrame, columns: Sequence[str], fmt: str) -> str:
    """The frame in one of FORMATS."""
    if fmt == "json":
        return to_json(frame, columns) + "\n"
    if fmt == "csv":
        return to_csv(frame, columns)
    return to_table(frame, columns)

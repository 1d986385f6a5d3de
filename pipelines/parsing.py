"""Stage one of validation: text cells -> the dtypes the pandera models declare.

How a column is read follows from its dtype in `schemas.py`: whole numbers accept
"7.0" (spreadsheets export them so) but not "7.5"; booleans accept true/false, yes/no,
1/0; dates must be written YYYY-MM-DD; text is trimmed; vocabulary columns are matched
ignoring case and stored lower-case. A cell that cannot be read becomes missing and is
reported here, so pandera (stage two) only ever sees well-typed columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipelines import problems as P

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_DATE = r"^\d{4}-\d{2}-\d{2}$"


def kind_of(column: pa.Column) -> str:
    """How a model column is read: int, float, bool, date, code (vocabulary) or text."""
    dtype = str(column.dtype)
    if dtype == "Int64":
        return "int"
    if dtype == "Float64":
        return "float"
    if dtype == "boolean":
        return "bool"
    if dtype.startswith("datetime64"):
        return "date"
    if any(c.name == "isin" for c in column.checks):
        return "code"
    return "text"


def rule_of(column: pa.Column) -> str:
    return (column.metadata or {}).get("rule", "valid")


def parse_frame(
    text: pd.DataFrame, schema: pa.DataFrameSchema
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frame (contract columns only, same index) and a frame of unreadable cells.

    The second frame has columns index, column, value; the caller turns it into report
    lines. Columns absent from `text` come out all missing.
    """
    typed: dict[str, pd.Series] = {}
    bad: list[pd.DataFrame] = []
    for name, column in schema.columns.items():
        raw = text[name] if name in text.columns else pd.Series(None, index=text.index, dtype=object)
        cells = _clean_text(raw)
        if (column.metadata or {}).get("normalise") == "levels":
            # "l4-l5 ; L5-S1" -> "L4-L5;L5-S1"
            cells = cells.str.upper().str.replace(r"\s+", "", regex=True)
        values, failed = _PARSERS[kind_of(column)](cells)
        typed[name] = values
        if failed.any():
            bad.append(
                pd.DataFrame({"index": cells.index[failed], "column": name, "value": cells[failed].astype(str)})
            )
    frame = pd.DataFrame(typed, index=text.index)
    failures = (
        pd.concat(bad, ignore_index=True)
        if bad
        else pd.DataFrame({"index": pd.Series(dtype="int64"), "column": [], "value": []})
    )
    return frame, failures


def _clean_text(raw: pd.Series) -> pd.Series:
    """Trim surrounding spaces; an empty cell is missing."""
    s = raw.astype(object).where(raw.notna(), None)
    s = s.str.strip()
    return s.where(s != "", None)


def _parse_text(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return cells.astype(object), np.zeros(len(cells), dtype=bool)


def _parse_code(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return cells.str.lower().astype(object), np.zeros(len(cells), dtype=bool)


def _parse_float(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    numbers = pd.to_numeric(cells, errors="coerce").astype("float64")
    present = cells.notna().to_numpy()
    failed = present & ~np.isfinite(numbers.to_numpy())
    return numbers.where(~failed).astype("Float64"), failed


def _parse_int(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    numbers, failed = _parse_float(cells)
    as_float = numbers.to_numpy(dtype="float64", na_value=np.nan)
    fractional = np.isfinite(as_float) & (np.floor(as_float) != as_float)
    failed = failed | fractional
    whole = pd.Series(np.where(failed, np.nan, as_float), index=cells.index)
    return whole.round().astype("Int64"), failed


def _parse_bool(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    lowered = cells.str.lower()
    mapped = pd.Series(pd.NA, index=cells.index, dtype="boolean")
    mapped[lowered.isin(_TRUE)] = True
    mapped[lowered.isin(_FALSE)] = False
    failed = (cells.notna() & mapped.isna()).to_numpy()
    return mapped, failed


def _parse_date(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    shaped = cells.str.match(_DATE, na=False).astype(bool)
    dates = pd.to_datetime(cells.where(shaped), format="%Y-%m-%d", errors="coerce")
    failed = (cells.notna() & dates.isna()).to_numpy()
    return dates.astype("datetime64[ns]"), failed


_PARSERS = {
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "date": _parse_date,
    "code": _parse_code,
    "text": _parse_text,
}

__all__ = ["P", "kind_of", "parse_frame", "rule_of"]

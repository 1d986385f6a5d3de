"""Drawing helpers shared by the case and follow-up draws: categorical picks by table,
zero-padded ids, dates and nullable arrays, all vectorised (no loop over rows).

numpy and pandas are imported inside functions so `fbss --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pipelines.sample.parameters import MAX_CASES

if TYPE_CHECKING:
    import numpy as np


def codes(mapping: dict[str, Any], vocabulary: Any) -> list[str]:
    """Check a table's keys against the vocabulary, so a typo fails loudly."""
    unknown = set(mapping) - set(vocabulary)
    if unknown:
        raise KeyError(f"not in the vocabulary: {sorted(unknown)}")
    return list(vocabulary)


def by_code(mapping: dict[str, Any], vocabulary: Any) -> np.ndarray:
    """A table keyed by codes as an array in vocabulary order (absent codes are 0)."""
    import numpy as np

    return np.array([mapping.get(code, 0.0) for code in codes(mapping, vocabulary)])


def pick(
    rng: np.random.Generator, table: np.ndarray, group: np.ndarray | None, n: int
) -> np.ndarray:
    """One category index per row by inverse CDF; `table[group[i]]` holds row i's weights."""
    import numpy as np

    table = np.atleast_2d(table)
    cdf = np.cumsum(table, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(n)
    if group is None:
        return np.searchsorted(cdf[0], u, side="right")
    out = np.empty(n, dtype=np.intp)
    for g in range(len(table)):  # a loop over a handful of groups, not over rows
        rows = group == g
        out[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    return out


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded ids such as C000042 as an object array, built without a Python loop."""
    import numpy as np

    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (numbers[:, None] // powers) % 10 + ord("0")
    raw = np.empty((len(numbers), width + 1), dtype=np.uint8)
    raw[:, 0] = ord(prefix)
    raw[:, 1:] = digits
    return raw.view(f"S{width + 1}").ravel().astype(str).astype(object)


def days(as_of: dt.date) -> int:
    return (as_of - dt.date(1970, 1, 1)).days


def check(n_cases: int, as_of: dt.date) -> None:
    if not 1 <= n_cases <= MAX_CASES:
        raise ValueError(f"the number of cases must be from 1 to {MAX_CASES:,}, not {n_cases}")
    if not 1950 <= as_of.year <= 2200:  # keeps every date inside pandas' timestamp range
        raise ValueError(f"the as-of date must lie in the years 1950 to 2200, not {as_of}")


def dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def with_na(values: np.ndarray, missing: np.ndarray, kind: str) -> Any:
    """A pandas nullable array (Int64, Float64 or boolean) blank where `missing`."""
    import numpy as np
    import pandas as pd

    if kind == "Int64":
        return pd.arrays.IntegerArray(values.astype(np.int64), missing.copy())
    if kind == "Float64":
        return pd.arrays.FloatingArray(values.astype(np.float64), missing.copy())
    return pd.arrays.BooleanArray(values.astype(bool), missing.copy())

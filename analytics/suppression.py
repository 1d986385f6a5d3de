"""Small-cell suppression, with the secondary step that stops totals revealing a cell.

Primary: a row whose denominator is below `min_cell` is suppressed. Secondary: a total
(the whole result, or any margin of a multi-column grouping, e.g. all pathways of one
cause) minus its shown rows would reveal a suppressed row when it is the only suppressed
row under that total; so the smallest shown row under the same total is suppressed too,
and this repeats until no total covers exactly one suppressed row. `partition_by` splits
the result into tables that are suppressed independently (per event type, per measure).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd


def suppression_mask(
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    denominator: str,
    min_cell: int,
    partition_by: Sequence[str] = (),
) -> pd.Series:
    """Boolean Series: which rows must be hidden (primary and secondary suppression)."""
    if min_cell <= 0 or frame.empty:
        return pd.Series(False, index=frame.index)
    denom = frame[denominator].fillna(0).to_numpy(dtype=float)
    hidden = denom < min_cell
    # Every total a reader could know: the whole table and each margin (fix some keys,
    # sum over the rest). Fixing every key leaves single rows, which reveal nothing new.
    margins = [list(s) for size in range(len(keys)) for s in combinations(keys, size)]
    # Positions of the rows under each total, computed once.
    blocks: list[np.ndarray] = []
    for margin in margins:
        by = [*partition_by, *margin]
        if by:
            grouped = frame.reset_index(drop=True).groupby(by, sort=False, dropna=False)
            blocks.extend(np.asarray(ix) for ix in grouped.indices.values())
        else:
            blocks.append(np.arange(len(frame)))
    blocks = [b for b in blocks if len(b) >= 2]
    changed = True
    while changed:
        changed = False
        for rows in blocks:
            if hidden[rows].sum() != 1:
                continue
            shown = rows[~hidden[rows]]
            if len(shown) == 0:
                continue
            # the next smallest shown row (first in result order on ties)
            smallest = shown[np.argsort(denom[shown], kind="stable")[0]]
            hidden[smallest] = True
            changed = True
    return pd.Series(hidden, index=frame.index)


def apply_suppression(
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    denominator: str,
    min_cell: int,
    value_columns: Sequence[str],
    partition_by: Sequence[str] = (),
) -> pd.DataFrame:
    """A copy with a `suppressed` column and the value columns nulled where suppressed."""
    out = frame.copy()
    mask = suppression_mask(
        out, keys=keys, denominator=denominator, min_cell=min_cell, partition_by=partition_by
    )
    for col in value_columns:
        if col not in out.columns:
            continue
        # nullable dtypes, so a hidden count is null rather than a float NaN
        if out[col].dtype == bool:
            out[col] = out[col].astype("boolean")
        elif pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64")
        out[col] = out[col].mask(mask)
    out["suppressed"] = mask.to_numpy()
    return out

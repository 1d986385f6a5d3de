"""Empty groups shown as suppressed rows, so a missing row tells nothing.

A summary by two or more keys lists only the groups that have cases. A group with none
(sex "other" on the less-invasive pathway, say) was simply absent, while a group of one to
four cases shows as a suppressed row: the absence told that every one of a small group's
cases was on the other pathway (review 5, F7). Here every combination of the key values
the output already shows, for every partition (measure, timepoint), gets a row; the ones
the data lack are added looking exactly like a suppressed small row (keys, null figures,
suppressed), where each of the row's lines (the rows sharing every key but one) already
hides a row: in a line of shown rows the public total minus the rows gives the empty
row's 0 back, suppressed or not, and its absence tells no more than that. Combinations
that cannot exist are left out: a treatment belongs to one pathway
(pipelines.vocabulary.pathway_of), so "revision fusion x less invasive" is not a group
anyone could have. The added rows hide nothing that was shown and reveal no value not
already in the output, so they cannot weaken the suppression around them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pandas as pd

from pipelines import vocabulary as vocab


def _possible(combo: dict[str, object]) -> bool:
    """False for a combination the vocabulary rules out (a treatment off its pathway)."""
    treatment, pathway = combo.get("treatment"), combo.get("pathway")
    if isinstance(treatment, str) and isinstance(pathway, str) and treatment in vocab.TREATMENTS:
        return vocab.pathway_of(treatment) == pathway
    return True


def with_empty_groups(
    frame: pd.DataFrame, keys: Sequence[str], partition_by: Sequence[str] = ()
) -> pd.DataFrame:
    """`frame` plus a suppressed row for each possible key combination it lacks.

    Only with two or more keys (one key's values are the output's own). The added rows
    have null figures and `suppressed` True; callers order the rows afterwards."""
    keys = list(keys)
    if len(keys) < 2 or frame.empty or "suppressed" not in frame.columns:
        return frame
    values = [frame[k].dropna().unique().tolist() for k in keys]
    parts = frame[list(partition_by)].drop_duplicates().to_dict("records") if partition_by else [{}]
    columns = [*keys, *partition_by]
    present = set(map(tuple, frame[columns].astype(object).itertuples(index=False)))
    # the lines that hold a hidden row: a line is the rows sharing every key but one
    hidden = frame[frame["suppressed"].astype(bool)]
    lines = {
        (k, tuple(r[c] for c in columns if c != k))
        for k in keys
        for r in hidden[columns].astype(object).to_dict("records")
    }
    missing = []
    for combo in itertools.product(*values):
        named = dict(zip(keys, combo, strict=True))
        if not _possible(named):
            continue
        for part in parts:
            row = {**named, **part}
            if tuple(row[c] for c in columns) in present:
                continue
            # Only where each of its lines already hides a row: in a line of shown rows
            # the total minus the rows gives the empty one's 0 back whatever it looks like
            # (and its absence then tells nothing the total does not).
            if all((k, tuple(row[c] for c in columns if c != k)) in lines for k in keys):
                missing.append(row)
    if not missing:
        return frame
    added = pd.DataFrame(missing, columns=list(frame.columns))
    added["suppressed"] = True
    # dtypes as the frame's where they hold nulls (integer counts become nullable)
    for col in frame.columns:
        if col in added and added[col].isna().all() and col not in (*keys, *partition_by):
            dtype = frame[col].dtype
            if pd.api.types.is_integer_dtype(dtype):
                added[col] = added[col].astype("Int64")
            elif pd.api.types.is_float_dtype(dtype):
                added[col] = added[col].astype(dtype)
    return pd.concat([frame, added], ignore_index=True)

"""Who is lost to follow-up: baseline characteristics of followed and lost cases, by SMD.

For one timepoint, the cases for which it is due are split into *followed* (a follow-up
value of the measure) and *lost* (none). Each baseline characteristic is compared by its
standardised mean difference, lost minus followed: for a number (d = difference of means
÷ sqrt((var_lost + var_followed) / 2)); for each level of a category (the same with
p(1 − p) as the variance). |SMD| ≥ 0.1 is the usual mark of a real imbalance, and such
rows get a sentence a manager can read ("patients lost at 12 months started more
disabled").
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics import facts, frames, queries
from analytics.coarsening import MEAN_DECIMALS
from analytics.definitions import (
    DEFAULT_MIN_CELL,
    DEFAULT_TIMEPOINT,
    check_measure,
    check_min_cell,
    check_timepoint,
)
from analytics.filters import Filters
from analytics.sql_files import literal
from analytics.suppression import round_array
from pipelines import vocabulary as vocab

SMD_MARK = 0.1
SMD_DECIMALS = 2  # a published SMD (published_dropout)
COLUMNS: tuple[str, ...] = (
    "timepoint", "measure", "characteristic", "level", "n_followed", "n_lost",
    "followed_value", "lost_value", "smd", "imbalanced", "message", "suppressed",
)  # fmt: skip

# (characteristic, fact column, words when the lost are higher, ... when lower)
_NUMERIC: tuple[tuple[str, str, str, str], ...] = (
    ("age", "age", "were older", "were younger"),
    ("baseline_odi", facts.value_column("odi", "baseline"),
     "started more disabled", "started less disabled"),
    ("baseline_leg_pain", facts.value_column("leg_pain", "baseline"),
     "started with more leg pain", "started with less leg pain"),
    ("baseline_back_pain", facts.value_column("back_pain", "baseline"),
     "started with more back pain", "started with less back pain"),
)  # fmt: skip
_LEVELS: tuple[str, ...] = ("sex", "cause", "pathway")
_LEVEL_LABELS: dict[str, dict[str, str]] = {
    "sex": {
        "female": "female",
        "male": "male",
        "other": "of other sex",
        "unknown": "of unknown sex",
    },
    "cause": {
        c: "an unknown cause" if c == "unknown" else c.replace("_", " ") for c in vocab.CAUSES
    },
    "pathway": {p: label.lower() for p, label in vocab.PATHWAYS.items()},
}


def _item(characteristic: str, level: str, value: str) -> str:
    return f"{{'characteristic': {literal(characteristic)}, 'level': {level}, 'value': {value}}}"


def dropout(
    db: queries.Db,
    *,
    timepoint: str = DEFAULT_TIMEPOINT,
    measure: str = "odi",
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Followed against lost at `timepoint`: one row per characteristic (and level).

    Columns: COLUMNS. followed_value / lost_value are means for numbers and shares (0-1)
    for category levels. When either side has fewer than min_cell cases every figure is
    null and suppressed is true.
    """
    check_timepoint(timepoint)
    check_measure(measure)
    min_cell = check_min_cell(min_cell)
    numeric = ", ".join(
        _item(name, "null::varchar", f"{queries.fact(col)}::double") for name, col, _, _ in _NUMERIC
    )
    levels = ", ".join(
        [_item("_all", "null::varchar", "1.0")]
        + [_item(name, f"{queries.fact(name)}::varchar", "1.0") for name in _LEVELS]
    )
    raw = queries.query(
        db,
        "dropout",
        filters=filters or Filters(),
        as_of=frames.snapshot_day(as_of),
        params=queries.timepoint_params((timepoint,)),
        fragments={
            "value_at_tp": queries.value_at(measure, (timepoint,)),
            "has_at_tp": queries.has_at((timepoint,)),
            "numeric_rows": numeric,
            "level_rows": levels,
        },
    )
    return _compare(raw, timepoint, measure, min_cell)


def _side(raw: pd.DataFrame, lost: bool) -> pd.DataFrame:
    part = raw[raw["is_lost"] == lost].drop(columns=["is_lost"])
    return part.set_index(["characteristic", "level"], drop=True)


def _compare(raw: pd.DataFrame, timepoint: str, measure: str, min_cell: int) -> pd.DataFrame:
    raw = raw.assign(level=raw["level"].fillna(""))
    totals = raw[raw["characteristic"] == "_all"].set_index("is_lost")["n"]
    n_followed, n_lost = int(totals.get(False, 0)), int(totals.get(True, 0))
    followed, lost = _side(raw, False), _side(raw, True)
    rows: list[dict[str, object]] = []
    for name, _, more, less in _NUMERIC:
        f = followed.loc[(name, "")] if (name, "") in followed.index else None
        g = lost.loc[(name, "")] if (name, "") in lost.index else None
        fm, fv = (float(f["mean"]), float(f["variance"])) if f is not None else (np.nan, np.nan)
        lm, lv = (float(g["mean"]), float(g["variance"])) if g is not None else (np.nan, np.nan)
        smd = _smd(lm - fm, lv, fv)
        rows.append(_row(name, "", n_followed, n_lost, fm, lm, smd, more, less, timepoint))
    for name in _LEVELS:
        present = sorted({lv for (c, lv) in [*followed.index, *lost.index] if c == name})
        for level in present:
            fp = _share(followed, name, level, n_followed)
            lp = _share(lost, name, level, n_lost)
            smd = _smd(lp - fp, lp * (1 - lp), fp * (1 - fp))
            label = _LEVEL_LABELS[name].get(level, level)
            more = f"were more often {label}" if name == "sex" else f"more often had {label}"
            less = f"were less often {label}" if name == "sex" else f"less often had {label}"
            rows.append(_row(name, level, n_followed, n_lost, fp, lp, smd, more, less, timepoint))
    out = pd.DataFrame(rows)
    out.insert(1, "measure", measure)
    hidden = min(n_followed, n_lost) < min_cell
    out["suppressed"] = hidden
    if hidden:
        figures = ["n_followed", "n_lost", "followed_value", "lost_value", "smd", "imbalanced",
                   "message"]  # fmt: skip
        out[figures] = None
        return out[list(COLUMNS)]
    # A rare level (one patient with sex "other") would tell whether that patient was
    # followed. Hide small levels, and enough others that the hidden ones together reach
    # min_cell (their shares are 1 minus the shown ones, so one hidden level alone is
    # no protection).
    for name in _LEVELS:
        sizes = {
            level: _count(followed, name, level) + _count(lost, name, level)
            for level in out.loc[out["characteristic"] == name, "level"]
        }
        small = [lv for lv, n in sizes.items() if n < min_cell]
        if not small:
            continue
        rest = sorted((lv for lv in sizes if lv not in small), key=lambda lv: sizes[lv])
        while rest and (len(small) < 2 or sum(sizes[lv] for lv in small) < min_cell):
            small.append(rest.pop(0))
        rows_hidden = (out["characteristic"] == name) & out["level"].isin(small)
        out.loc[rows_hidden, ["followed_value", "lost_value", "smd", "message"]] = None
        out.loc[rows_hidden, "imbalanced"] = False
        out.loc[rows_hidden, "suppressed"] = True
    return out[list(COLUMNS)]


def _count(side: pd.DataFrame, name: str, level: str) -> int:
    return int(side.loc[(name, level), "n"]) if (name, level) in side.index else 0


def _share(side: pd.DataFrame, name: str, level: str, n: int) -> float:
    count = float(side.loc[(name, level), "n"]) if (name, level) in side.index else 0.0
    return count / n if n else np.nan


def _smd(difference: float, var_lost: float, var_followed: float) -> float:
    # a variance of equal values can come out of the sum of squares a hair below 0
    pooled = np.sqrt(np.maximum((var_lost + var_followed) / 2, 0.0))
    if not np.isfinite(pooled) or pooled == 0:
        return 0.0 if difference == 0 else np.nan
    return float(difference / pooled)


def _row(
    name: str, level: str, n_followed: int, n_lost: int, followed_value: float,
    lost_value: float, smd: float, more: str, less: str, timepoint: str,
) -> dict[str, object]:  # fmt: skip
    imbalanced = bool(np.isfinite(smd) and abs(smd) >= SMD_MARK)
    when = vocab.TIMEPOINTS[timepoint].label.lower()
    message = f"patients lost at {when} {more if smd > 0 else less}" if imbalanced else ""
    return {
        "timepoint": timepoint,
        "characteristic": name,
        "level": level or None,
        "n_followed": n_followed,
        "n_lost": n_lost,
        "followed_value": followed_value,
        "lost_value": lost_value,
        "smd": smd,
        "imbalanced": imbalanced,
        "message": message,
    }


def published_dropout(frame: pd.DataFrame, base: int) -> pd.DataFrame:
    """`dropout`'s frame as published to a non-admin (review 5, F2).

    The exact n_followed / n_lost, means and shares of two views that differ by one
    patient gave that patient's age, sex and baseline scores (13 x mean - 12 x mean).
    Published like every other figure: both counts rounded to `base`; a category's share
    is its rounded count over the rounded side (a rate from rounded counts); a mean is
    coarsened to 1 decimal (analytics.coarsening, as the summary's means); the SMD of a
    number to 2 decimals, the SMD of a category recomputed from the published shares; a
    row is flagged (with its sentence) only where the published and the exact SMD both
    pass 0.1 on the same side. Suppressed rows stay hidden."""
    if base <= 1 or frame.empty:
        return frame
    out = frame.copy()
    exact_f = pd.to_numeric(out["n_followed"], errors="coerce").astype(float)
    exact_l = pd.to_numeric(out["n_lost"], errors="coerce").astype(float)
    n_f = round_array(exact_f, base)
    n_l = round_array(exact_l, base)
    numeric = out["level"].isna()
    for side, exact_n, n in (("followed_value", exact_f, n_f), ("lost_value", exact_l, n_l)):
        value = pd.to_numeric(out[side], errors="coerce").astype(float)
        count = round_array((value * exact_n).round(), base)  # the level's count
        share = np.where(n > 0, np.minimum(count, n) / n.where(n > 0, 1), np.nan)
        out[side] = np.where(numeric, value.round(MEAN_DECIMALS), share)
        out[side] = out[side].where(value.notna())
    smd = pd.to_numeric(out["smd"], errors="coerce").astype(float)
    fp, lp = out["followed_value"].astype(float), out["lost_value"].astype(float)
    from_shares = [
        _smd(b - a, b * (1 - b), a * (1 - a)) if np.isfinite(a) and np.isfinite(b) else np.nan
        for a, b in zip(fp, lp, strict=True)
    ]
    published = pd.Series(np.where(numeric, smd, from_shares), index=out.index)
    out["smd"] = (published.round(SMD_DECIMALS) + 0.0).where(smd.notna())  # no -0.0
    out["n_followed"], out["n_lost"] = n_f.astype("Int64"), n_l.astype("Int64")
    for i in out.index[smd.notna()]:
        s, exact = float(out.at[i, "smd"]), float(smd.at[i])
        # A share from rounded counts of a small side can swing far (3 of 5 lost -> 5 of
        # 5): a sentence is said only where the published and the exact SMD agree on it,
        # so rounding never makes a finding up or turns one round.
        flagged = bool(
            np.isfinite(s) and abs(s) >= SMD_MARK and abs(exact) >= SMD_MARK and s * exact > 0
        )
        out.at[i, "imbalanced"] = flagged
        out.at[i, "message"] = _message(out.loc[i], s) if flagged else ""
    return out[list(COLUMNS)]


def _message(row: pd.Series, smd: float) -> str:
    """The sentence of `_row` for a published SMD."""
    name, level = str(row["characteristic"]), row["level"]
    when = vocab.TIMEPOINTS[str(row["timepoint"])].label.lower()
    if level is None or pd.isna(level):
        _, _, more, less = next(n for n in _NUMERIC if n[0] == name)
    else:
        label = _LEVEL_LABELS[name].get(str(level), str(level))
        more = f"were more often {label}" if name == "sex" else f"more often had {label}"
        less = f"were less often {label}" if name == "sex" else f"less often had {label}"
    return f"patients lost at {when} {more if smd > 0 else less}"

"""Warnings (never rejections) for assessments dated outside their visit window.

An assessment labelled `12m` but dated 200 days after treatment still counts as 12m in
every figure; the data manager is told, so a mislabelled timepoint or a wrong date can
be fixed at the source. `fbss validate` lists the batch's, `fbss load` counts the
store's (the Data quality page lists them). Windows: vocabulary.VISIT_WINDOWS.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import facts, store
from pipelines import vocabulary as vocab

if TYPE_CHECKING:  # pandas is imported where it is used: `fbss load` prints the store's
    import pandas as pd  # windows (print_store) without it, down the fast path

KIND = "assessment outside its visit window"
SHOWN_LINES = 20

_STORE_SQL = """
with windows as (
    select
        unnest($timepoints::varchar[]) as timepoint,
        unnest($opens::integer[]) as opens,
        unnest($closes::integer[]) as closes
)
select count(*)
from assessments as a
inner join cases as c on c.case_id = a.case_id
inner join windows as w on w.timepoint = a.timepoint
where datediff('day', c.treatment_date, a.assessment_date) not between w.opens and w.closes
"""


@dataclass(frozen=True)
class WindowWarning:
    """One assessment dated outside its timepoint's window."""

    file: str
    row: int | None
    case_id: str
    timepoint: str
    days: int  # after the treatment date

    def as_line(self) -> str:
        w = vocab.VISIT_WINDOWS[self.timepoint]
        where = f"{self.file}, row {self.row}" if self.row is not None else self.file
        return (
            f"{where}: case {self.case_id}, {self.timepoint} assessment dated {self.days} days "
            f"after treatment, outside its window ({w.opens}–{w.closes} days); "
            f"it still counts as {self.timepoint}"
        )


def _window_params() -> dict[str, object]:
    tps = list(vocab.VISIT_WINDOWS)
    return {
        "timepoints": tps,
        "opens": [vocab.VISIT_WINDOWS[t].opens for t in tps],
        "closes": [vocab.VISIT_WINDOWS[t].closes for t in tps],
    }


def outside(treated: pd.DataFrame, assessed: pd.DataFrame) -> pd.DataFrame:
    """Rows of `assessed` (case_id, timepoint, assessment_date, ...) outside their window,
    given `treated` (case_id, treatment_date); a `days` column is added."""
    import pandas as pd

    both = assessed.merge(treated[["case_id", "treatment_date"]], on="case_id", how="inner")
    windows = pd.DataFrame(vocab.VISIT_WINDOWS.values())
    both = both.merge(windows, on="timepoint", how="inner")
    days = (
        pd.to_datetime(both["assessment_date"]) - pd.to_datetime(both["treatment_date"])
    ).dt.days
    both = both.assign(days=days)
    return both[(days < both["opens"]) | (days > both["closes"])]


def batch_warnings(paths: Sequence[Path], db_path: Path | None) -> list[WindowWarning]:
    """Out-of-window assessments in the files; treatment dates from the batch, else the store."""
    import pandas as pd

    from pipelines.parsing import parse_frame
    from pipelines.readers import read_paths
    from pipelines.schemas import MODELS

    batch = read_paths(paths)
    parts: dict[str, list[pd.DataFrame]] = {"cases": [], "assessments": []}
    for tf in batch.files:
        if tf.table not in parts:
            continue
        typed, _ = parse_frame(tf.frame, MODELS[tf.table].to_schema())
        parts[tf.table].append(typed.assign(file=tf.label, row=tf.frame.index))
    if not parts["assessments"]:
        return []
    assessed = pd.concat(parts["assessments"], ignore_index=True)
    assessed = assessed.dropna(subset=["case_id", "timepoint", "assessment_date"])
    treated = [p[["case_id", "treatment_date"]] for p in parts["cases"]]
    if db_path is not None and db_path.is_file():
        with store.reader(db_path) as con:
            treated.append(
                con.execute(
                    "select case_id, treatment_date from cases "
                    "where list_contains($ids::varchar[], case_id)",
                    {"ids": sorted(set(assessed["case_id"]))},
                ).df()
            )
    if not treated:
        return []
    cases = pd.concat(treated, ignore_index=True).dropna().drop_duplicates("case_id")
    found = outside(cases, assessed).sort_values(["file", "row"])
    return [
        WindowWarning(str(r.file), int(r.row), str(r.case_id), str(r.timepoint), int(r.days))
        for r in found.itertuples(index=False)
    ]


def _facts_sql() -> tuple[str, dict[str, object]]:
    """_STORE_SQL's count read off the per-case facts: one date per case and timepoint
    there ((case_id, timepoint) is a key; every assessment has its case), so the same
    count without joining the assessments to the cases (0.7 s at 1M cases: it ran after
    every `fbss load`; this is one scan of 1 M rows)."""
    parts: list[str] = []
    params: dict[str, object] = {}
    for i, w in enumerate(vocab.VISIT_WINDOWS.values()):
        day = facts.date_column(w.timepoint)
        parts.append(
            f"count(*) filter (where datediff('day', treatment_date, {facts.quote(day)}) "
            f"not between $opens{i} and $closes{i})"
        )
        params |= {f"opens{i}": w.opens, f"closes{i}": w.closes}
    return f"select {' + '.join(parts)} from {facts.TABLE}", params


def store_count(db_path: Path) -> int:
    """How many stored assessments are dated outside their window."""
    with store.reader(db_path) as con:
        if facts.is_current(con):
            sql, params = _facts_sql()
            row = con.execute(sql, params).fetchone()
        else:  # an older store, whose facts are missing or of another definition
            row = con.execute(_STORE_SQL, _window_params()).fetchone()
    return int(row[0]) if row else 0


def print_batch(warnings: Sequence[WindowWarning]) -> None:
    """The warnings after `fbss validate`'s report (on stderr, like the problems)."""
    if not warnings:
        return
    err = sys.stderr
    n = len(warnings)
    print(f"{n} warning{'s' if n != 1 else ''} (not problems: the batch can be loaded):", file=err)
    for w in warnings[:SHOWN_LINES]:
        print(f"  {w.as_line()}", file=err)
    if n > SHOWN_LINES:
        print(f"  … and {n - SHOWN_LINES} more (listed on the Data quality page)", file=err)
    print("Warnings by kind:", file=err)
    print(f"  {n:>7}  {KIND}", file=err)


def print_store(db_path: Path) -> None:
    """After `fbss load`: how many stored assessments fall outside their window, if any."""
    n = store_count(db_path)
    if n:
        print(
            f"Warning: {n} stored assessment{'s are' if n != 1 else ' is'} dated outside "
            "the timepoint's visit window; they still count by their label (listed on the "
            "Data quality page).",
            file=sys.stderr,
        )

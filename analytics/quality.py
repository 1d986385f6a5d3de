"""Data-quality readers the analytics layer does not offer: the last rejected batch, and
load-log rows made readable.

Each reader opens its own short-lived read_only connection (`store.reader`) and binds
every value as a parameter. No streamlit import.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from pipelines import store

REJECTION_COLUMNS: tuple[str, ...] = (
    "load_id",
    "attempted_at",
    "file",
    "row",
    "column",
    "problem",
    "kind",
)

_LAST_REJECTION_SQL = """
with rejected as (
    select r.load_id, l.started_at as attempted_at, r.file, r.row, r."column",
        r.problem, r.kind
    from last_rejection as r
    left join load_log as l on l.load_id = r.load_id
)
select * from rejected
order by file, row nulls first, "column", problem
limit $limit
"""

_HAS_TABLE_SQL = """
select count(*) from information_schema.tables where table_name = $name
"""


def last_rejection(db: str | os.PathLike[str], *, limit: int = 10_000) -> pd.DataFrame:
    """The report of the most recent rejected batch (where and what, never the value).

    Columns: REJECTION_COLUMNS; empty when no batch was ever rejected.
    """
    empty = pd.DataFrame(columns=list(REJECTION_COLUMNS))
    if not Path(db).is_file():
        return empty
    with store.reader(db) as con:
        row = con.execute(_HAS_TABLE_SQL, {"name": "last_rejection"}).fetchone()
        if not row or not row[0]:
            return empty
        out = con.execute(_LAST_REJECTION_SQL, {"limit": int(limit)}).df()
    out["row"] = out["row"].astype("Int64")
    return out[list(REJECTION_COLUMNS)]


def _json(text: object) -> object:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return None
    return text


def files_text(files: object) -> str:
    """'cases.csv (1,000 rows), events.csv (214 rows)' from load_log.files."""
    items = _json(files)
    if not isinstance(items, list):
        return ""
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = Path(str(item.get("path", ""))).name
        rows = item.get("rows")
        parts.append(f"{name} ({int(rows):,} rows)" if isinstance(rows, int) else name)
    return ", ".join(parts)


def counts_text(counts: object) -> str:
    """'cases +1,000 new, 3 updated; assessments +4,115 new' from load_log.counts."""
    tables = _json(counts)
    if not isinstance(tables, dict):
        return ""
    parts = []
    for table, c in tables.items():
        if not isinstance(c, dict):
            continue
        words = [f"+{int(c.get('inserted', 0)):,} new"]
        if c.get("updated"):
            words.append(f"{int(c['updated']):,} updated")
        if c.get("deleted"):
            words.append(f"{int(c['deleted']):,} deleted")
        parts.append(f"{table} " + ", ".join(words))
    return "; ".join(parts)


def dropped_text(dropped: object) -> str:
    """Names of columns left out of a load (they are never stored)."""
    items = _json(dropped)
    if not isinstance(items, list):
        return ""
    return ", ".join(
        f"{Path(str(d.get('file', ''))).name}: {d.get('column')}"
        for d in items
        if isinstance(d, dict)
    )


def describe_loads(history: pd.DataFrame) -> pd.DataFrame:
    """The load log (analytics.load_history) as a readable table, newest first."""
    columns = [
        "load",
        "started",
        "seconds",
        "outcome",
        "mode",
        "problems",
        "files",
        "records",
        "columns left out",
    ]
    if history.empty:
        return pd.DataFrame(columns=columns)
    started = pd.to_datetime(history["started_at"])
    finished = pd.to_datetime(history["finished_at"])
    return pd.DataFrame(
        {
            "load": history["load_id"].astype(int),
            "started": started.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "seconds": (finished - started).dt.total_seconds().round(1),
            "outcome": history["outcome"],
            "mode": history["mode"],
            "problems": history["n_problems"].astype(int),
            "files": history["files"].map(files_text),
            "records": history["counts"].map(counts_text),
            "columns left out": history["dropped_columns"].map(dropped_text),
        }
    )


def last_loaded(history: pd.DataFrame) -> pd.Timestamp | None:
    """When the most recent accepted load finished, or None."""
    if history.empty:
        return None
    accepted = history[history["outcome"] == "accepted"]
    if accepted.empty:
        return None
    return pd.Timestamp(accepted["finished_at"].max())

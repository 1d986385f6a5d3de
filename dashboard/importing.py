"""The Import page's work without the UI: keep uploads under their names, report problems.

Uploaded files are written into a fresh folder under their original base names (the
table a file holds is read from its name: cases.csv, assessments_2026-10.xlsx), then the
pipeline's own `validate_paths` / `load_paths` run on that folder's files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.load import LoadResult

ALLOWED_SUFFIXES: tuple[str, ...] = ("csv", "xlsx", "parquet")
MAX_UPLOAD_MB = 200
REPORT_COLUMNS: tuple[str, ...] = ("file", "row", "column", "value", "problem", "kind")
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]+")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the user's computer gave it and its bytes."""

    name: str
    data: bytes


def safe_name(name: str) -> str:
    """The base name only (no folders), with characters outside a plain set replaced."""
    base = Path(name.replace("\\", "/")).name.strip()
    base = _UNSAFE.sub("_", base).lstrip(".")
    return base or "upload"


def save_uploads(uploads: Iterable[Upload], folder: Path) -> list[Path]:
    """Write each upload into `folder` under its safe name; a repeated name gets a suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for upload in uploads:
        target = folder / safe_name(upload.name)
        stem, suffix, n = target.stem, target.suffix, 2
        while target.exists():
            target = folder / f"{stem} ({n}){suffix}"
            n += 1
        target.write_bytes(upload.data)
        paths.append(target)
    return paths


def _relabel(text: object, folder: Path | None) -> object:
    if folder is None or not isinstance(text, str):
        return text
    prefix = str(folder) + "/"
    return text.replace(prefix, "")


def report_frame(result: LoadResult, folder: Path | None = None) -> pd.DataFrame:
    """The problems as a table (file names shown without the upload folder)."""
    rows = [
        {
            "file": _relabel(p.file, folder),
            "row": p.row,
            "column": p.column,
            "value": p.value,
            "problem": _relabel(p.problem, folder),
            "kind": p.kind,
        }
        for p in result.problems
    ]
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return frame


def problems_by_kind(result: LoadResult) -> pd.DataFrame:
    """How many problems of each kind, most frequent first."""
    counts = Counter(p.kind for p in result.problems).most_common()
    return pd.DataFrame(counts, columns=["kind", "problems"])


def notes(result: LoadResult, folder: Path | None = None) -> list[str]:
    """Plain sentences about columns left out and files passed over."""
    out = [
        f"Column '{column}' of {_relabel(file, folder)} is not in the data contract: "
        "it will not be stored."
        for file, column in result.dropped
    ]
    out += [f"Passed over {_relabel(text, folder)}" for text in result.ignored]
    return out


def counts_frame(result: LoadResult) -> pd.DataFrame:
    """Records inserted, updated and unchanged per table after a load."""
    rows = [
        {
            "table": table,
            "new": c.get("inserted", 0),
            "updated": c.get("updated", 0),
            "unchanged": c.get("unchanged", 0),
        }
        for table, c in result.counts.items()
    ]
    return pd.DataFrame(rows, columns=["table", "new", "updated", "unchanged"])


def rows_by_table(result: LoadResult) -> dict[str, int]:
    """Rows read per table from the batch's files."""
    totals: dict[str, int] = {}
    for item in result.files:
        table = str(item.get("table"))
        totals[table] = totals.get(table, 0) + int(str(item.get("rows") or 0))
    return totals

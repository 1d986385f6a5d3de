"""Which files a batch reads: the formats, and the table a file's name stands for.

Apart from readers.py (which imports pandas and pyarrow to read them) so that the load's
fast path can plan a batch without importing either.
"""

from __future__ import annotations

from pathlib import Path

from pipelines import vocabulary as vocab

FORMATS: tuple[str, ...] = (".csv", ".xlsx", ".parquet")


def table_for_name(path: Path) -> str | None:
    """The table a file name stands for: cases.csv, cases_2026-10.csv, CASES.xlsx -> cases."""
    stem = path.stem.lower().strip()
    for table in vocab.RECORD_TABLES:
        if stem == table or (stem.startswith(table) and stem[len(table)] in "_-. "):
            return table
    return None

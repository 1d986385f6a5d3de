"""Writing the sample: plain CSV files, byte-identical for the same arguments."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.sample.generate import generate

if TYPE_CHECKING:
    import pandas as pd


def write(out_dir: Path, n_cases: int, seed: int, as_of: dt.date) -> dict[str, Path]:
    """Write cases.csv, assessments.csv and events.csv into `out_dir`; returns their paths."""
    return {
        name: path for name, (path, _) in write_counted(Path(out_dir), n_cases, seed, as_of).items()
    }


def write_counted(
    out_dir: Path, n_cases: int, seed: int, as_of: dt.date
) -> dict[str, tuple[Path, int]]:
    """Write the three files; returns each one's path and number of rows."""
    frames = generate(n_cases, seed, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, frame in frames.items():
        path = out_dir / f"{name}.csv"
        _write_csv(frame, path)
        written[name] = (path, len(frame))
    return written


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Plain CSV: no quoting (the generator never emits , " or newlines), ISO dates, LF.

    pyarrow's writer is much faster than pandas' and prints floats in their shortest
    round-trip form, so values rounded to 1 or 3 decimals come out as typed (43.2, 0.345).
    Written to a hidden temporary file and renamed, so a crash never leaves half a file.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.date32())
        elif (
            pa.types.is_string(column.type)
            and pc.any(pc.match_substring_regex(column, '[,"\r\n]')).as_py()
        ):
            raise ValueError(f"{name}: a value would need CSV quoting")
        columns.append(column)
    table = pa.table(columns, names=table.column_names)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write((",".join(table.column_names) + "\n").encode("utf-8"))
            pacsv.write_csv(
                table, out, pacsv.WriteOptions(include_header=False, quoting_style="none")
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

"""Find the table files in the paths given and read each into a frame of text.

Every cell is read as text here, whatever the format, so one set of parsing rules
(`parsing.py`) applies to CSV, .xlsx and .parquet alike. Each frame's index is the row
number a spreadsheet shows (header = row 1), so a problem can point at the right row.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines import problems as P
from pipelines.problems import Problem

TABLES: tuple[str, ...] = ("cases", "assessments", "events")
FORMATS: tuple[str, ...] = (".csv", ".xlsx", ".parquet")


@dataclass
class TableFile:
    """One table read from one file (or one workbook sheet), all cells as text."""

    table: str
    label: str  # what the report calls it: the path, plus [sheet] for a workbook
    path: Path
    sha256: str
    frame: pd.DataFrame  # index: spreadsheet row numbers


@dataclass
class Batch:
    """What a set of paths holds: table files, files passed over, and file-level problems."""

    files: list[TableFile] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # "path: why"
    problems: list[Problem] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)  # path -> sha256, every file read

    def tables(self) -> set[str]:
        return {f.table for f in self.files}


def table_for_name(path: Path) -> str | None:
    """The table a file name stands for: cases.csv, cases_2026-10.csv, CASES.xlsx -> cases."""
    stem = path.stem.lower().strip()
    for table in TABLES:
        if stem == table or (stem.startswith(table) and stem[len(table)] in "_-. "):
            return table
    return None


def read_paths(paths: Iterable[Path]) -> Batch:
    """Read every table file among `paths` (files or folders, not recursive)."""
    batch = Batch()
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and not child.name.startswith("."):
                    _read_file(child, batch, explicit=False)
        elif path.is_file():
            _read_file(path, batch, explicit=True)
        else:
            batch.problems.append(
                Problem(str(path), None, None, None, "no such file or folder", P.FILE)
            )
    if not batch.files and not batch.problems:
        where = ", ".join(str(p) for p in paths)
        batch.problems.append(
            Problem(
                where,
                None,
                None,
                None,
                "no recognised table file: name files cases, assessments or events "
                "with the ending .csv, .xlsx or .parquet",
                P.FILE,
            )
        )
    return batch


def _read_file(path: Path, batch: Batch, *, explicit: bool) -> None:
    suffix = path.suffix.lower()
    table = table_for_name(path)
    if suffix not in FORMATS or path.name.startswith("~$"):
        _pass_over(path, batch, explicit, "not a .csv, .xlsx or .parquet file")
        return
    if table is None and suffix != ".xlsx":
        _pass_over(path, batch, explicit, "its name is not cases, assessments or events")
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        batch.problems.append(
            Problem(str(path), None, None, None, f"cannot be read: {exc.strerror}", P.FILE)
        )
        return
    if not data:
        batch.problems.append(
            Problem(str(path), None, None, None, "the file is empty (0 bytes)", P.FILE)
        )
        return
    batch.file_hashes[str(path)] = hashlib.sha256(data).hexdigest()
    try:
        if suffix == ".csv":
            frames = [(table, str(path), _read_csv(data))]
        elif suffix == ".parquet":
            frames = [(table, str(path), _read_parquet(data))]
        else:
            frames = _read_workbook(path, data, table)
            if not frames:
                _pass_over(path, batch, explicit, "no sheet named cases, assessments or events")
                return
    except _Unreadable as exc:
        batch.problems.append(Problem(str(path), None, None, None, str(exc), P.FILE))
        return
    for tbl, label, frame in frames:
        dup = frame.columns[frame.columns.duplicated()].tolist()
        if dup:
            batch.problems.append(
                Problem(
                    label,
                    1,
                    dup[0],
                    None,
                    f"the column {dup[0]} appears more than once in the header",
                    P.FILE,
                )
            )
            continue
        batch.files.append(TableFile(tbl, label, path, batch.file_hashes[str(path)], frame))


def _pass_over(path: Path, batch: Batch, explicit: bool, why: str) -> None:
    if explicit:  # named on the command line: the user meant it, so it is an error
        batch.problems.append(
            Problem(str(path), None, None, None, f"not recognised: {why}", P.FILE)
        )
    else:
        batch.ignored.append(f"{path}: {why}")


_NOT_UTF8 = "the file is not UTF-8 text: save it as 'CSV UTF-8 (comma delimited)'"


class _Unreadable(Exception):
    """A file that is not a readable table; the message is for the report."""


def _normalise_header(names: Iterable[object]) -> list[str]:
    return [str(n).strip().lower() if n is not None else "" for n in names]


def _read_csv(data: bytes) -> pd.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise _Unreadable("the file has no header row")
    # pyarrow skips blank lines, which would shift row numbers; the slower pandas
    # reader keeps them as empty rows, so use it only when a file has blank lines.
    if b"\n\n" in data or b"\n\r\n" in data:
        return _read_csv_with_blank_lines(data)
    first_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = next(csv.reader([first_line.decode("utf-8")]))
    except UnicodeDecodeError:
        raise _Unreadable(_NOT_UTF8) from None
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},  # every cell as text
                strings_can_be_null=False,
                auto_dict_encode=False,
            ),
            # Quoted line breaks need the slower serial parse; most exports have none.
            parse_options=pacsv.ParseOptions(newlines_in_values=b'"' in data),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _Unreadable(_csv_error(exc)) from None
    return _text_frame(table)


def _csv_error(exc: Exception) -> str:
    msg = str(exc)
    if "UTF8" in msg or "UTF-8" in msg or "utf8" in msg:
        return _NOT_UTF8
    if "Expected" in msg and "columns" in msg:
        first = msg.splitlines()[0].replace("CSV parse error: ", "")
        return f"not a comma-separated table: {first}"
    return f"cannot be read as a comma-separated table: {msg.splitlines()[0]}"


def _read_csv_with_blank_lines(data: bytes) -> pd.DataFrame:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unreadable(_NOT_UTF8) from None
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise _Unreadable(f"not a comma-separated table: {str(exc).strip()}") from None
    frame.columns = _normalise_header(frame.columns)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame[(frame != "").any(axis=1)]


def _text_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow table -> pandas frame of text cells, indexed by spreadsheet row."""
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        columns[name] = _as_text(column)
    # Arrow-backed text columns: no Python string objects until a value is reported.
    frame = pd.DataFrame(
        {i: pd.Series(pd.arrays.ArrowExtensionArray(col)) for i, col in enumerate(columns.values())}
    )
    frame.columns = _normalise_header(columns.keys())
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return column
    if pa.types.is_timestamp(t):
        # A real date stored as a midnight timestamp reads as that date; anything with a
        # time of day stays as written and is reported as not a date.
        midnight = pc.all(pc.equal(pc.cast(pc.cast(column, pa.date32()), t), column)).as_py()
        if midnight is not False:
            return pc.cast(pc.cast(column, pa.date32()), pa.string())
    if pa.types.is_null(t):
        return pa.chunked_array([pa.nulls(len(column), pa.string())])
    return pc.cast(column, pa.string())


def _read_parquet(data: bytes) -> pd.DataFrame:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise _Unreadable(f"cannot be read as a Parquet file: {str(exc).splitlines()[0]}") from None
    return _text_frame(table)


def _read_workbook(
    path: Path, data: bytes, table: str | None
) -> list[tuple[str, str, pd.DataFrame]]:
    import openpyxl  # only workbooks need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise _Unreadable(f"cannot be read as an .xlsx workbook ({type(exc).__name__})") from None
    try:
        by_name = {ws.title.strip().lower(): ws for ws in book.worksheets}
        found = [(t, by_name[t]) for t in TABLES if t in by_name]
        if table is not None:
            # One workbook per table: its own sheet if named so, else the first sheet.
            ws = by_name.get(table, book.worksheets[0])
            found = [(table, ws)]
        return [(t, f"{path}[{ws.title}]", _sheet_frame(ws)) for t, ws in found]
    finally:
        book.close()


def _sheet_frame(ws) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    index: list[int] = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        if not any(c not in (None, "") for c in cells):
            continue  # blank row: skipped, later rows keep their own numbers
        if header is None:
            header = _normalise_header(cells)
            while header and header[-1] == "":
                header.pop()
            continue
        rows.append(cells[: len(header)] + [None] * (len(header) - len(cells)))
        index.append(number)
    if header is None:
        raise _Unreadable(f"the sheet {ws.title!r} has no header row")
    return pd.DataFrame(rows, columns=header, index=pd.Index(index, dtype="int64"), dtype=object)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

"""Find the table files in the paths given and read each into a frame of text.

Every cell is read as text here, whatever the format, so one set of parsing rules
(`parsing.py`) applies to CSV, .xlsx and .parquet alike. Each frame's index is the row
number a spreadsheet shows (header = row 1), so a problem can point at the right row.

Over 300 lines, on purpose: the three formats' readers share the header rules, the
row numbering and the refusal messages defined here; split by format, each would import
most of the others' helpers.
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines import limits as L
from pipelines import problems as P
from pipelines import vocabulary as vocab
from pipelines.filenames import FORMATS, table_for_name  # re-exported
from pipelines.problems import Problem

TABLES: tuple[str, ...] = vocab.RECORD_TABLES  # the contract's tables, named once


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
    # Tables with a file that could not be used: rules that need the whole table (a case
    # must exist) are not checked against them, since they would only echo that failure.
    incomplete: set[str] = field(default_factory=set)

    def tables(self) -> set[str]:
        return {f.table for f in self.files}


def read_paths(paths: Iterable[Path], limits: L.Limits | None = None) -> Batch:
    """Read every table file among `paths` (files or folders, not recursive).

    A symbolic link is never followed (named, never read) and every file passes the
    checks of limits.py before a byte of it is parsed (issue 10).
    """
    limits = limits or L.Limits()
    paths = list(paths)
    batch = Batch()
    for path in paths:
        if path.is_symlink():
            _refuse(path, batch, L.check_path(path, limits), set(TABLES))
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.startswith("."):
                    continue
                if child.is_symlink():  # before is_file, which follows the link
                    if child.suffix.lower() in FORMATS:
                        _refuse(child, batch, L.check_path(child, limits), set(TABLES))
                    else:
                        batch.ignored.append(f"{child}: a symbolic link (not followed)")
                elif child.is_file():
                    _read_file(child, batch, explicit=False, limits=limits)
                else:
                    batch.ignored.append(f"{child}: a folder (folders are not searched)")
        elif path.is_file():
            _read_file(path, batch, explicit=True, limits=limits)
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


def _refuse(path: Path, batch: Batch, refusal: L.Refusal | None, unusable: set[str]) -> None:
    """A file refused before parsing: one plain-words problem, the table marked unusable."""
    if refusal is None:
        return
    batch.problems.append(Problem(str(path), None, None, None, refusal.message, P.FILE))
    batch.incomplete |= unusable


def _read_file(path: Path, batch: Batch, *, explicit: bool, limits: L.Limits) -> None:
    suffix = path.suffix.lower()
    table = table_for_name(path)
    if suffix not in FORMATS or path.name.startswith("~$"):
        _pass_over(path, batch, explicit, "not a .csv, .xlsx or .parquet file")
        return
    if table is None and suffix != ".xlsx":
        _pass_over(path, batch, explicit, "its name is not cases, assessments or events")
        return
    unusable = {table} if table else set(TABLES)
    # bounded reads only, nothing parsed yet; an empty file gets its own words below
    refusal = L.check_path(path, limits)
    if refusal is None and path.stat().st_size > 0:
        refusal = L.check_file(path, limits)
        if refusal is not None:  # a regular file within the size limit: logged by hash
            with open(path, "rb") as fh:
                batch.file_hashes[str(path)] = hashlib.file_digest(fh, "sha256").hexdigest()
    if refusal is not None:
        _refuse(path, batch, refusal, unusable)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        batch.problems.append(
            Problem(str(path), None, None, None, f"cannot be read: {exc.strerror}", P.FILE)
        )
        batch.incomplete |= unusable
        return
    # Hash while the file is parsed: hashlib and Arrow's reader both release the GIL.
    digest = _HASHER.submit(lambda: hashlib.sha256(data).hexdigest())
    try:
        _parse_file(path, data, suffix, table, batch, explicit=explicit)
    finally:
        batch.file_hashes[str(path)] = digest.result()
    for tf in batch.files:
        if tf.path == path:
            tf.sha256 = batch.file_hashes[str(path)]


_HASHER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


def _parse_file(
    path: Path, data: bytes, suffix: str, table: str | None, batch: Batch, *, explicit: bool
) -> None:
    unusable = {table} if table else set(TABLES)
    if not data:
        batch.problems.append(
            Problem(str(path), None, None, None, "the file is empty (0 bytes)", P.FILE)
        )
        batch.incomplete |= unusable
        return
    frames: list[tuple[str, str, pd.DataFrame]]
    try:
        if suffix in (".csv", ".parquet"):
            assert table is not None  # a CSV or Parquet file without a table name is passed over
            read = _read_csv if suffix == ".csv" else _read_parquet
            frames = [(table, str(path), read(data, _contract(table)))]
        else:
            frames = _read_workbook(path, data, table, batch)
            if not frames:
                _pass_over(path, batch, explicit, "no sheet named cases, assessments or events")
                return
    except _Unreadable as exc:
        batch.problems.append(Problem(str(path), None, None, None, str(exc), P.FILE, exc.rule))
        batch.incomplete |= unusable
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
            batch.incomplete.add(tbl)
            continue
        batch.files.append(TableFile(tbl, label, path, "", frame))  # sha256 set by the caller


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

    def __init__(self, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule  # the message without any cell text, where it quotes some


def _contract(table: str | None) -> frozenset[str]:
    from pipelines.schemas import MODELS  # pandera models: the columns worth reading

    return frozenset(MODELS[table].to_schema().columns) if table else frozenset()


def _normalise_header(names: Iterable[object]) -> list[str]:
    """Trimmed lower-case names; an empty name becomes '(unnamed column N)'."""
    out = []
    for i, n in enumerate(names, start=1):
        name = str(n).strip().lower() if n is not None else ""
        out.append(name or f"(unnamed column {i})")
    return out


def _read_csv(data: bytes, keep: frozenset[str]) -> pd.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise _Unreadable("the file has no header row")
    try:
        text_head = data[:65536].decode(
            "utf-8", errors="strict" if len(data) <= 65536 else "ignore"
        )
        header = next(csv.reader(io.StringIO(re.split(r"\r\n|\r|\n", text_head, maxsplit=1)[0])))
    except UnicodeDecodeError:
        raise _Unreadable(_NOT_UTF8) from None
    except (csv.Error, StopIteration):
        raise _Unreadable("the header row cannot be read as comma-separated names") from None
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        sep = "';'" if ";" in header[0] else "tabs"
        raise _Unreadable(
            f"the cells are separated by {sep}, not commas: save the file as "
            "'CSV UTF-8 (comma delimited)'"
        )
    # pyarrow skips blank lines, which would shift row numbers: a file with blank lines
    # is read by the (slower) csv module, which counts lines as a spreadsheet does.
    if _has_blank_line(data):
        return _read_csv_with_blank_lines(data, keep)
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
        message, rule = _csv_error(exc)
        raise _Unreadable(message, rule) from None
    return _text_frame(table, keep)


# a CR right before an LF is half of one CRLF line end, not a line end of its own
_BLANK_LINE = re.compile(rb"(\r\n|\r(?!\n)|\n)[ \t]*(\r\n|\r|\n)")


def _has_blank_line(data: bytes) -> bool:
    """Whether a line holds nothing but spaces or tabs (or nothing at all).

    The regex alone took 2.5 s over a million cases' assessments (it tries every byte),
    and it took every CRLF file for one with blank lines (read by the slow path);
    `bytes.find` runs at memory speed. Two line ends in a row are "\\n\\n", "\\n\\r" or
    "\\r\\r" ("\\r\\n" is one line end); a line of spaces or tabs starts with a line end
    and a space or tab, which a CSV line rarely does, so only then is the regex asked.
    """
    if any(pair in data for pair in (b"\n\n", b"\n\r", b"\r\r")):
        return True
    if not any(start in data for start in (b"\n ", b"\n\t", b"\r ", b"\r\t")):
        return False
    return _BLANK_LINE.search(data) is not None


def _csv_error(exc: Exception) -> tuple[str, str | None]:
    """The report's words for a CSV the parser refused, and the same without cell text."""
    msg = str(exc).splitlines()[0]
    if "UTF8" in msg or "UTF-8" in msg or "utf8" in msg:
        return _NOT_UTF8, None
    counts = re.search(r"Expected (\d+) columns, got (\d+)", msg)
    if counts:
        words = (
            f"not a comma-separated table: a row has {counts[2]} cells where the header has "
            f"{counts[1]}"
        )
        return f"{words} ({msg.split(': ', 2)[-1][:120]})", words
    return f"cannot be read as a comma-separated table: {msg}", "cannot be read as a table"


def _read_csv_with_blank_lines(data: bytes, keep: frozenset[str]) -> pd.DataFrame:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unreadable(_NOT_UTF8) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    index: list[int] = []
    header: list[str] | None = None
    try:
        for record in reader:
            if not any(cell.strip() for cell in record) and len(record) <= 1:
                continue  # a blank line: skipped, later rows keep their line numbers
            if header is None:
                header = _normalise_header(record)
                continue
            if len(record) != len(header):
                words = (
                    f"not a comma-separated table: row {reader.line_num} has {len(record)} cells "
                    f"where the header has {len(header)}"
                )
                raise _Unreadable(words, words)
            rows.append(record)
            index.append(reader.line_num)
    except csv.Error as exc:
        raise _Unreadable(f"cannot be read as a comma-separated table: {exc}") from None
    if header is None:
        raise _Unreadable("the file has no header row")
    columns = [pa.array([r[i] for r in rows], pa.string()) for i in range(len(header))]
    return _frame(header, columns, pd.Index(index, dtype="int64"), keep)


def _text_frame(table: pa.Table, keep: frozenset[str]) -> pd.DataFrame:
    """Arrow table -> pandas frame of text cells, indexed by spreadsheet row."""
    names = _normalise_header(table.column_names)
    return _frame(names, list(table.columns), pd.RangeIndex(2, table.num_rows + 2), keep)


def _frame(
    names: list[str],
    columns: list[pa.Array] | list[pa.ChunkedArray],
    index: pd.Index,
    keep: frozenset[str],
) -> pd.DataFrame:
    """Columns as Arrow-backed text (no Python string objects until a value is reported).

    Columns outside the contract are never read: they come out empty, to be named as
    dropped, so a nested or binary column there cannot break the load.
    """
    texts = []
    for name, column in zip(names, columns, strict=True):
        if name not in keep:
            texts.append(pa.nulls(len(index), pa.string()))
            continue
        try:
            texts.append(_as_text(column))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            raise _Unreadable(
                f"the column {name} holds {column.type} values, which cannot be read as text"
            ) from None
    frame = pd.DataFrame(
        {i: pd.Series(pd.arrays.ArrowExtensionArray(col)) for i, col in enumerate(texts)}
    )
    frame.columns = names  # a list keeps duplicate names, reported by the caller
    frame.index = index
    return frame


def _as_text(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return column
    if pa.types.is_timestamp(t):
        # A real date stored as a midnight timestamp reads as that date, in the writer's
        # own time zone; a value with a time of day stays as written, reported as not a date.
        local = pc.local_timestamp(column) if t.tz else column
        day = pc.cast(local, pa.date32(), safe=False)
        midnight = pc.equal(pc.cast(day, pa.timestamp(t.unit)), local)
        return pc.if_else(midnight, pc.cast(day, pa.string()), pc.cast(local, pa.string()))
    if pa.types.is_null(t):
        return pa.nulls(len(column), pa.string())
    return pc.cast(column, pa.string())


def _read_parquet(data: bytes, keep: frozenset[str]) -> pd.DataFrame:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise _Unreadable(f"cannot be read as a Parquet file: {str(exc).splitlines()[0]}") from None
    _check_header(table.column_names)
    return _text_frame(table, keep)


def _check_header(cells: list[Any]) -> None:
    """Refuse a first row of data ("no header row"), before any of it is kept as a name."""
    refusal = L.check_header(cells, file="the file")
    if refusal is not None:
        words = refusal.message.removeprefix("the file: ")
        raise _Unreadable(words, words)


def _read_workbook(
    path: Path, data: bytes, table: str | None, batch: Batch
) -> list[tuple[str, str, pd.DataFrame]]:
    import openpyxl  # only workbooks need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise _Unreadable(f"cannot be read as an .xlsx workbook ({type(exc).__name__})") from None
    try:
        named = {ws.title.strip().lower(): ws for ws in book.worksheets}
        found = [(t, named[t]) for t in TABLES if t in named]
        if not found and table is not None:
            found = [(table, book.worksheets[0])]  # one workbook per table: its first sheet
        used = {id(ws) for _, ws in found}
        if found:
            batch.ignored.extend(
                f"{path}[{ws.title}]: a sheet not named cases, assessments or events"
                for ws in book.worksheets
                if id(ws) not in used
            )
        return [(t, f"{path}[{ws.title}]", _sheet_frame(ws, _contract(t))) for t, ws in found]
    finally:
        book.close()


def _sheet_frame(ws: Any, keep: frozenset[str]) -> pd.DataFrame:
    ws.reset_dimensions()  # a stale size record would otherwise cut rows off, silently
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    index: list[int] = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        if not any(c not in (None, "") for c in cells):
            continue  # blank row: skipped, later rows keep their own numbers
        if header is None:
            _check_header(cells)
            header = _normalise_header(cells)
            while header and header[-1] == "":
                header.pop()
            continue
        rows.append(cells[: len(header)] + [None] * (len(header) - len(cells)))
        index.append(number)
    if header is None:
        raise _Unreadable(f"the sheet {ws.title!r} has no header row")
    columns = [pa.array([r[i] for r in rows], pa.string()) for i in range(len(header))]
    return _frame(header, columns, pd.Index(index, dtype="int64"), keep)


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

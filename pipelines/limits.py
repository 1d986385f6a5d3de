"""Checks that refuse a hostile or mistaken input file before it is parsed (issue 10).

Each check reads at most a bounded prefix, the zip directory, or one linear streaming pass
with memory bounded by the number of distinct rows, and returns a plain-words
`Refusal` (or None when the file passes). They never quote cell text: a message names
the file, a count or a position, and only column names that match the contract's naming
pattern. `check_file` runs them in order; every limit is a field of `Limits`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import stat
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MB = 1024 * 1024
# Contract column names: lower-case words joined by underscores (case_id, odi, eq5d).
COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_NUMBER_OR_DATE = re.compile(r"^[-+]?\d[\d.,:/ -]*$")
_SNIFF_BYTES = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?row>)", re.DOTALL)
_CELL_REF = re.compile(rb'\sr="[A-Z]*\d+"')


@dataclass(frozen=True)
class Limits:
    """What an input may hold; defaults fit a large clinic's export."""

    max_file_bytes: int = 200 * MB
    max_rows: int = 1_000_000
    max_columns: int = 200
    max_xlsx_uncompressed_bytes: int = 1024 * MB
    max_compression_ratio: float = 100.0
    # more copies than this of one identical row is refused as a repeated-row file
    max_identical_rows: int = 1_000


@dataclass(frozen=True)
class Refusal:
    """Why a file is refused: a short kind and a message for people."""

    kind: str
    message: str


def check_path(path: Path, limits: Limits = Limits()) -> Refusal | None:
    """A regular file, not a symbolic link, within the size limit."""
    try:
        info = os.lstat(path)  # lstat: never follows a link, so a target is never read
    except OSError as exc:
        return Refusal("unreadable", f"{path.name}: cannot be read ({exc.strerror})")
    if stat.S_ISLNK(info.st_mode):
        return Refusal("symlink", f"{path.name} is a symbolic link; give the file itself")
    if not stat.S_ISREG(info.st_mode):
        return Refusal("not_a_file", f"{path.name} is not a regular file")
    if info.st_size > limits.max_file_bytes:
        return Refusal(
            "too_large",
            f"{path.name} is {info.st_size / MB:.0f} MB; the limit is "
            f"{limits.max_file_bytes / MB:.0f} MB",
        )
    return None


def sniff(path: Path) -> Refusal | None:
    """Refuse a file whose first bytes do not fit its extension (UTF-16, binary, wrong kind)."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _sniff_csv(path.name, head)
    if suffix == ".xlsx" and not head.startswith(_ZIP_MAGIC):
        return Refusal("not_a_table", f"{path.name} is not a table file (not an .xlsx workbook)")
    if suffix == ".parquet" and not head.startswith(b"PAR1"):
        return Refusal("not_a_table", f"{path.name} is not a table file (not a Parquet file)")
    return None


def _sniff_csv(name: str, head: bytes) -> Refusal | None:
    if head.startswith((_ZIP_MAGIC, b"PAR1", b"%PDF", b"\x89PNG", b"\xd0\xcf\x11\xe0")):
        return Refusal("not_a_table", f"{name} is not a table file (binary content)")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(head):
        return Refusal(
            "not_utf8",
            f"{name} is not a UTF-8 CSV (it is UTF-16 text): save it as 'CSV UTF-8'",
        )
    if b"\x00" in head:
        return Refusal("not_a_table", f"{name} is not a table file (binary content)")
    try:
        # the prefix may end inside a multi-byte character: decode incrementally
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return Refusal("not_utf8", f"{name} is not a UTF-8 CSV: save it as 'CSV UTF-8'")
    return None


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: text in Latin script has a NUL in every other byte."""
    sample = head[:4096]
    if len(sample) < 16:
        return False
    even, odd = sample[0::2], sample[1::2]
    share_even, share_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    return (share_odd > 0.9 and share_even < 0.1) or (share_even > 0.9 and share_odd < 0.1)


def check_xlsx(path: Path, limits: Limits = Limits()) -> Refusal | None:
    """From the zip directory: uncompressed size and ratio; then each sheet's dimension.

    The directory is read first, so a bomb is refused before any part is inflated. A
    sheet is then streamed once to count its rows against its declared dimension.
    """
    name = path.name
    try:
        with zipfile.ZipFile(path) as book:
            entries = book.infolist()
            total = sum(e.file_size for e in entries)
            if total > limits.max_xlsx_uncompressed_bytes:
                return Refusal(
                    "too_large",
                    f"{name} would expand to {total / MB:.0f} MB; the limit is "
                    f"{limits.max_xlsx_uncompressed_bytes / MB:.0f} MB",
                )
            for e in entries:
                ratio = e.file_size / max(e.compress_size, 1)
                if e.file_size > MB and ratio > limits.max_compression_ratio:
                    return Refusal(
                        "zip_bomb",
                        f"{name}: a part is compressed {ratio:.0f} to 1 (limit "
                        f"{limits.max_compression_ratio:.0f}); it looks like a zip bomb",
                    )
            for e in entries:
                if e.filename.startswith("xl/worksheets/") and e.filename.endswith(".xml"):
                    with book.open(e) as sheet:
                        problem = _check_sheet(name, e.filename, sheet, limits)
                    if problem:
                        return problem
    except zipfile.BadZipFile:
        return Refusal("not_a_table", f"{name} is not a table file (damaged .xlsx workbook)")
    return None


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _check_sheet(name: str, part: str, sheet: IO[bytes], limits: Limits) -> Refusal | None:
    """Stream one sheet's XML: declared dimension, row count, identical rows."""
    sheet_name = part.rsplit("/", 1)[-1].removesuffix(".xml")
    declared: tuple[int, int] | None = None
    rows = 0
    copies: Counter[bytes] = Counter()
    buffer = b""
    while chunk := sheet.read(MB):
        buffer += chunk
        if declared is None and (m := _DIMENSION.search(buffer)):
            end = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
            declared = (int(end[1]), _column_number(end[0]))
            if declared[0] > limits.max_rows + 1 or declared[1] > limits.max_columns:
                return Refusal(
                    "too_many",
                    f"{name}, {sheet_name}: declares {declared[0]:,} rows and {declared[1]} "
                    f"columns; the limits are {limits.max_rows:,} rows and "
                    f"{limits.max_columns} columns",
                )
        # only whole rows are read; the rest waits for the next chunk
        cut = buffer.rfind(b"</row>")
        if cut < 0:
            if len(buffer) > 16 * MB:
                return Refusal("too_large", f"{name}, {sheet_name}: a row larger than 16 MB")
            continue
        whole, buffer = buffer[: cut + 6], buffer[cut + 6 :]
        rows, problem = _count_rows(whole, rows, copies, f"{name}, {sheet_name}", limits)
        if problem:
            return problem
    rows, problem = _count_rows(buffer, rows, copies, f"{name}, {sheet_name}", limits)
    if problem:
        return problem
    if declared is not None and declared[0] > 1 and rows > declared[0]:
        return Refusal(
            "dimension_mismatch",
            f"{name}, {sheet_name}: the sheet says it ends at row {declared[0]:,} but holds "
            f"{rows:,} rows; save it again from the spreadsheet program",
        )
    return None


def _count_rows(
    xml: bytes, rows: int, copies: Counter[bytes], where: str, limits: Limits
) -> tuple[int, Refusal | None]:
    """Rows in a run of whole <row> elements; refuse too many, or too many identical."""
    for row in _ROW.finditer(xml):
        rows += 1
        if rows > limits.max_rows + 1:
            return rows, Refusal("too_many", f"{where}: more than {limits.max_rows:,} rows")
        if row.group(1):
            # cell references (r="B7") differ between copies; the content does not
            content = _CELL_REF.sub(b"", row.group(1))
            digest = hashlib.blake2b(content, digest_size=16).digest()
            copies[digest] += 1
            if copies[digest] > limits.max_identical_rows:
                return rows, Refusal(
                    "repeated_rows",
                    f"{where}: the same row appears more than {limits.max_identical_rows:,} "
                    f"times (passed at row {rows:,}); check the export",
                )
    return rows, None


def check_header(cells: Sequence[object], *, file: str = "the file") -> Refusal | None:
    """Refuse a first row that looks like data (a number, a date, an e-mail) as "no header row"."""
    texts = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    if not texts:
        return Refusal("no_header", f"{file}: no header row (the first row is empty)")
    data_like = [t for t in texts if _NUMBER_OR_DATE.match(t) or "@" in t]
    named = [t for t in texts if COLUMN_NAME.match(_normalise(t))]
    if data_like or len(named) * 2 < len(texts):
        return Refusal(
            "no_header",
            f"{file}: no header row: the first row looks like data, not column names "
            f"(e.g. case_id, clinic, treatment_date)",
        )
    return None


def _normalise(name: str) -> str:
    # as the readers normalise a header: trimmed, lower case (a space stays a space)
    return name.strip().lower()


def recordable_column_names(names: Iterable[object]) -> list[str]:
    """Column names safe to record (e.g. as dropped columns): contract-shaped names only.

    Anything else becomes "(column N)", so cell text that landed in a header is never kept.
    """
    out = []
    for i, n in enumerate(names, start=1):
        text = _normalise(str(n)) if n is not None else ""
        out.append(text if COLUMN_NAME.match(text) else f"(column {i})")
    return out


def check_csv(path: Path, limits: Limits = Limits()) -> Refusal | None:
    """One streaming pass: header, column and row limits, and repeated identical rows.

    Rows are compared by a 16-byte digest, so memory grows with the number of distinct
    rows and time with the file, never with rows x rows.
    """
    name = path.name
    copies: Counter[bytes] = Counter()
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return Refusal("empty", f"{name} is empty")
        if len(header) > limits.max_columns:
            return Refusal(
                "too_many",
                f"{name}: {len(header)} columns; the limit is {limits.max_columns}",
            )
        problem = check_header(header, file=name)
        if problem:
            return problem
        for n, row in enumerate(reader, start=1):
            if n > limits.max_rows:
                return Refusal("too_many", f"{name}: more than {limits.max_rows:,} rows")
            if not any(cell.strip() for cell in row):
                continue  # blank lines are the reader's business
            digest = hashlib.blake2b("\x1f".join(row).encode(), digest_size=16).digest()
            copies[digest] += 1
            if copies[digest] > limits.max_identical_rows:
                return Refusal(
                    "repeated_rows",
                    f"{name}: the same row appears more than {limits.max_identical_rows:,} "
                    f"times (passed at line {n + 1:,}); check the export",
                )
    return None


def check_file(path: Path, limits: Limits = Limits()) -> Refusal | None:
    """Every check that fits the file's kind, cheapest first; None when it may be parsed."""
    for check in (check_path, lambda p, _: sniff(p)):
        problem = check(path, limits)
        if problem:
            return problem
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return check_xlsx(path, limits)
    if suffix == ".csv":
        return check_csv(path, limits)
    return None

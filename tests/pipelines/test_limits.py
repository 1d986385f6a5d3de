"""Hostile and mistaken input files refused before parsing (issue 10, point 5).

Every file here is crafted in the test: a zip bomb, a workbook whose declared size lies,
UTF-16 and binary files, a symlink, rows without a header, thousands of identical rows.
Memory is measured with tracemalloc (never wall-clock time).
"""

from __future__ import annotations

import os
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipelines.limits import (
    Limits,
    check_csv,
    check_file,
    check_header,
    check_path,
    check_xlsx,
    recordable_column_names,
    sniff,
)

ROOT = Path(__file__).resolve().parents[2]
HEADER = "case_id,clinic,physician,treatment_date\n"
ROW = "C000001,North,Dr Ana,2024-01-02\n"


def _csv(tmp_path: Path, text: str, name: str = "cases.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _sheet_xml(rows: int, dimension: str | None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x{r}</t></is></c></row>'
        for r in range(1, rows + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def _xlsx(tmp_path: Path, sheet: bytes) -> Path:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


@pytest.mark.parametrize("name", ["cases.csv", "assessments.csv", "events.csv"])
def test_the_sample_files_pass(name: str) -> None:
    assert check_file(ROOT / "data" / "sample" / name) is None


def test_a_real_workbook_passes(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "cases"
    sheet.append(["case_id", "clinic"])
    for i in range(50):
        sheet.append([f"C{i:06d}", "North"])
    path = tmp_path / "clinic.xlsx"
    book.save(path)
    assert check_file(path) is None


def test_a_symlink_is_refused_without_reading_its_target(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_text("patient Jane Doe, 1970-01-01\n")
    link = tmp_path / "cases.csv"
    link.symlink_to(target)
    problem = check_file(link)
    assert problem is not None
    assert problem.kind == "symlink"
    assert "Jane" not in problem.message
    assert "secret" not in problem.message  # the target is not named either


def test_size_limit(tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + ROW)
    problem = check_path(path, Limits(max_file_bytes=10))
    assert problem is not None
    assert problem.kind == "too_large"
    assert check_path(path) is None
    assert check_path(tmp_path).kind == "not_a_file"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "kind", "words"),
    [
        ((HEADER + ROW).encode("utf-16"), "not_utf8", "not a UTF-8 CSV"),  # with a BOM
        ((HEADER + ROW * 50).encode("utf-16-le"), "not_utf8", "not a UTF-8 CSV"),  # without
        ((HEADER + "C1,Zürich\n").encode("latin-1"), "not_utf8", "not a UTF-8 CSV"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "not_a_table", "not a table file"),
        (b"\x01\x02\x00\x03" * 500, "not_a_table", "not a table file"),
        (b"PK\x03\x04" + b"\x00" * 100, "not_a_table", "not a table file"),  # a zip named .csv
    ],
)
def test_csv_that_is_not_utf8_text(tmp_path: Path, content: bytes, kind: str, words: str) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(content)
    problem = sniff(path)
    assert problem is not None
    assert problem.kind == kind
    assert words in problem.message
    assert "\x00" not in problem.message


def test_a_multibyte_character_cut_by_the_sniff_window_is_fine(tmp_path: Path) -> None:
    # 'é' is two bytes; put its first byte at the very end of the 64 KiB prefix
    text = HEADER + "x" * (64 * 1024 - len(HEADER) - 1) + "é\n"
    assert sniff(_csv(tmp_path, text)) is None


def test_xlsx_and_parquet_must_be_what_they_say(tmp_path: Path) -> None:
    for name in ("cases.xlsx", "cases.parquet"):
        path = tmp_path / name
        path.write_text(HEADER + ROW)
        problem = check_file(path)
        assert problem is not None
        assert problem.kind == "not_a_table"


def test_a_zip_bomb_is_refused_from_the_directory(tmp_path: Path) -> None:
    # 200 MB of one byte compresses to about 200 KB: the bomb in miniature
    path = tmp_path / "bomb.xlsx"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book,
        book.open("xl/worksheets/sheet1.xml", "w") as part,
    ):
        block = b"<" * (1024 * 1024)
        for _ in range(200):
            part.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        problem = check_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem is not None
    assert problem.kind == "zip_bomb"
    assert peak < 5 * 1024 * 1024  # refused without inflating the 200 MB
    capped = check_xlsx(path, Limits(max_xlsx_uncompressed_bytes=100 * 1024 * 1024))
    assert capped is not None
    assert capped.kind == "too_large"
    assert "expand to 200 MB" in capped.message


def test_a_sheet_that_holds_more_rows_than_it_declares(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, _sheet_xml(rows=40, dimension="A1:A3"))
    problem = check_xlsx(path)
    assert problem is not None
    assert problem.kind == "dimension_mismatch"
    assert "ends at row 3 but holds 40 rows" in problem.message
    assert check_xlsx(_xlsx(tmp_path, _sheet_xml(rows=40, dimension="A1:A40"))) is None


def test_a_declared_dimension_over_the_limits(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, _sheet_xml(rows=2, dimension="A1:XFD2000000"))
    problem = check_xlsx(path)
    assert problem is not None
    assert problem.kind == "too_many"
    assert "2,000,000 rows and 16384 columns" in problem.message


def test_rows_are_counted_when_no_dimension_is_declared(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, _sheet_xml(rows=30, dimension=None))
    problem = check_xlsx(path, Limits(max_rows=20))
    assert problem is not None
    assert "more than 20 rows" in problem.message


@pytest.mark.parametrize(
    "first_row",
    [
        ["C000001", "North", "Dr Ana", "2024-01-02"],  # a date
        ["Ana Silva", "ana@clinic.example", "North"],  # an e-mail
        ["P1", "34", "27.5"],  # numbers
        ["", " ", ""],  # empty
    ],
)
def test_no_header_row(first_row: list[str]) -> None:
    problem = check_header(first_row, file="cases.csv")
    assert problem is not None
    assert problem.kind == "no_header"
    assert "no header row" in problem.message
    for cell in first_row:  # the cells are never quoted back
        if cell.strip():
            assert cell not in problem.message


def test_a_header_row_passes() -> None:
    assert check_header(["case_id", "Clinic", " physician ", "eq5d"]) is None


def test_only_contract_shaped_names_are_recorded() -> None:
    names = ["case_id", "Ana Silva", "ana@clinic.example", "12.5", None, "Extra_Notes"]
    assert recordable_column_names(names) == [
        "case_id", "(column 2)", "(column 3)", "(column 4)", "(column 5)", "extra_notes",
    ]  # fmt: skip


def test_a_csv_without_header_is_refused(tmp_path: Path) -> None:
    problem = check_file(_csv(tmp_path, ROW * 3))
    assert problem is not None
    assert problem.kind == "no_header"


def test_row_and_column_limits(tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + "".join(f"C{i},North,Dr Ana,2024-01-02\n" for i in range(30)))
    assert check_csv(path, Limits(max_rows=30)) is None
    problem = check_csv(path, Limits(max_rows=29))
    assert problem is not None
    assert "more than 29 rows" in problem.message
    wide = _csv(tmp_path, ",".join(f"c{i}" for i in range(12)) + "\n", name="wide.csv")
    problem = check_csv(wide, Limits(max_columns=10))
    assert problem is not None
    assert "12 columns; the limit is 10" in problem.message


def test_four_thousand_identical_rows_are_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + ROW * 4000)
    problem = check_file(path)
    assert problem is not None
    assert problem.kind == "repeated_rows"
    assert "more than 1,000 times" in problem.message
    assert "Dr Ana" not in problem.message
    distinct = _csv(
        tmp_path, HEADER + "".join(f"C{i},North,Dr Ana,2024-01-02\n" for i in range(4000)), "d.csv"
    )
    assert check_file(distinct) is None


def test_repeated_rows_are_counted_in_constant_memory(tmp_path: Path) -> None:
    # 100,000 identical rows scanned to the end: memory stays flat (one digest), where a
    # pairwise comparison would grow with rows x rows
    path = _csv(tmp_path, HEADER + ROW * 100_000)
    tracemalloc.start()
    try:
        problem = check_csv(path, Limits(max_identical_rows=1_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem is None
    assert peak < 2 * 1024 * 1024


def test_a_workbook_of_identical_rows_is_refused(tmp_path: Path) -> None:
    # the 300,000 identical rows, as a sheet streamed from the zip
    row = '<row r="{r}"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}"><v>34</v></c></row>'
    body = "".join(row.format(r=r) for r in range(2, 300_002))
    sheet = f'<worksheet><dimension ref="A1:B300001"/><sheetData>{body}</sheetData></worksheet>'
    problem = check_xlsx(_xlsx(tmp_path, sheet.encode()))
    assert problem is not None
    assert problem.kind == "repeated_rows"
    assert "passed at row 1,001" in problem.message  # the 1,001st row element

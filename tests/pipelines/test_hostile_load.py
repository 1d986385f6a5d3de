"""Hostile files through `fbss load` (issue 10, point 5): refused before parsing, the
store unchanged, each with its plain-words message and the file it names.

Time and memory are measured in benchmarks/hostile_files.py, never asserted here.
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
from pathlib import Path

import duckdb
import pytest

from fbss.cli import main
from pipelines.readers import read_paths
from pipelines.validate import validate_batch
from tests.pipelines.helpers import ASSESSMENT, CASE

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "fbss.duckdb"
    assert main(["load", str(ROOT / "data" / "sample"), "--db", str(db)]) == 0
    return db


def _digest(db: Path) -> str:
    """The stored records (a refused batch is still logged in load_log, by design)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = [
            con.execute(f"select * from {t} order by all").fetchall()
            for t in ("cases", "assessments", "events")
        ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _load(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["load", *args, "--db", str(db)])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("copies", [4_000, 8_000])
def test_identical_rows_are_refused_and_the_store_is_unchanged(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str], copies: int
) -> None:
    path = _write(tmp_path / "cases.csv", [CASE] * copies)
    before = _digest(store)
    code, text = _load(store, capsys, str(path))
    assert code == 1
    assert (
        f"{path}: cases.csv: the same row appears more than 1,000 times (passed at line 1,002); "
        "check the export"
    ) in text
    assert "Nothing was stored" in text
    assert _digest(store) == before


def test_the_identical_row_limit_is_an_option(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "cases.csv", [CASE] * 30)
    code, text = _load(store, capsys, str(path), "--max-identical-rows", "10")
    assert code == 1
    assert "the same row appears more than 10 times (passed at line 12)" in text


def test_duplicates_are_reported_linearly_with_capped_examples(tmp_path: Path) -> None:
    """Under the identical-row limit, 50 copies give 50 lines naming at most 3 others."""
    path = _write(tmp_path / "cases.csv", [CASE] * 50)
    checked = validate_batch(read_paths([path]))
    dups = [p for p in checked.problems if p.kind == "duplicate record"]
    assert len(dups) == 50
    assert dups[0].problem == (
        f"duplicate record: the same case_id is also in {path} row 3; {path} row 4; "
        f"{path} row 5 and 46 more rows"
    )
    assert dups[10].problem.endswith("and 46 more rows")


def _bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (200 * 1024 * 1024) + b"</a>")
    return path


def test_a_zip_bomb_is_refused(tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]):
    path = _bomb(tmp_path / "cases.xlsx")
    before = _digest(store)
    code, text = _load(store, capsys, str(path))
    assert code == 1
    assert f"{path}: cases.xlsx: a part is compressed" in text
    assert "it looks like a zip bomb" in text
    assert _digest(store) == before


def test_a_large_workbook_of_identical_rows_is_refused(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """300,000 identical rows, written as a spreadsheet program would (inline strings)."""
    cells = "".join(
        f'<c r="{chr(65 + i)}{{r}}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(CASE.values())
    )
    head = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{k}</t></is></c>' for i, k in enumerate(CASE)
    )
    rows = "".join(f'<row r="{r}">{cells.format(r=r)}</row>' for r in range(2, 300_002))
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:Q300001"/><sheetData><row r="1">{head}</row>{rows}</sheetData>'
        "</worksheet>"
    )
    path = tmp_path / "cases.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    before = _digest(store)
    code, text = _load(store, capsys, str(path))
    assert code == 1
    assert (
        f"{path}: cases.xlsx, sheet1: the same row appears more than 1,000 times "
        "(passed at row 1,002); check the export"
    ) in text
    assert _digest(store) == before


def test_a_file_without_a_header_row(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("C9,Jane Doe,jane@example.org,2024-01-02\nC10,Bob,bob@example.org,2024-01-03\n")
    code, text = _load(store, capsys, str(path))
    assert code == 1
    assert (
        f"{path}: cases.csv: no header row: the first row looks like data, not column names "
        "(e.g. case_id, clinic, treatment_date)"
    ) in text
    assert "Jane" not in text
    assert "jane@" not in text


def test_a_dropped_column_with_cell_text_for_a_name_is_not_recorded(tmp_path: Path) -> None:
    row = {**CASE, "Jane Doe, North Street": "x"}
    checked = validate_batch(read_paths([_write(tmp_path / "cases.csv", [row])]))
    assert checked.dropped == [(str(tmp_path / "cases.csv"), "(column 18)")]


def test_a_symlink_is_refused_and_its_target_never_printed(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "private.txt"
    secret.write_text("Jane Doe, 1970-01-01\n")
    link = tmp_path / "batch" / "cases.csv"
    link.parent.mkdir()
    link.symlink_to(secret)
    for target in (link, link.parent):  # named, or found in a folder
        code, text = _load(store, capsys, str(target))
        assert code == 1
        assert f"{link}: cases.csv is a symbolic link; give the file itself" in text
        assert "Jane" not in text
        assert "private" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "case_id,clinic\nC1,North\n".encode("utf-16"),
            "cases.csv is not a UTF-8 CSV (it is UTF-16 text): save it as 'CSV UTF-8'",
        ),
        (
            ("case_id;clinic\n" * 5000).encode("utf-16-le"),
            "cases.csv is not a UTF-8 CSV (it is UTF-16 text): save it as 'CSV UTF-8'",
        ),
        (bytes(range(256)) * 4000, "cases.csv is not a table file (binary content)"),
        (b"%PDF-1.7\n" + b"\x00" * 1000, "cases.csv is not a table file (binary content)"),
    ],
)
def test_utf16_and_binary_files(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(content)
    code, text = _load(store, capsys, str(path))
    assert code == 1
    assert f"{path}: {message}" in text
    assert "\x00" not in text
    assert "separated by" not in text


def test_validate_takes_the_limits_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "assessments.csv", [ASSESSMENT] * 3)
    assert main(["validate", str(path), "--max-rows", "2"]) == 1
    assert f"{path}: assessments.csv: more than 2 rows" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(path), "--max-rows", "0"])
    assert exit_.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err

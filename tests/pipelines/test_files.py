"""File-level problems, formats and the command line's answers (issue 2, sections 2, 3, 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fbss.cli import main
from pipelines.load import load_paths, validate_paths
from tests.pipelines.helpers import (
    ASSESSMENT,
    CASE,
    EVENT,
    assessment,
    batch,
    case,
    event,
    snapshot,
    write_csv,
)


def _one_problem(paths: list[Path]) -> str:
    problems = validate_paths(paths).problems
    assert len(problems) == 1, problems
    return problems[0].as_line()


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_bytes(b"")
    assert (
        _one_problem([tmp_path / "cases.csv"])
        == f"{tmp_path}/cases.csv: the file is empty (0 bytes)"
    )


def test_header_only_file_is_valid_and_holds_no_rows(tmp_path: Path) -> None:
    folder = batch(tmp_path / "b", cases=[], assessments=[])
    result = validate_paths([folder])
    assert result.accepted
    assert sorted(int(f["rows"]) for f in result.files) == [0, 0]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    row = ",".join(CASE.values()).replace("North Spine", "Sjöberg Spine")
    path.write_bytes(",".join(CASE).encode() + b"\n" + row.encode("latin-1") + b"\n")
    # refused from its first bytes, before parsing (issue 10)
    assert _one_problem([path]).endswith("cases.csv is not a UTF-8 CSV: save it as 'CSV UTF-8'")


def test_ragged_rows_are_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("case_id,patient_id\nC1,P1,extra,cells\n")
    assert "not a comma-separated table: a row has 4 cells where the header has 2" in _one_problem(
        [path]
    )


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.csv", [{k: v for k, v in CASE.items() if k != "cause"}])
    line = _one_problem([path])
    assert line == f"{path}, row 1, column cause: the required column cause is missing"


def test_folder_without_table_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    line = _one_problem([tmp_path])
    assert "no recognised table file" in line


def test_unrecognised_file_named_explicitly(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "patients.csv", [CASE])
    assert _one_problem([path]) == (
        f"{path}: not recognised: its name is not cases, assessments or events"
    )


def test_damaged_workbook(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    # refused from its zip directory, before openpyxl sees it (issue 10)
    assert _one_problem([path]).endswith("cases.xlsx is not a table file (damaged .xlsx workbook)")


def test_damaged_parquet(tmp_path: Path) -> None:
    path = tmp_path / "cases.parquet"
    path.write_bytes(b"PAR1 nonsense")
    assert "cannot be read as a Parquet file" in _one_problem([path])


def test_bom_crlf_spaces_and_case_are_accepted(tmp_path: Path) -> None:
    header = ",".join(f" {c.upper()} " for c in CASE)
    row = ",".join(
        f"  {v.upper() if k in ('sex', 'cause', 'smoker') else v}  " for k, v in CASE.items()
    )
    (tmp_path / "cases.csv").write_bytes(b"\xef\xbb\xbf" + f"{header}\r\n{row}\r\n".encode())
    write_csv(tmp_path / "assessments.csv", [ASSESSMENT])
    db = tmp_path / "s.duckdb"
    assert load_paths([tmp_path], db).accepted
    stored = snapshot(db)["cases"][0]
    assert (stored[0], stored[2], stored[4], stored[14]) == (
        "C1",
        "North Spine",
        "female",
        "adjacent_segment_disease",
    )


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    good = ",".join(CASE.values())
    bad = ",".join(CASE.values()).replace(",54,", ",500,").replace("C1,", "C2,", 1)
    (tmp_path / "cases.csv").write_text(",".join(CASE) + f"\n{good}\n\n\n{bad}\n")
    problems = validate_paths([tmp_path / "cases.csv"]).problems
    assert [(p.row, p.column) for p in problems] == [(5, "age")]


def test_other_files_in_a_folder_are_ignored_and_named(tmp_path: Path) -> None:
    folder = batch(tmp_path / "b", cases=[case()], assessments=[assessment()])
    (folder / "README.md").write_text("notes")
    result = validate_paths([folder])
    assert result.accepted
    assert result.ignored == [f"{folder}/README.md: not a .csv, .xlsx or .parquet file"]


def test_one_workbook_with_three_sheets(tmp_path: Path) -> None:
    import datetime as dt

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, template in (("cases", CASE), ("assessments", ASSESSMENT), ("events", EVENT)):
        ws = book.create_sheet(name)
        ws.append(list(template))
        values: list[object] = list(template.values())
        if name == "cases":  # real dates, numbers and booleans, as Excel stores them
            values[5] = 54.0
            values[7] = False
            values[12] = dt.datetime(2022, 1, 10)
        ws.append(values)
    book.create_sheet("notes").append(["anything"])
    path = tmp_path / "clinic_export.xlsx"
    book.save(path)
    db = tmp_path / "s.duckdb"
    result = load_paths([path], db)
    assert result.accepted, result.problems
    assert {t: c["inserted"] for t, c in result.counts.items()} == {
        "cases": 1,
        "assessments": 1,
        "events": 1,
    }
    row = snapshot(db)["cases"][0]
    assert (row[5], row[7], str(row[12])) == (54, False, "2022-01-10")


def test_workbook_per_table_reports_sheet_rows(tmp_path: Path) -> None:
    for name, rows in (("cases", [case(age="17")]), ("assessments", [assessment()])):
        book = openpyxl.Workbook()
        ws = book.active
        ws.title = "Sheet1"
        ws.append(list(rows[0]))
        ws.append([])  # a blank row: later rows keep their own numbers
        ws.append(list(rows[0].values()))
        book.save(tmp_path / f"{name}.xlsx")
    problems = validate_paths([tmp_path]).problems
    assert [(p.file, p.row, p.column) for p in problems] == [
        (f"{tmp_path}/cases.xlsx[Sheet1]", 3, "age")
    ]


def test_parquet_with_real_types(tmp_path: Path) -> None:
    cases = pd.DataFrame([case()]).assign(
        age=[54],
        bmi=[27.5],
        smoker=[False],
        prior_surgeries=[1.0],
        index_surgery_date=pd.to_datetime(["2022-01-10"]),
        presentation_date=pd.to_datetime(["2023-02-01"]).date,
    )
    cases.to_parquet(tmp_path / "cases.parquet")
    pd.DataFrame([assessment()]).assign(odi=[44.0], leg_pain=[6]).to_parquet(
        tmp_path / "assessments.parquet"
    )
    db = tmp_path / "s.duckdb"
    result = load_paths([tmp_path], db)
    assert result.accepted, result.problems
    row = snapshot(db)["cases"][0]
    assert (row[5], row[6], row[9], str(row[12]), str(row[13])) == (
        54,
        27.5,
        1,
        "2022-01-10",
        "2023-02-01",
    )


def test_dropped_columns_are_named_and_never_stored(tmp_path: Path) -> None:
    folder = batch(
        tmp_path / "b",
        cases=[case(patient_name="Alice Example", mrn="123456")],
        assessments=[assessment()],
    )
    db = tmp_path / "s.duckdb"
    result = load_paths([folder], db)
    assert result.accepted
    assert result.dropped == [
        (f"{folder}/cases.csv", "patient_name"),
        (f"{folder}/cases.csv", "mrn"),
    ]
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = {
            r[0]
            for r in con.execute("select column_name from information_schema.columns").fetchall()
        }
        assert not {"patient_name", "mrn"} & columns
        everything = repr(con.execute("select * from load_log").fetchall())
        assert "Alice" not in everything
        assert "123456" not in everything
        assert '"column": "patient_name"' in everything  # names only
    finally:
        con.close()


# --- the command line ------------------------------------------------------------


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = batch(tmp_path / "good", cases=[case()], assessments=[assessment()], events=[event()])
    bad = batch(tmp_path / "bad", cases=[case(age="7.5")], assessments=[assessment()])
    db = tmp_path / "s.duckdb"
    assert main(["load", str(good), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "cases: 1 inserted, 0 updated, 0 unchanged" in out
    assert "events: 1 inserted, 0 updated, 0 unchanged" in out
    assert main(["load", str(bad), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert (
        "row 2, column age: age must be a whole number of years from 18 to 110 (value: '7.5')"
        in err
    )
    assert "Nothing was stored" in err
    assert main(["load", str(tmp_path / "missing"), "--db", str(db)]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["load"])
    assert usage.value.code == 2


def test_cli_report_shows_twenty_lines_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [case(case_id=f"C{i}", age="200", sex="x" if i % 2 else "male") for i in range(1, 16)]
    folder = batch(tmp_path / "b", cases=rows, assessments=[])
    report = tmp_path / "out" / "report.csv"
    assert main(["validate", str(folder), "--report", str(report)]) == 1
    err = capsys.readouterr().err
    shown = [line for line in err.splitlines() if line.startswith(f"  {folder}")]
    assert len(shown) == 20
    assert "… and 3 more (see" in err
    assert "     15  invalid value" not in err  # 15 ages + 8 sexes = 23 invalid values
    assert "     23  invalid value" in err
    written = pd.read_csv(report)
    assert list(written.columns) == ["file", "row", "column", "value", "problem", "kind"]
    assert len(written) == 23


def test_report_neutralises_formulas(tmp_path: Path) -> None:
    folder = batch(tmp_path / "b", cases=[case(sex='=HYPERLINK("x")')], assessments=[])
    report = tmp_path / "r.csv"
    assert main(["validate", str(folder), "--report", str(report)]) == 1
    assert pd.read_csv(report)["value"].tolist() == ['\'=HYPERLINK("x")']


def test_bad_input_never_prints_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_bytes(b"\x00\x01\x02garbage\xff\xfe")
    (tmp_path / "assessments.xlsx").write_bytes(b"not a zip")
    (tmp_path / "events.parquet").write_bytes(b"")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fbss.cli",
            "load",
            str(tmp_path),
            "--db",
            str(tmp_path / "s.duckdb"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.count(str(tmp_path)) >= 3
    # A rejected batch stores no record, but the attempt is logged (with the files' hashes).
    snap = snapshot(tmp_path / "s.duckdb")
    assert snap == {"cases": [], "assessments": [], "events": []}
    import duckdb

    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        outcome, n, files = con.execute(
            "select outcome, n_problems, files from load_log"
        ).fetchone()
    finally:
        con.close()
    assert (outcome, n) == ("rejected", 3)
    assert sorted(len(f["sha256"]) for f in json.loads(files)) == [64, 64, 64]


def test_store_that_is_not_a_duckdb_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = batch(tmp_path / "b", cases=[case()], assessments=[assessment()])
    db = tmp_path / "s.duckdb"
    db.write_text("this is not a database")
    assert main(["load", str(folder), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fbss: the store could not be used: ")
    assert err.rstrip().endswith("nothing was changed")
    assert db.read_text() == "this is not a database"


def test_store_folder_not_writable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = batch(tmp_path / "b", cases=[case()], assessments=[assessment()])
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    assert main(["load", str(folder), "--db", str(blocker / "s.duckdb")]) == 1
    assert "nothing was changed" in capsys.readouterr().err

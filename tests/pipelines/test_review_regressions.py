"""Regressions for the defects a review of the pipeline found (issue 2)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fbss.cli import main
from pipelines import store
from pipelines.load import load_paths, validate_paths
from tests.pipelines.helpers import ASSESSMENT, CASE, assessment, batch, case, snapshot, write_csv


def test_duplicate_header_names_are_refused(tmp_path: Path) -> None:
    header = ",".join(CASE) + ",age"
    row = ",".join(CASE.values()) + ",55"
    (tmp_path / "cases.csv").write_text(f"{header}\n{row}\n")
    problems = validate_paths([tmp_path / "cases.csv"]).problems
    assert [(p.row, p.column, p.problem) for p in problems] == [
        (1, "age", "the column age appears more than once in the header")
    ]


def test_two_unnamed_columns_are_dropped_not_merged(tmp_path: Path) -> None:
    header = ",".join(CASE) + ",,"
    row = ",".join(CASE.values()) + ",Alice,Bob"
    (tmp_path / "cases.csv").write_text(f"{header}\n{row}\n")
    result = validate_paths([tmp_path / "cases.csv"])
    assert result.accepted
    assert [c for _, c in result.dropped] == ["(unnamed column 18)", "(unnamed column 19)"]


def _stale_dimension(path: Path) -> None:
    """Rewrite the sheet's size record to claim fewer rows than it holds."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b'<dimension ref="A1:Q3"/>', b'<dimension ref="A1:Q2"/>')
            dst.writestr(item, data)
    path.write_bytes(buf.getvalue())


def test_workbook_with_a_stale_size_record_is_read_whole(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(list(CASE))
    ws.append(list(CASE.values()))
    ws.append(list(case(case_id="C2", age="7").values()))
    path = tmp_path / "cases.xlsx"
    book.save(path)
    _stale_dimension(path)
    problems = validate_paths([path]).problems
    assert [(p.row, p.column) for p in problems] == [(3, "age")]


def test_workbook_with_a_table_name_reads_every_table_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in (
        ("cases", [CASE]),
        ("assessments", [assessment(leg_pain="99")]),
        ("notes", [{"a": "b"}]),
    ):
        ws = book.create_sheet(name)
        ws.append(list(rows[0]))
        ws.append(list(rows[0].values()))
    path = tmp_path / "cases_2026-10.xlsx"
    book.save(path)
    result = validate_paths([path])
    assert [(p.file, p.column) for p in result.problems] == [(f"{path}[assessments]", "leg_pain")]
    assert result.ignored == [f"{path}[notes]: a sheet not named cases, assessments or events"]


def test_rejected_values_never_reach_the_store(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert load_paths(
        [batch(tmp_path / "a", cases=[case()], assessments=[assessment()])], db
    ).accepted
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "cases.csv").write_text(
        ",".join(CASE) + "\n" + ",".join(CASE.values()) + ",Alice Smith MRN 998877\n"
    )
    write_csv(
        tmp_path / "b" / "events.csv",
        [{"case_id": "C1", "event_date": "2023-01-01", "event": "reoperation", "detail": ""}],
    )
    result = load_paths([tmp_path / "b"], db)
    assert not result.accepted
    assert "C1,P1,North Spine" in result.problems[0].problem  # the terminal may quote the row …
    con = duckdb.connect(str(db), read_only=True)
    try:
        kept = repr(con.execute("select * from last_rejection").fetchall())
        log = repr(con.execute("select * from load_log").fetchall())
    finally:
        con.close()
    assert "Alice" not in kept + log  # … the store never does
    assert "998877" not in kept + log


def test_event_before_treatment_keeps_dates_out_of_the_store(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    folder = batch(
        tmp_path / "a",
        cases=[case()],
        assessments=[assessment()],
        events=[
            {"case_id": "C1", "event_date": "2023-01-01", "event": "reoperation", "detail": ""}
        ],
    )
    result = load_paths([folder], db)
    assert [p.problem for p in result.problems] == [
        "event_date must be on or after the case's treatment_date (2023-03-01)"
    ]
    with store.reader(db) as con:
        assert con.execute("select problem from last_rejection").fetchall() == [
            ("event_date must be on or after the case's treatment_date",)
        ]


def test_carriage_return_line_ends(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_bytes(
        (",".join(CASE) + "\r" + ",".join(case(age="7").values()) + "\r").encode()
    )
    problems = validate_paths([tmp_path / "cases.csv"]).problems
    assert [(p.row, p.column) for p in problems] == [(2, "age")]


def test_parquet_with_a_nested_column_outside_the_contract(tmp_path: Path) -> None:
    table = pa.Table.from_pylist([{**CASE, "tags": ["a", "b"], "blob": b"\xff\xfe"}])
    pq.write_table(table, tmp_path / "cases.parquet")
    result = validate_paths([tmp_path / "cases.parquet"])
    assert result.accepted, result.problems
    assert [c for _, c in result.dropped] == ["tags", "blob"]


def test_parquet_with_a_nested_contract_column(tmp_path: Path) -> None:
    table = pa.Table.from_pylist([{**CASE, "clinic": ["North"]}])
    pq.write_table(table, tmp_path / "cases.parquet")
    line = validate_paths([tmp_path / "cases.parquet"]).problems[0].as_line()
    assert line.endswith(
        "the column clinic holds list<element: string> values, which cannot be read as text"
    )


def test_parquet_timestamps_are_judged_one_by_one_in_their_own_zone(tmp_path: Path) -> None:
    stamps = pd.to_datetime(["2022-01-10 00:00", "2022-01-10 13:30"])
    frame = pd.DataFrame([case(), case(case_id="C2")]).assign(
        index_surgery_date=stamps,
        # midnight in Oslo is 23:00 UTC the day before: still the 10th where it was written
        presentation_date=pd.to_datetime(["2023-02-01 00:00"] * 2).tz_localize("Europe/Oslo"),
    )
    frame.to_parquet(tmp_path / "cases.parquet")
    problems = validate_paths([tmp_path / "cases.parquet"]).problems
    assert [(p.row, p.column, p.value) for p in problems] == [
        (3, "index_surgery_date", "2022-01-10 13:30:00.000000000")
    ]


def test_unusable_cases_file_does_not_flood_the_report(tmp_path: Path) -> None:
    folder = batch(
        tmp_path / "b",
        cases=[{k: v for k, v in CASE.items() if k != "age"}],
        assessments=[assessment(), assessment(timepoint="3m", assessment_date="2023-05-01")],
    )
    problems = validate_paths([folder]).problems
    assert [p.problem for p in problems] == ["the required column age is missing"]


def test_negative_numbers_in_the_report_stay_numbers(tmp_path: Path) -> None:
    folder = batch(tmp_path / "b", cases=[case()], assessments=[assessment(eq5d="-0.7")])
    report = tmp_path / "r.csv"
    assert main(["validate", str(folder), "--report", str(report)]) == 1
    assert pd.read_csv(report, dtype=str)["value"].tolist() == ["-0.7"]


def test_report_path_is_checked_before_loading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = batch(tmp_path / "b", cases=[case()], assessments=[assessment()])
    db = tmp_path / "s.duckdb"
    assert main(["load", str(folder), "--db", str(db), "--report", str(tmp_path)]) == 2
    assert "not a file that can be written" in capsys.readouterr().err
    assert not db.exists()


def test_semicolon_separated_file_gets_a_hint(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(";".join(CASE) + "\n" + ";".join(CASE.values()) + "\n")
    line = validate_paths([tmp_path / "cases.csv"]).problems[0].problem
    assert (
        line
        == "the cells are separated by ';', not commas: save the file as 'CSV UTF-8 (comma delimited)'"
    )


def test_blank_line_files_follow_the_same_rules(tmp_path: Path) -> None:
    """Trailing commas and empty rows read the same with or without blank lines."""
    header = ",".join(ASSESSMENT) + "\n"
    good = ",".join(ASSESSMENT.values()) + "\n"
    short = "C1,3m\n"
    for name, body in (("plain", header + good + short), ("blank", header + good + "\n" + short)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "assessments.csv").write_text(body)
        line = validate_paths([folder / "assessments.csv"]).problems[0].problem
        assert (
            "a row has 2 cells where the header has 10" in line
            or "has 2 cells where the header has 10" in line
        )


def test_minus_zero_is_zero_and_huge_whole_numbers_are_invalid(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    folder = batch(tmp_path / "b", cases=[case()], assessments=[assessment(eq5d="-0")])
    assert load_paths([folder], db).accepted
    assert snapshot(db)["assessments"][0][6] == 0.0
    big = batch(tmp_path / "c", cases=[case(age="1e19")], assessments=[])
    assert [p.column for p in validate_paths([big]).problems] == ["age"]


def test_stale_wal_is_folded_in_before_a_load(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert load_paths(
        [batch(tmp_path / "a", cases=[case()], assessments=[assessment()])], db
    ).accepted
    # Another program writes and is killed before checkpointing: its work sits in the WAL.
    import subprocess
    import sys

    code = (
        f"import duckdb, os; con = duckdb.connect(r'{db}'); "
        "con.execute(\"set checkpoint_threshold='1TB'\"); "
        "con.execute(\"update cases set clinic = 'Edited' where case_id = 'C1'\"); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert db.with_name(db.name + ".wal").exists()
    more = batch(tmp_path / "b", cases=[case(case_id="C2")], assessments=[])
    assert load_paths([more], db).accepted
    rows = {r[0]: r[2] for r in snapshot(db)["cases"]}
    assert rows == {"C1": "Edited", "C2": "North Spine"}


def test_dates_out_of_order_rule_words_are_value_free() -> None:
    from pipelines.problems import Problem

    p = Problem("f", 2, "c", "x", "words with C1", "kind", "words")
    assert p.value_free() == "words"
    assert Problem("f", 2, "c", "x", "plain", "kind").value_free() == "plain"


_ = dt  # dates are built by helpers

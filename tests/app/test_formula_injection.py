"""One formula-injection rule for every file a spreadsheet may open (issue 7): the CLI
report, `fbss summary --format csv` and the dashboard's downloads all neutralise a cell
the same way, and a plain number stays a number."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from analytics import output
from dashboard import downloads
from pipelines.commands import _write_report
from pipelines.problems import Problem
from pipelines.spreadsheet import neutralise

CELLS: list[tuple[str, str]] = [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+1+1", "'+1+1"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),  # spreadsheets strip a leading tab, then run the formula
    ("\r=1", "'\r=1"),  # the same for a carriage return
    ("\tLakeside", "'\tLakeside"),  # a leading tab is neutralised whatever follows
    (" =1+1", "' =1+1"),  # spaces before a formula are skipped by some spreadsheets
    ("  @SUM(A1)", "'  @SUM(A1)"),
    (" Lakeside", " Lakeside"),  # a leading space before plain text is just text
    ("Dr =Evil", "Dr =Evil"),  # only the start of a cell matters
    ("-0.7", "-0.7"),  # a plain number cannot run; an apostrophe would show in Excel
    ("+3", "+3"),
    ("-1e-3", "-1e-3"),
    ("-", "'-"),
    ("plain", "plain"),
    ("", ""),
]


@pytest.mark.parametrize(("cell", "expected"), CELLS)
def test_neutralise(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


@pytest.mark.parametrize("value", [-3.5, 0, None, True])
def test_values_that_are_not_text_pass_unchanged(value: object) -> None:
    assert neutralise(value) is value


def _report(cells: list[str], tmp_path: Path) -> list[str]:
    problems = [Problem("cases.csv", 2, "clinic", c, "problem", "invalid value") for c in cells]
    path = tmp_path / "report.csv"
    _write_report(path, problems)
    with open(path, newline="", encoding="utf-8") as fh:
        return [row[3] for row in list(csv.reader(fh))[1:]]


def _download(cells: list[str], tmp_path: Path) -> list[str]:
    text = downloads.to_csv(pd.DataFrame({"clinic": cells})).decode("utf-8").lstrip("\ufeff")
    return [row[0] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]]


def _summary_csv(cells: list[str], tmp_path: Path) -> list[str]:
    text = output.to_csv(pd.DataFrame({"clinic": cells}), ["clinic"])
    return [row[0] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]]


WRITERS: dict[str, Callable[[list[str], Path], list[str]]] = {
    "fbss load --report": _report,
    "dashboard download": _download,
    "fbss summary --format csv": _summary_csv,
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_csv_writer_applies_the_same_rule(writer: str, tmp_path: Path) -> None:
    cells = [cell for cell, _ in CELLS if cell]  # an empty cell is written as nothing
    assert WRITERS[writer](cells, tmp_path) == [neutralise(c) for c in cells]


def test_numbers_in_a_download_stay_numbers() -> None:
    text = downloads.to_csv(pd.DataFrame({"change": [-3.5, 2.0]})).decode("utf-8")
    assert text.splitlines()[1:] == ["-3.5", "2.0"]

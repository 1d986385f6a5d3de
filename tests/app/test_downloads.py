"""CSV downloads: formula cells neutralised, numbers kept as numbers (issue 4).

The rule itself is tested cell by cell, for every writer, in test_formula_injection.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest

from dashboard.downloads import file_name, to_csv


def _read(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the accents right
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_neutralises_cells_and_headers_and_keeps_values() -> None:
    frame = pd.DataFrame(
        {
            "=name": ["=cmd()", "Lakeside", "@risk"],
            "change": [-3.5, 2.0, float("nan")],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "ok": [True, False, None],
            "day": [dt.date(2026, 1, 2), None, dt.date(2026, 3, 4)],
        }
    )
    rows = _read(to_csv(frame))
    assert rows[0] == ["'=name", "change", "n", "ok", "day"]
    assert rows[1] == ["'=cmd()", "-3.5", "1", "true", "2026-01-02"]
    assert rows[2] == ["Lakeside", "2.0", "", "false", ""]
    assert rows[3] == ["'@risk", "", "3", "", "2026-03-04"]


def test_csv_of_an_empty_table_has_its_header() -> None:
    assert _read(to_csv(pd.DataFrame(columns=["a", "b"]))) == [["a", "b"]]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Follow-up completion by clinic", "fbss-follow-up-completion-by-clinic.csv"),
        ("../../etc/passwd", "fbss-etc-passwd.csv"),
        ("", "fbss-table.csv"),
    ],
)
def test_file_names_are_safe(title: str, expected: str) -> None:
    assert file_name(title) == expected

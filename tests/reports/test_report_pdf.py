"""`fbss report` read back from the PDF: pages, headings, figures, names (issue 11)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pypdf import PdfReader

from fbss.cli import main
from tests.reports.conftest import CLINIC, PHYSICIAN, build, pdf_text

HEADINGS = (
    "Headline figures",
    "Outcomes by cause and pathway",
    "Pathways compared, adjusted for case mix",
    "Balance after weighting",
    "Adjusted funnel position",
    "Event-free survival",
    "Data quality",
    "Who is lost to follow-up",
    "Appendix: definitions and sources",
)


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    assert main(list(argv)) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return rows


def structure(path: Path) -> Counter[str]:
    """How many of each tag the PDF's structure tree holds (Table, TH, TD, H2, ...)."""
    found: Counter[str] = Counter()

    def walk(node: Any) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if "/S" in node:
                found[str(node["/S"]).lstrip("/")] += 1
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(PdfReader(path).trailer["/Root"]["/StructTreeRoot"])
    return found


def expected_cells(summary: dict[str, Any], events: dict[str, Any]) -> list[str]:
    """The headline cells as the report prints them, from `fbss summary` / `fbss events`."""
    n = summary["n_assessed"] - summary["n_excluded"]
    return [
        f"{summary['n_cases']:,}",
        f"{round(summary['followup_rate'] * 100):.0f}% "
        f"{summary['n_followup_returned']:,} of {summary['n_due']:,}",
        f"{round(summary['responder_rate'] * 100):.0f}% {summary['responders']:,} of {n:,}",
        f"{round(events['km_free_12m'] * 100):.0f}%",
    ]


def test_clinic_report_pages_headings_fonts_and_tables(clinic_pdf: Path) -> None:
    reader = PdfReader(clinic_pdf)
    pages = pdf_text(clinic_pdf)
    assert 6 <= len(reader.pages) <= 14
    text = " ".join(pages)
    for heading in HEADINGS:
        assert heading in text, heading
    assert pages[0].lower().startswith("outcome report")
    assert "Clinic: Northgate Spine Centre" in pages[0]
    assert "As-of date 2025-12-31" in pages[0]
    # every font is embedded (a FontFile2 stream), none left to the reader's machine
    fonts = {
        font["/BaseFont"]: font
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    assert fonts
    for name, font in fonts.items():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"], name
        assert "DejaVu" in name
    # tables are tagged tables: header and data cells, not drawn text
    tags = structure(clinic_pdf)
    assert tags["Table"] >= 8
    assert tags["TH"] >= 30
    assert tags["TD"] >= 100
    assert tags["H2"] == len(HEADINGS) - 2  # two of the headings are H3


def test_clinic_headline_equals_fbss_summary(
    clinic_pdf: Path,
    sample_db: Path,
    sample_cases: pd.DataFrame,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = str(sample_db)
    others = sorted(set(sample_cases["clinic"]) - {CLINIC})
    rest_flags = [a for c in others for a in ("--clinic", c)]
    headline = pdf_text(clinic_pdf)[1]
    columns = {
        "2025": ("--clinic", CLINIC, "--as-of", "2025-12-31"),
        "2024": ("--clinic", CLINIC, "--as-of", "2024-12-31"),
        "rest": (*rest_flags, "--as-of", "2025-12-31"),
    }
    cells: dict[str, list[str]] = {}
    for key, flags in columns.items():
        summary = cli_json(capsys, "summary", "--db", db, "--format", "json", *flags)
        summary_row = next(r for r in summary if r["measure"] == "odi")
        events = cli_json(
            capsys, "events", "--db", db, "--format", "json", "--event", "reoperation", *flags
        )
        cells[key] = expected_cells(summary_row, events[0])
    # The table reads row by row: each row's cells in column order (this, previous, rest).
    rows = [
        "Cases treated up to the as-of date",
        "Follow-up completion at 12 months (returned of due)",
        "Responders at 12 months: Minimal important change: ODI improved by at least 30%",
        "Reoperation-free at 12 months",  # "(Kaplan–Meier)" may wrap after the dash
        "Follow-up against the marks",
    ]
    for i, label in enumerate(rows[:-1]):
        start = headline.index(label) + len(label)
        end = headline.index(rows[i + 1])
        segment = headline[start:end]
        positions = [segment.find(cells[k][i]) for k in ("2025", "2024", "rest")]
        assert all(p >= 0 for p in positions), (label, segment, [cells[k][i] for k in cells])
        assert positions == sorted(positions), (label, segment)


def test_physician_report_names_no_other_physician(
    physician_pdf: Path, sample_cases: pd.DataFrame
) -> None:
    reader = PdfReader(physician_pdf)
    text = " ".join(pdf_text(physician_pdf))
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    others = set(sample_cases["physician"]) - {PHYSICIAN}
    assert len(others) == 14
    for other in others:
        surname = other.split()[-1]
        assert surname not in text, other
        assert surname not in meta, other
    assert PHYSICIAN in text
    # the adjusted funnel lists every other physician as a peer, in a stable order
    assert re.search(r"Peer 1\b", text)
    assert re.search(r"Peer 14\b", text)
    assert "Peer 15" not in text


def test_empty_period_says_so_plainly(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = build(tmp_path, sample_db, "--clinic", CLINIC, "--period", "2019-Q2")
    printed = capsys.readouterr().out
    assert "no cases up to the as-of date" in printed
    pages = pdf_text(out)
    assert len(pages) == 3  # cover, the plain statement, the definitions
    assert (
        "No cases: Northgate Spine Centre had no case treated up to 2019-06-30, so there is "
        "nothing to report for Second quarter of 2019." in pages[1]
    )


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["--clinic", "Nowhere Clinic", "--period", "2025"], 2, "no clinic named 'Nowhere Clinic'"),
        (["--network", "--period", "2025-Q7"], 2, "quarters run Q1 to Q4"),
        (
            ["--physician", "Dr A Lindqvist", "--period", "2025"],
            2,
            "did you mean 'Dr A. Lindqvist'",
        ),
    ],
)
def test_bad_requests_get_one_plain_line(
    sample_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    words: str,
) -> None:
    out = tmp_path / "r.pdf"
    assert main(["report", *argv, "--out", str(out), "--db", str(sample_db)]) == code
    err = capsys.readouterr().err
    assert err.startswith("fbss report: ")
    assert words in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_out_must_be_a_pdf_in_an_existing_folder(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "r.pdf"
    assert main(["report", "--network", "--period", "2025", "--out", str(missing)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", "--network", "--period", "2025", "--out", str(tmp_path / "r.txt")]) == 2
    assert "must name a .pdf file" in capsys.readouterr().err

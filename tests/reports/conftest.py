"""Fixtures for the report tests: the sample loaded once, and PDFs built once per session."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pypdf import PdfReader

from analytics import overview
from fbss.cli import main
from pipelines.load import load_paths
from reports.adjusted import Adjusted
from reports.content import ReportData, build_report
from reports.periods import parse_period
from reports.scope import Scope

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
CLINIC = "Northgate Spine Centre"
PHYSICIAN = "Dr A. Lindqvist"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data loaded once; tests must not write to it."""
    db = tmp_path_factory.mktemp("report-store") / "fbss.duckdb"
    result = load_paths([SAMPLE], db)
    assert result.accepted, result.problems[:3]
    return db


@pytest.fixture(scope="session")
def sample_cases() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "cases.csv", dtype=str)


def exact_and_published(
    db: Path, scope: Scope, period: str, **options: Any
) -> dict[int, ReportData]:
    """The same report built exact (base 0) and as published to a non-admin (base 5)."""
    choices = overview.filter_options(db)
    return {
        base: build_report(
            db, scope, parse_period(period), options=choices, round_base=base, **options
        )
        for base in (0, 5)
    }


def adjusted_pair(reports: dict[int, ReportData]) -> tuple[Adjusted, Adjusted]:
    """The exact and the published report's adjusted sections, each with its funnel."""
    exact, shown = reports[0].adjusted, reports[5].adjusted
    assert exact is not None
    assert exact.funnel is not None
    assert shown is not None
    assert shown.funnel is not None
    return exact, shown


def build(tmp: Path, db: Path, *argv: str) -> Path:
    """Run `fbss report ... --out tmp/report.pdf --db db` and return the PDF's path."""
    out = tmp / "report.pdf"
    assert main(["report", *argv, "--out", str(out), "--db", str(db)]) == 0
    return out


def pdf_text(path: Path) -> list[str]:
    """Each page's extracted text, whitespace runs folded to one space."""
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(path).pages]


@pytest.fixture(scope="session")
def clinic_pdf(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("clinic-report")
    return build(tmp, sample_db, "--clinic", CLINIC, "--period", "2025", "--compare-previous")


@pytest.fixture(scope="session")
def physician_pdf(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("physician-report")
    return build(tmp, sample_db, "--physician", PHYSICIAN, "--period", "2025-H2")

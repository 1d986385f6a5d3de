"""Fixtures for the app tests: stores built once per session, and an AppTest factory."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import store
from pipelines.load import load_paths

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
APP = ROOT / "dashboard" / "streamlit_app.py"
PAGES: dict[str, str] = {
    "Overview": "app_pages/overview.py",
    "Causes & pathways": "app_pages/causes.py",
    "Compare pathways": "app_pages/compare.py",
    "Physicians & clinics": "app_pages/providers.py",
    "Data quality": "app_pages/quality.py",
    "Import": "app_pages/import_data.py",
}


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data loaded once; tests must not write to it (copy it instead)."""
    db = tmp_path_factory.mktemp("sample-store") / "fbss.duckdb"
    result = load_paths([SAMPLE], db)
    assert result.accepted, result.problems[:3]
    return db


@pytest.fixture(scope="session")
def sample_cases() -> pd.DataFrame:
    """The sample's cases table, for expected values worked out independently."""
    return pd.read_csv(SAMPLE / "cases.csv", dtype=str)


@pytest.fixture
def store_copy(sample_store: Path, tmp_path: Path) -> Path:
    """A private copy of the sample store that a test may load into."""
    target = tmp_path / "copy.duckdb"
    shutil.copyfile(sample_store, target)
    return target


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the schema but no case records."""
    db = tmp_path_factory.mktemp("empty-store") / "fbss.duckdb"
    con = duckdb.connect(str(db))
    try:
        store.create_schema(con)
    finally:
        con.close()
    return db


AppFactory = Callable[..., AppTest]


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch) -> AppFactory:
    """AppTest of the dashboard on a given store, optionally with URL query parameters."""

    def factory(db: Path, query: dict[str, object] | None = None) -> AppTest:
        monkeypatch.setenv("FBSS_DB", str(db))
        at = AppTest.from_file(str(APP), default_timeout=120)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at

    return factory


def open_page(at: AppTest, title: str) -> AppTest:
    """Run the app, then switch to one page and run it."""
    at.run()
    if title != "Overview":
        at.switch_page(PAGES[title]).run()
    return at


def metric(at: AppTest, label: str) -> str:
    """The shown value of the metric with this label."""
    for m in at.metric:
        if m.label == label:
            return str(m.value)
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def texts(at: AppTest) -> str:
    """Every markdown, caption, info, warning, success and error text, joined."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table shown that has this column."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")

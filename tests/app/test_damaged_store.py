"""Every page shows a plain message for a damaged or missing store (issue 10, point 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import PAGES, AppFactory, open_page, texts


@pytest.mark.parametrize("title", list(PAGES))
def test_a_damaged_store(make_app: AppFactory, tmp_path: Path, title: str) -> None:
    db = tmp_path / "fbss.duckdb"
    db.write_bytes(b"this is not a DuckDB file " * 200)
    at = open_page(make_app(db), title)
    assert not at.exception, [e.message for e in at.exception]
    if title != "Import":  # the Import page reads the store only when files are checked
        assert "The store cannot be read" in texts(at)
    assert "Traceback" not in texts(at)


@pytest.mark.parametrize("title", list(PAGES))
def test_a_missing_store(make_app: AppFactory, tmp_path: Path, title: str) -> None:
    at = open_page(make_app(tmp_path / "none.duckdb"), title)
    assert not at.exception, [e.message for e in at.exception]

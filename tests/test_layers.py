"""The layers point one way: pipelines <- analytics <- dashboard, with fbss on top (issue 7)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Which top-level packages each layer may import (besides the standard library and PyPI).
ALLOWED: dict[str, set[str]] = {
    "pipelines": {"pipelines"},
    "access": {"pipelines", "access"},  # beside analytics: pure, no streamlit (issue 10)
    "analytics": {"pipelines", "access", "analytics"},
    # dashboard.ui calls reports (Report action, chart images) lazily; reports uses only the
    # dashboard's pure chart modules (tests/reports/test_report_layer.py holds both to that).
    "dashboard": {"pipelines", "access", "analytics", "dashboard", "reports"},
    "reports": {"pipelines", "access", "analytics", "dashboard", "reports"},
    "fbss": {"pipelines", "access", "analytics", "dashboard", "reports", "fbss"},
}
OURS = set(ALLOWED)


def _imports(path: Path) -> set[str]:
    """Top-level package names imported anywhere in a module (also inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_import_points_up_a_layer(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted((_imports(path) & OURS) - ALLOWED[package])
        for path in _modules(package)
    }
    assert {k: v for k, v in wrong.items() if v} == {}


@pytest.mark.parametrize("package", ["pipelines", "access", "analytics"])
def test_only_the_dashboard_imports_streamlit(package: str) -> None:
    assert [str(p.relative_to(ROOT)) for p in _modules(package) if "streamlit" in _imports(p)] == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from dashboard import data\n    import analytics.cli\n")
    assert _imports(module) == {"dashboard", "analytics"}

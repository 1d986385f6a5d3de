"""reports/ sits above the dashboard's pure modules and below nothing but fbss (issue 11).

tests/test_layers.py checks packages; this checks modules: reports imports only the
dashboard's streamlit-free chart modules, never streamlit, and within the dashboard only
ui.py (chart downloads) and report_action.py (the Report action) reach into reports, lazily.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = {
    "dashboard.charts",
    "dashboard.labels",
    "dashboard.palette",
}


def _modules_imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_reports_uses_only_the_pure_dashboard_modules_and_no_streamlit() -> None:
    for path in sorted((ROOT / "reports").rglob("*.py")):
        imported = _modules_imported(path)
        assert not {m for m in imported if m.split(".")[0] == "streamlit"}, path
        dashboard = {m for m in imported if m.split(".")[0] == "dashboard"} - {"dashboard"}
        # "from dashboard import labels" gives dashboard.labels; charts.base is inside charts
        wrong = {m for m in dashboard if not any(m == p or m.startswith(p + ".") for p in PURE)}
        assert wrong == set(), path


def test_pure_dashboard_modules_import_no_streamlit() -> None:
    for name in PURE:
        base = ROOT / Path(*name.split("."))
        paths = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        for path in paths:
            assert "streamlit" not in {m.split(".")[0] for m in _modules_imported(path)}, path


def test_only_the_report_action_and_chart_downloads_import_reports() -> None:
    users = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "dashboard").rglob("*.py"))
        if "reports" in {m.split(".")[0] for m in _modules_imported(p)}
    ]
    assert users == ["dashboard/report_action.py", "dashboard/ui.py"]

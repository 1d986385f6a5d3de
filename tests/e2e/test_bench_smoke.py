"""benchmarks/bench_dashboard.py runs end to end on a tiny store (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_dashboard_benchmark_smoke(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_dashboard.py"),
            "--cases",
            "300",
            "--repeat",
            "1",
            "--pages",
            "Overview,Compare pathways,Compare > Reoperations and complications",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| Compare pathways |" in done.stdout
    assert "| Compare > Reoperations and complications |" in done.stdout
    assert "server memory:" in done.stdout

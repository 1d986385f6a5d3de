"""The analytics benchmark runs end to end at a small size (no timing assertion: CI is noisy)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_analytics_benchmark_smoke(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_analytics.py"),
         "--cases", "300", "--repeat", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert "'cases': 300" in proc.stdout
    assert re.search(r"facts build : [\d.]+ s, inside the store", proc.stdout)
    timings = re.findall(r"^  (summary|events) .* ([\d.]+) s", proc.stdout, re.M)
    assert len(timings) == 6
    assert "all summary/events queries under 0.5 s:" in proc.stdout
    # a second run reuses the store
    again = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_analytics.py"),
         "--cases", "300", "--repeat", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert "(reused)" in again.stdout

"""The report benchmark runs end to end at a small size (no timing assertion: CI is noisy)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_report_benchmark_smoke(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_report.py"),
            "--clinic-store-cases",
            "600",
            "--cases",
            "0",  # no network store at this size
            "--repeat",
            "1",
            "--out",
            str(tmp_path),  # never into the repository's benchmarks/out
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert re.search(r"clinic +: \S.*, [\d,]+ cases", proc.stdout)
    assert re.search(
        r"clinic +: median [\d.]+ s \(figures [\d.]+ s, rendering [\d.]+ s; CPU [\d.]+ s\), "
        r"\d+ pages, goal < 10 s",
        proc.stdout,
    )

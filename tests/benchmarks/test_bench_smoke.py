"""The load benchmark runs end to end at a small size (no timing assertion: CI is noisy)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_load_benchmark_smoke(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_load.py"),
            "--cases",
            "300",
            "--repeat",
            "1",
            "--out",
            str(tmp_path),  # never into the repository's benchmarks/out
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert re.search(r"DuckDB bare read : median +[\d.]+ s", proc.stdout)
    assert re.search(r"fbss load +: median +[\d.]+ s .* peak [\d,]+ MiB", proc.stdout)
    assert re.search(r"ratio load / bare: [\d.]+x of medians, [\d.]+x median of pairs", proc.stdout)
    assert "'cases': 300" in proc.stdout
    assert (tmp_path / "load-300" / "data" / "cases.csv").is_file()

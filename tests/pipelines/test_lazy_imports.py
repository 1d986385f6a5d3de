"""`fbss load` down the fast path imports neither pandas nor pandera (issue 7: about 1 s of
its time at a million cases went to importing them), and the CLI imports a command's
module only when that command runs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fbss.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"

# Runs the CLI as `fbss load` does, then lists which heavy libraries were imported.
_PROBE = """
import json, sys
from fbss.cli import main
code = main(["load", sys.argv[1], "--db", sys.argv[2]])
heavy = ("pandas", "pandera", "pyarrow", "scipy", "statsmodels", "streamlit")
print(json.dumps({"code": code, "imported": [m for m in heavy if m in sys.modules]}))
"""


def _probe(tmp_path: Path, folder: Path, path: str) -> tuple[int, list[str]]:
    env = {**os.environ, "FBSS_LOAD_PATH": path, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder), str(tmp_path / "store.duckdb")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    out = json.loads(done.stdout.splitlines()[-1])
    return int(out["code"]), list(out["imported"])


def test_a_fast_path_load_imports_no_pandas_nor_pandera(tmp_path: Path) -> None:
    # FBSS_LOAD_PATH=fast: the load fails rather than fall back to the checked path
    assert _probe(tmp_path, SAMPLE, "fast") == (0, [])


def test_the_checked_path_still_imports_what_it_needs(tmp_path: Path) -> None:
    # the probe can see an import: the checked path does bring pandas and pandera in
    code, imported = _probe(tmp_path, SAMPLE, "checked")
    assert code == 0
    assert {"pandas", "pandera", "pyarrow"} <= set(imported)


def _choices(parser: argparse.ArgumentParser) -> list[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(actions[0].choices)


def test_the_cli_table_names_every_command_of_its_modules() -> None:
    everything = _choices(build_parser())
    assert everything == [name for _, _, names in COMMANDS for name in names]
    for _, _, names in COMMANDS:
        for name in names:
            assert _choices(build_parser(name)) == list(names)


@pytest.mark.parametrize("first", [None, "--help", "no-such-command"])
def test_anything_but_a_command_builds_every_command(first: str | None) -> None:
    assert _choices(build_parser(first)) == _choices(build_parser())

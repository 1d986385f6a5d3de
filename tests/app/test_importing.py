"""The Import page's child process (issue 10, point 5): limits, cancel, nothing kept.

Ordering is proved by events (a tick that cancels, a process that is gone afterwards),
never by seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboard import importing
from dashboard.importing import ImportStopped, Upload, run_isolated, uploads_folder

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _uploads() -> list[Upload]:
    return [Upload(n, (SAMPLE / n).read_bytes()) for n in ("cases.csv", "assessments.csv")]


def _children() -> set[int]:
    out: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        out |= {int(p) for p in (task / "children").read_text().split()}
    return out


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class _Cancelled(Exception):
    """Stands for Streamlit's StopException / RerunException raised inside a tick."""


def test_a_check_runs_in_a_child_and_leaves_nothing(tmp_path: Path) -> None:
    with uploads_folder(_uploads()) as paths:
        folder = paths[0].parent
        assert sorted(p.name for p in paths) == ["assessments.csv", "cases.csv"]
        result = run_isolated("validate", paths, tmp_path / "none.duckdb")
    assert result.accepted
    assert {str(f["table"]) for f in result.files} == {"cases", "assessments"}
    assert not folder.exists()


def test_cancel_kills_the_child_and_deletes_the_uploads(tmp_path: Path) -> None:
    seen: list[int] = []
    # Children the test process already had (a resource tracker, a server started by
    # another test's fixture) are not the import's: only new ones are watched.
    before = _children()

    def tick() -> None:  # the first poll: the child is running; the user presses Cancel
        seen.extend(_children() - before)
        raise _Cancelled

    with uploads_folder(_uploads()) as paths:
        folder = paths[0].parent
        with pytest.raises(_Cancelled):
            run_isolated("validate", paths, tmp_path / "none.duckdb", tick=tick)
    assert seen  # the child existed when the cancel came
    assert all(_gone(pid) for pid in seen)  # killed and reaped
    assert not folder.exists()


def test_a_child_out_of_memory_is_stopped_with_a_plain_message(tmp_path: Path) -> None:
    with pytest.raises(ImportStopped) as stopped, uploads_folder(_uploads()) as paths:
        run_isolated("validate", paths, tmp_path / "none.duckdb", memory_mb=200)
    assert str(stopped.value) == (
        "the files needed more than 200 MB of memory and were not checked"
    )


def test_a_child_over_its_time_is_stopped(tmp_path: Path) -> None:
    # a limit of 0 s has passed by the first poll, whatever the machine's speed
    with pytest.raises(ImportStopped) as stopped, uploads_folder(_uploads()) as paths:
        run_isolated("validate", paths, tmp_path / "none.duckdb", seconds=0)
    assert str(stopped.value) == (
        "the check took longer than 0 s and was stopped; split the export into smaller files"
    )
    assert importing.TIME_LIMIT_S > 0

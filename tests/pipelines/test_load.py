"""Loading: upsert, idempotence, corrections, --replace, atomicity, crash safety, readers."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import store
from pipelines.load import load_paths
from tests.pipelines.helpers import assessment, batch, case, event, snapshot


def _counts(result) -> dict[str, tuple[int, ...]]:  # type: ignore[no-untyped-def]
    return {t: tuple(c.values()) for t, c in result.counts.items()}


@pytest.fixture
def first(tmp_path: Path) -> tuple[Path, Path]:
    """A store holding two cases with assessments and an event."""
    folder = batch(
        tmp_path / "first",
        cases=[
            case(),
            case(case_id="C2", treatment="revision_fusion", cause="iatrogenic_instability"),
        ],
        assessments=[
            assessment(),
            assessment(timepoint="12m", assessment_date="2024-03-05", odi="20"),
            assessment(case_id="C2"),
        ],
        events=[event()],
    )
    db = tmp_path / "store.duckdb"
    result = load_paths([folder], db)
    assert result.accepted, result.problems
    assert _counts(result) == {"cases": (2, 0, 0), "assessments": (3, 0, 0), "events": (1, 0, 0)}
    return folder, db


def test_pathway_is_derived(first: tuple[Path, Path]) -> None:
    _, db = first
    with store.reader(db) as con:
        got = con.execute("select case_id, pathway from cases order by case_id").fetchall()
    assert got == [("C1", "less_invasive"), ("C2", "repeat_surgery")]


def test_reload_changes_nothing(first: tuple[Path, Path]) -> None:
    folder, db = first
    before = snapshot(db)
    result = load_paths([folder], db)
    assert _counts(result) == {"cases": (0, 0, 2), "assessments": (0, 0, 3), "events": (0, 0, 1)}
    assert snapshot(db) == before


def test_correction_replaces_the_stored_row(first: tuple[Path, Path], tmp_path: Path) -> None:
    _, db = first
    fix = batch(
        tmp_path / "fix",
        assessments=[assessment(timepoint="12m", assessment_date="2024-03-05", odi="18")],
    )
    result = load_paths([fix], db)
    assert _counts(result) == {"assessments": (0, 1, 0)}
    rows = snapshot(db)["assessments"]
    assert [r[5] for r in rows if r[:2] == ("C1", "12m")] == [18.0]
    assert len(rows) == 3
    # Keys stay unique after loads, reloads and corrections (the store has no key index).
    again, _ = first
    assert load_paths([again], db).accepted
    assert load_paths([fix], db).accepted
    with store.reader(db) as con:
        for table, keys in store.KEYS.items():
            k = ", ".join(keys)
            n, distinct = con.execute(
                f"select count(*), count(distinct ({k})) from {table}"
            ).fetchone()
            assert n == distinct > 0


def test_replace_removes_what_the_export_no_longer_has(
    first: tuple[Path, Path], tmp_path: Path
) -> None:
    _, db = first
    full = batch(tmp_path / "full", cases=[case()], assessments=[assessment()])
    result = load_paths([full], db, replace=True)
    assert result.accepted
    assert _counts(result) == {
        "cases": (0, 0, 1, 1),
        "assessments": (0, 0, 1, 2),
        "events": (0, 0, 0, 1),  # no events file: a full export without events
    }
    assert {t: len(r) for t, r in snapshot(db).items()} == {
        "cases": 1,
        "assessments": 1,
        "events": 0,
    }


def test_replace_needs_cases_and_assessments(first: tuple[Path, Path], tmp_path: Path) -> None:
    _, db = first
    before = snapshot(db)
    only = batch(tmp_path / "only", cases=[case()])
    result = load_paths([only], db, replace=True)
    assert not result.accepted
    assert (
        "--replace needs a full export, but the batch has no assessments file"
        in result.problems[0].problem
    )
    assert snapshot(db) == before


def test_rejected_batch_stores_nothing_but_is_logged(
    first: tuple[Path, Path], tmp_path: Path
) -> None:
    _, db = first
    before = snapshot(db)
    mixed = batch(
        tmp_path / "mixed",
        cases=[case(case_id="C3"), case(case_id="C4", sex="?")],
        assessments=[assessment(case_id="C3")],
    )
    result = load_paths([mixed], db)
    assert not result.accepted
    assert snapshot(db) == before
    with store.reader(db) as con:
        log = con.execute(
            "select load_id, outcome, n_problems, counts, files from load_log order by load_id"
        ).fetchall()
        rejection = con.execute(
            'select row, "column", value, problem from last_rejection'
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in log] == [(1, "accepted", 0), (2, "rejected", 1)]
    assert json.loads(log[1][3]) == {}
    files = json.loads(log[1][4])
    assert sorted((f["table"], f["rows"], len(f["sha256"])) for f in files) == [
        ("assessments", 1, 64),
        ("cases", 2, 64),
    ]
    assert rejection == [(3, "sex", None, "sex must be one of: female, male, other, unknown")]


def test_corrected_treatment_date_against_stored_rows(
    first: tuple[Path, Path], tmp_path: Path
) -> None:
    """Moving C1's treatment after its stored 12-month assessment and event is refused,
    naming the stored rows that would be out of order."""
    _, db = first
    before = snapshot(db)
    fix = batch(
        tmp_path / "fix", cases=[case(treatment_date="2024-06-01", presentation_date="2023-02-01")]
    )
    result = load_paths([fix], db)
    assert not result.accepted
    lines = sorted(p.problem for p in result.problems)
    # The baseline (2023-02-20) stays before the new date; the 12-month assessment and
    # the event do not.
    assert lines == [
        "this treatment_date would put the stored 12m assessment of case C1 "
        "(assessment_date 2024-03-05) out of order: it must be after the treatment_date",
        "this treatment_date would put the stored complication event of case C1 "
        "(event_date 2023-09-01) before the treatment",
    ]
    assert {(p.row, p.column) for p in result.problems} == {(2, "treatment_date")}
    assert snapshot(db) == before


def test_assessment_for_a_stored_case(first: tuple[Path, Path], tmp_path: Path) -> None:
    _, db = first
    more = batch(
        tmp_path / "more",
        assessments=[assessment(case_id="C2", timepoint="6w", assessment_date="2023-04-20")],
    )
    assert _counts(load_paths([more], db)) == {"assessments": (1, 0, 0)}


def test_failed_swap_leaves_the_store_as_before(
    first: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, db = first
    before = snapshot(db)
    more = batch(tmp_path / "more", cases=[case(case_id="C9")], assessments=[])

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        load_paths([more], db)
    monkeypatch.undo()
    assert snapshot(db) == before
    assert not list(db.parent.glob(".store.duckdb.loading-*"))  # the copy is cleaned up


def _big_batch(folder: Path, n: int, prefix: str) -> Path:
    return batch(
        folder,
        cases=[case(case_id=f"{prefix}{i}") for i in range(n)],
        assessments=[assessment(case_id=f"{prefix}{i}") for i in range(n)],
    )


@pytest.mark.slow
def test_killed_load_leaves_before_or_after(tmp_path: Path) -> None:
    """SIGKILL a load at several moments: the store is always exactly before or after."""
    db = tmp_path / "s.duckdb"
    assert load_paths([_big_batch(tmp_path / "a", 2000, "A")], db).accepted
    before = snapshot(db)
    b = _big_batch(tmp_path / "b", 20000, "B")
    seen = set()
    # None: as soon as the load's staged copy appears (an event, so at least one kill
    # lands mid-load however fast the load is: a 20,000-case load now takes 0.6-0.8 s,
    # and at 0.5 s every kill could come after the swap); then kills at set moments.
    for delay in (None, 0.5, 1.5, 2.5, 3.5, 5.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "fbss.cli", "load", str(b), "--db", str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if delay is None:
            staged = tmp_path / f".s.duckdb.loading-{proc.pid}"
            while not staged.exists() and proc.poll() is None:
                time.sleep(0.001)
            assert proc.poll() is None  # still loading: its copy is not yet swapped in
        else:
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = snapshot(db)
        state = "before" if now == before else "after"
        if state == "after":
            assert (len(now["cases"]), len(now["assessments"])) == (22000, 22000)
            # back to before for the next round
            assert load_paths([_big_batch(tmp_path / "a2", 2000, "A")], db, replace=True).accepted
            assert snapshot(db) == before
        seen.add(state)
    assert "before" in seen  # at least one kill landed mid-load
    # A stale copy left by a kill does not disturb the next load.
    assert load_paths([b], db).accepted
    assert len(snapshot(db)["cases"]) == 22000


@pytest.mark.slow
def test_killed_at_the_last_moment_before_the_swap(tmp_path: Path) -> None:
    """The copy is complete, checkpointed and synced; a kill now still leaves 'before'."""
    db = tmp_path / "s.duckdb"
    assert load_paths([_big_batch(tmp_path / "a", 200, "A")], db).accepted
    before = snapshot(db)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fbss.cli",
            "load",
            str(_big_batch(tmp_path / "b", 500, "B")),
            "--db",
            str(db),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FBSS_TEST_PAUSE_BEFORE_SWAP": "60"},
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().strip() == "fbss: paused before the swap"
    staged = list(tmp_path.glob(".s.duckdb.loading-*"))
    assert len(staged) == 1  # the finished copy, waiting to be swapped in
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(db) == before
    # The next load clears the stale copy and goes through.
    assert load_paths([tmp_path / "b"], db).accepted
    assert len(snapshot(db)["cases"]) == 700
    assert not list(tmp_path.glob(".s.duckdb.loading-*"))


# A reader in its own process: reads the store once per line it is sent, answering with
# the number of cases and the summary's case count (through analytics and the facts).
_READER = """
import sys, duckdb
from analytics.outcomes import summary
db = sys.argv[1]
for _ in sys.stdin:
    try:
        con = duckdb.connect(db, read_only=True)
        n = con.execute("select count(*) from cases").fetchone()[0]
        con.close()
        print(n, int(summary(db, min_cell=0).iloc[0]["n_cases"]), flush=True)
    except duckdb.Error as exc:
        print("error", type(exc).__name__, flush=True)
"""


def _lock_is_held(db: Path) -> bool:
    with open(db.with_name(db.name + ".lock"), "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


@pytest.mark.slow
def test_reader_in_another_process_during_a_load(tmp_path: Path) -> None:
    """A load never blocks a reader: proved by order, not by seconds (issue 7).

    The load is held right before its swap, its lock held and its copy complete; a
    reader in another process reads the old store meanwhile, then the new one after.
    """
    db = tmp_path / "s.duckdb"
    assert load_paths([_big_batch(tmp_path / "a", 1000, "A")], db).accepted
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    second = _big_batch(tmp_path / "b", 2000, "B")
    loader = subprocess.Popen(
        [sys.executable, "-m", "fbss.cli", "load", str(second), "--db", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FBSS_TEST_PAUSE_BEFORE_SWAP": "stdin"},
    )
    assert reader.stdin is not None
    assert reader.stdout is not None
    assert loader.stdin is not None
    assert loader.stderr is not None
    try:
        assert loader.stderr.readline().strip() == "fbss: paused before the swap"
        assert _lock_is_held(db)  # the load is mid-way, holding its lock
        for _ in range(3):  # the reader is answered, with the old store, every time
            reader.stdin.write("read\n")
            reader.stdin.flush()
            assert reader.stdout.readline().split() == ["1000", "1000"]
        assert loader.poll() is None  # ...and the load was still waiting all along
        loader.stdin.write("go\n")
        loader.stdin.close()
        assert loader.wait(timeout=120) == 0
        assert not _lock_is_held(db)
        reader.stdin.write("read\n")
        reader.stdin.flush()
        assert reader.stdout.readline().split() == ["3000", "3000"]  # the new store, whole
    finally:
        for proc in (reader, loader):
            with contextlib.suppress(OSError, ValueError):
                if proc.stdin:
                    proc.stdin.close()
            proc.wait(timeout=120)


SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_sample_data_round_trip(tmp_path: Path) -> None:
    """The committed sample loads whole, and what is stored equals what was written."""
    import pandas as pd

    db = tmp_path / "s.duckdb"
    result = load_paths([SAMPLE], db)
    assert result.accepted, result.problems[:5]
    written = {
        t: pd.read_csv(SAMPLE / f"{t}.csv", dtype=str, keep_default_na=False)
        for t in store.RECORD_TABLES
    }
    assert {t: c["inserted"] for t, c in result.counts.items()} == {
        t: len(f) for t, f in written.items()
    }
    assert result.ignored == [f"{SAMPLE}/README.md: not a .csv, .xlsx or .parquet file"]
    import hashlib

    assert {f["path"]: f["sha256"] for f in result.files} == {
        str(SAMPLE / f"{t}.csv"): hashlib.sha256((SAMPLE / f"{t}.csv").read_bytes()).hexdigest()
        for t in store.RECORD_TABLES
    }
    with store.reader(db) as con:
        stored = con.execute(
            "select case_id, age, cause, treatment, pathway, strftime(treatment_date, '%Y-%m-%d') from cases"
        ).df()
        odi = con.execute("select sum(odi), count(odi) from assessments").fetchone()
    first = written["cases"].iloc[0]
    row = stored.set_index("case_id").loc[first["case_id"]]
    assert (str(row["age"]), row["cause"], row.iloc[4]) == (
        first["age"],
        first["cause"],
        first["treatment_date"],
    )
    assert set(stored["pathway"]) == {"repeat_surgery", "less_invasive"}
    odi_written = pd.to_numeric(written["assessments"]["odi"].replace("", None)).dropna()
    assert odi[1] == len(odi_written)
    assert odi[0] == pytest.approx(odi_written.sum())

"""The store under faults (issue 10, point 6): a leftover WAL, a held lock, dead loads'
leftovers. Ordering is proved with events (a load paused before its swap), never seconds.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fbss.cli import main
from pipelines import store
from pipelines.load import load_paths
from tests.pipelines.helpers import assessment, batch, case

# Another program writes to the store and dies before a checkpoint: a WAL stays behind.
_SCRIBBLE = """
import duckdb, os, sys
con = duckdb.connect(sys.argv[1])
con.execute("set wal_autocheckpoint = '1TB'")
con.execute("pragma disable_checkpoint_on_shutdown")
con.execute("create table if not exists scribble (n integer)")
con.execute("insert into scribble values (?)", [int(sys.argv[2])])
os._exit(0)
"""

# A reader in its own process: one read per line it is sent; "ok N" or "error <type>".
_READER = """
import sys, duckdb
for _ in sys.stdin:
    try:
        con = duckdb.connect(sys.argv[1], read_only=True)
        n = con.execute("select count(*) from cases").fetchone()[0]
        con.close()
        print("ok", n, flush=True)
    except duckdb.Error as exc:
        print("error", type(exc).__name__, flush=True)
"""


def _batch(folder: Path, start: int, n: int) -> Path:
    cases = [case(case_id=f"K{i}", patient_id=f"Q{i}") for i in range(start, start + n)]
    return batch(folder, cases=cases, assessments=[assessment(case_id=c["case_id"]) for c in cases])


def _scribble(db: Path, n: int) -> None:
    subprocess.run([sys.executable, "-c", _SCRIBBLE, str(db), str(n)], check=True)
    assert db.with_name(db.name + ".wal").exists()


def _read(reader: subprocess.Popen[str]) -> list[str]:
    assert reader.stdin is not None
    assert reader.stdout is not None
    reader.stdin.write("read\n")
    reader.stdin.flush()
    return reader.stdout.readline().split()


@pytest.mark.slow
def test_readers_through_loads_that_meet_a_leftover_wal(tmp_path: Path) -> None:
    """Three loads, each finding a WAL beside the store; two readers read before, during
    (the load paused before its swap, after it has replayed the log into its copy) and
    after each. Every read succeeds: the live file is never opened for writing."""
    db = tmp_path / "s.duckdb"
    assert load_paths([_batch(tmp_path / "b0", 0, 5)], db).accepted
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", _READER, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers: list[list[str]] = []
    try:
        for round_ in range(1, 4):
            _scribble(db, round_)
            answers += [_read(r) for r in readers]  # before: the WAL is beside the store
            loader = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fbss.cli",
                    "load",
                    str(_batch(tmp_path / f"b{round_}", round_ * 5, 5)),
                    "--db",
                    str(db),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "FBSS_TEST_PAUSE_BEFORE_SWAP": "stdin"},
            )
            assert loader.stdin is not None
            assert loader.stderr is not None
            assert loader.stderr.readline().strip() == "fbss: paused before the swap"
            for _ in range(3):  # during: the copy holds the log's work; the live file is read
                answers += [_read(r) for r in readers]
            assert db.with_name(db.name + ".wal").exists()  # the live file's log untouched
            loader.stdin.write("go\n")
            loader.stdin.close()
            assert loader.wait(timeout=300) == 0
            assert not db.with_name(db.name + ".wal").exists()  # its work is in the new file
            answers += [_read(r) for r in readers]  # after
    finally:
        for r in readers:
            with contextlib.suppress(OSError):
                r.stdin.close()  # type: ignore[union-attr]
            r.wait(timeout=60)
    errors = [a for a in answers if a[0] != "ok"]
    assert len(answers) == 3 * 2 * 5
    assert errors == []
    with duckdb.connect(str(db), read_only=True) as con:
        # every scribble survived, in the new store: the log was folded into the copy
        assert con.execute("select list(n order by n) from scribble").fetchone() == ([1, 2, 3],)
        assert con.execute("select count(*) from cases").fetchone() == (20,)


def test_a_held_lock_names_its_holder_and_the_wait_ends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.duckdb"
    folder = _batch(tmp_path / "b", 0, 3)
    with store.write_lock(db):
        holder = db.with_name(db.name + ".lock").read_text()
        pid, since = holder.split()
        assert pid == str(os.getpid())
        with pytest.raises(store.LockTimeout) as caught:
            load_paths([folder], db, lock_timeout=0)
        assert str(caught.value) == (
            f"s.duckdb is being loaded by process {pid} (since {since}); gave up after 0 s. "
            "Try again later, or raise --lock-timeout"
        )
        capsys.readouterr()
        assert main(["load", str(folder), "--db", str(db), "--lock-timeout", "0"]) == 3
        err = capsys.readouterr().err
        assert f"fbss: waiting for process {pid} (since {since}), which is loading s.duckdb" in err
        assert "gave up after 0 s" in err
    assert not db.exists()  # nothing was written meanwhile
    assert load_paths([folder], db, lock_timeout=0).accepted  # released: the next load runs
    assert db.with_name(db.name + ".lock").read_text() == ""  # the holder cleared its name


def test_leftovers_of_dead_loads_are_cleaned_live_ones_kept(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)  # fmt: skip
    try:
        stale = [
            tmp_path / f".s.duckdb.loading-{dead.pid}",
            tmp_path / f".s.duckdb.loading-{dead.pid}.wal",
        ]
        live = tmp_path / f".s.duckdb.loading-{alive.pid}"
        for p in (*stale, live):
            p.write_bytes(b"partial copy")
        assert load_paths([_batch(tmp_path / "b", 0, 3)], db).accepted
        assert [p.exists() for p in stale] == [False, False]
        assert live.exists()
    finally:
        alive.stdin.close()  # type: ignore[union-attr]
        alive.wait()

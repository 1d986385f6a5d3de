"""The audit trail: one JSON line per record, safe for concurrent writers, never a password."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
from pathlib import Path

import pytest

from access import audit

UTC = dt.UTC


def _writer(path: str, worker: int, n: int) -> None:
    for i in range(n):
        audit.record(Path(path), user=f"u{worker}@x.org", action="page_view",
                     what={"page": "overview", "i": i, "pad": "x" * 3000})  # fmt: skip


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "fbss-audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(str(path), w, 50)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
        assert p.exitcode == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 200
    records = [json.loads(line) for line in lines]  # every line whole
    for w in range(4):  # each writer's records in its own order
        mine = [r["what"]["i"] for r in records if r["user"] == f"u{w}@x.org"]
        assert mine == list(range(50))


def test_record_fields_and_utc_time(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    at = dt.datetime(2026, 3, 4, 12, 30, 5, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    entry = audit.record(path, user="ana@x.org", action="download",
                         what={"file": "summary.csv", "filters": {"cause": ["arachnoiditis"]}}, at=at)  # fmt: skip
    assert entry["at"] == "2026-03-04T10:30:05.250Z"
    assert json.loads(path.read_text()) == entry
    assert entry["what"] == {"file": "summary.csv", "filters": {"cause": ["arachnoiditis"]}}


def test_passwords_are_never_written(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    audit.record(path, user=None, action="sign_in_failed",
                 what={"email": "ana@x.org", "password": "hunter2 hunter2",
                       "form": {"Password": "p4ss", "token": "t0k"}})  # fmt: skip
    text = path.read_text()
    for secret in ("hunter2", "p4ss", "t0k"):
        assert secret not in text
    assert json.loads(text)["what"]["email"] == "ana@x.org"


def test_unknown_action_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(tmp_path / "a.jsonl", user="a@x.org", action="peek")


def test_read_filters_by_date_and_user_and_skips_torn_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    for day, user in ((1, "a@x.org"), (2, "b@x.org"), (3, "A@x.org")):
        audit.record(path, user=user, action="sign_in", at=dt.datetime(2026, 1, day, tzinfo=UTC))
    with path.open("a") as fh:
        fh.write('{"at": "2026-01-04T00:0')  # a torn last line
    entries, damaged = audit.read(path, since=dt.date(2026, 1, 2), user="a@x.org")
    assert [e["at"][:10] for e in entries] == ["2026-01-03"]
    assert damaged == 1
    assert audit.read(tmp_path / "missing.jsonl") == ([], 0)


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    entries = [
        {
            "at": "2026-01-01T00:00:00.000Z",
            "user": "=cmd|' /C calc'!A0",
            "action": "sign_in",
            "what": {},
        }
    ]
    text = audit.to_csv(entries)
    assert text.splitlines()[0] == "at,user,action,what"
    assert ",'=cmd|" in text


def test_default_path_is_beside_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FBSS_AUDIT", raising=False)
    assert audit.audit_path_from(None, tmp_path / "fbss.duckdb") == tmp_path / "fbss-audit.jsonl"
    monkeypatch.setenv("FBSS_AUDIT", str(tmp_path / "elsewhere.jsonl"))
    assert audit.audit_path_from(None, tmp_path / "fbss.duckdb") == tmp_path / "elsewhere.jsonl"

"""`fbss users` and `fbss audit` end to end through fbss.cli.main."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from access import audit
from access.accounts import load_accounts, verify_password
from fbss.cli import main

PASSWORD = "correct horse battery"


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


def test_users_add_list_reset_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "fbss.duckdb"
    add = ["users", "add", "ana@x.org", "--role", "manager", "--clinic", "North",
           "--clinic", "South, East", "--password-stdin", "--db", str(db)]  # fmt: skip
    assert _run(add, monkeypatch, PASSWORD + "\n") == 0
    users = tmp_path / "fbss-users.toml"
    account = load_accounts(users)["ana@x.org"]
    assert account.clinics == ("North", "South, East")  # repeated, never comma-split
    assert verify_password(account.password_hash, PASSWORD)

    assert _run(["users", "list", "--db", str(db), "--format", "json"], monkeypatch) == 0
    out = capsys.readouterr().out
    listed = json.loads(out[out.index("[") :])
    assert listed == [{"email": "ana@x.org", "role": "manager", "clinics": ["North", "South, East"],
                       "physician": None, "can_import": False}]  # fmt: skip

    reset = [
        "users",
        "reset",
        "ana@x.org",
        "--password-stdin",
        "--users",
        str(users),
        "--db",
        str(db),
    ]
    assert _run(reset, monkeypatch, "a brand new passphrase\n") == 0
    assert verify_password(
        load_accounts(users)["ana@x.org"].password_hash, "a brand new passphrase"
    )
    assert _run(["users", "remove", "ana@x.org", "--db", str(db)], monkeypatch) == 0
    assert load_accounts(users) == {}

    everything = capsys.readouterr()
    assert PASSWORD not in everything.out + everything.err + users.read_text()
    # each change is in the audit trail beside the store, without the password
    changes, _ = audit.read(tmp_path / "fbss-audit.jsonl")
    assert [c["what"]["change"] for c in changes] == ["added", "password reset", "removed"]
    assert PASSWORD not in (tmp_path / "fbss-audit.jsonl").read_text()


def test_users_add_needs_the_password_on_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["users", "add", "ana@x.org", "--role", "admin", "--users", str(tmp_path / "u.toml"),
            "--audit", str(tmp_path / "a.jsonl")]  # fmt: skip
    assert _run(argv, monkeypatch) == 2
    assert "--password-stdin" in capsys.readouterr().err
    argv += ["--password-stdin"]
    assert _run(argv, monkeypatch, "short\n") == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert not (tmp_path / "u.toml").exists()


def test_audit_reads_filters_and_writes_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    path = tmp_path / "trail.jsonl"
    for day, user in ((1, "a@x.org"), (5, "b@x.org"), (6, "a@x.org")):
        audit.record(path, user=user, action="sign_in",
                     at=dt.datetime(2026, 2, day, tzinfo=dt.UTC))  # fmt: skip
    argv = ["audit", "--audit", str(path), "--since", "2026-02-02", "--user", "a@x.org"]
    assert _run(argv, monkeypatch) == 0
    got = json.loads(capsys.readouterr().out)
    assert [(e["user"], e["at"][:10]) for e in got] == [("a@x.org", "2026-02-06")]
    assert _run(["audit", "--audit", str(path), "--format", "csv"], monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "at,user,action,what"
    assert len(lines) == 4
    assert _run(["audit", "--audit", str(path), "--since", "soon"], monkeypatch) == 2
    assert "not a date" in capsys.readouterr().err

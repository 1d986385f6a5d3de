"""`fbss report --as EMAIL`: a report only within the account's scope, and audited (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from access.accounts import add_account
from fbss.cli import main
from tests.reports.conftest import CLINIC, PHYSICIAN

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    users = tmp_path_factory.mktemp("accounts") / "users.toml"
    add_account(users, "doc@example.org", role="physician", password=PASSWORD, physician=PHYSICIAN)
    add_account(users, "boss@example.org", role="manager", password=PASSWORD, clinics=[CLINIC])
    return users


def run(db: Path, users: Path, out: Path, email: str, *who: str) -> int:
    options = ["--period", "2019", "--out", str(out), "--db", str(db)]
    return main(["report", *who, *options, "--as", email, "--users", str(users)])


@pytest.mark.parametrize(
    ("email", "who", "allowed"),
    [
        ("doc@example.org", ("--physician", PHYSICIAN), True),
        ("DOC@example.org ", ("--physician", PHYSICIAN), True),  # e-mails compare normalised
        ("doc@example.org", ("--physician", "Dr M. Okafor"), False),
        ("doc@example.org", ("--clinic", CLINIC), False),
        ("doc@example.org", ("--network",), False),
        ("boss@example.org", ("--clinic", CLINIC), True),
        ("boss@example.org", ("--physician", PHYSICIAN), True),  # works only at Northgate
        ("boss@example.org", ("--physician", "Dr K. Adeyemi"), False),  # Harbour's
        ("boss@example.org", ("--clinic", "Harbour Spine Institute"), False),
        ("boss@example.org", ("--network",), False),
        ("nobody@example.org", ("--network",), False),
        # names as the report resolves them (case, spaces): the permission compares alike
        ("doc@example.org", ("--physician", f" {PHYSICIAN.lower()}"), True),
        ("boss@example.org", ("--physician", PHYSICIAN.upper()), True),
        ("boss@example.org", ("--clinic", f"{CLINIC.lower()} "), True),
        ("boss@example.org", ("--physician", "dr k. adeyemi"), False),  # Harbour's, any case
        ("boss@example.org", ("--physician", "Dr K. Adeyemi "), False),
        ("boss@example.org", ("--clinic", "harbour spine institute"), False),
    ],
)
def test_reports_only_within_the_accounts_scope(
    sample_db: Path,
    accounts: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    who: tuple[str, ...],
    allowed: bool,
) -> None:
    # the audit trail goes beside the accounts, never beside the shared sample store
    audit = tmp_path / "audit.jsonl"
    monkeypatch.setenv("FBSS_AUDIT", str(audit))  # undone after the test
    out = tmp_path / "r.pdf"
    code = run(sample_db, accounts, out, email, *who)
    err = capsys.readouterr().err
    if allowed:
        assert code == 0, err
        assert out.is_file()
        (entry,) = [json.loads(line) for line in audit.read_text().splitlines()]
        assert entry["user"] == email.strip().lower()
        assert entry["action"] == "download"
        assert entry["what"]["period"] == "2019"
        assert entry["what"]["file"] == "r.pdf"
        assert entry["what"]["name"] in (None, PHYSICIAN, CLINIC)  # as resolved, not as typed
    else:
        assert code == 2
        assert err.startswith("fbss report: ")
        assert err.count("\n") == 1
        assert not out.exists()
        assert not audit.exists()


def test_a_refusal_never_names_a_physician_of_another_clinic(
    sample_db: Path, accounts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A near miss of another clinic's physician gets the refusal, not "did you mean …"."""
    code = run(
        sample_db, accounts, tmp_path / "r.pdf", "boss@example.org", "--physician", "Dr K. Adeyemy"
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Adeyemi" not in err
    assert "did you mean" not in err
    assert "this account may have reports of" in err

"""Import for managers: the grant in the accounts file, the scope it gives, the CLI (issue 10)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from access import audit
from access.accounts import AccessError, add_account, load_accounts, set_import_grant
from access.scope import Scope
from fbss.cli import main

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    ("scope", "can_import", "clinics"),
    [
        (Scope("admin"), True, None),  # any clinic
        (Scope("manager", ("North",)), False, AccessError),
        (Scope("manager", ("North", "South"), import_granted=True), True, ("North", "South")),
        (Scope("physician", ("North",), "Dr A"), False, AccessError),
    ],
)
def test_who_may_import_and_which_clinics(scope: Scope, can_import: bool, clinics: object) -> None:
    assert scope.can_import is can_import
    if clinics is AccessError:
        with pytest.raises(AccessError, match="may not import"):
            scope.import_clinics()
    else:
        assert scope.import_clinics() == clinics


def test_a_physician_cannot_hold_the_grant(tmp_path: Path) -> None:
    with pytest.raises(AccessError, match="only managers"):
        Scope("physician", (), "Dr A", import_granted=True)
    with pytest.raises(AccessError, match="only managers"):
        add_account(
            tmp_path / "u.toml", "p@x.org", role="physician", password=PASSWORD,
            physician="Dr A", can_import=True,
        )  # fmt: skip


def test_grant_and_revoke_are_kept_in_the_accounts_file(tmp_path: Path) -> None:
    users = tmp_path / "fbss-users.toml"
    add_account(users, "lee@x.org", role="manager", password=PASSWORD, clinics=["North"])
    add_account(users, "ada@x.org", role="admin", password=PASSWORD)
    assert Scope.of(load_accounts(users)["lee@x.org"]).can_import is False

    set_import_grant(users, "LEE@x.org ", True)
    assert "can_import = true" in users.read_text()
    lee = load_accounts(users)["lee@x.org"]
    assert lee.can_import
    assert Scope.of(lee).import_clinics() == ("North",)

    set_import_grant(users, "lee@x.org", False)
    assert "can_import" not in users.read_text()
    assert not Scope.of(load_accounts(users)["lee@x.org"]).can_import

    with pytest.raises(AccessError, match="managers only"):
        set_import_grant(users, "ada@x.org", True)  # an admin imports anyway
    with pytest.raises(AccessError, match="no account"):
        set_import_grant(users, "nobody@x.org", True)


def test_a_grant_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    users = tmp_path / "u.toml"
    users.write_text('[users."lee@x.org"]\nrole = "manager"\nclinics = ["N"]\ncan_import = "yes"\n')
    with pytest.raises(AccessError, match="must be true or false"):
        load_accounts(users)


def test_cli_grants_lists_revokes_and_audits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "fbss.duckdb"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    add = ["users", "add", "lee@x.org", "--role", "manager", "--clinic", "North",
           "--can-import", "--password-stdin", "--db", str(db)]  # fmt: skip
    assert main(add) == 0
    users = tmp_path / "fbss-users.toml"
    assert load_accounts(users)["lee@x.org"].can_import

    assert main(["users", "revoke-import", "lee@x.org", "--db", str(db)]) == 0
    assert not load_accounts(users)["lee@x.org"].can_import
    assert main(["users", "list", "--db", str(db)]) == 0
    assert "can import" not in capsys.readouterr().out.splitlines()[-1]

    assert main(["users", "grant-import", "lee@x.org", "--db", str(db)]) == 0
    assert "lee@x.org may now import records" in capsys.readouterr().out
    assert main(["users", "list", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == "lee@x.org  manager  (North; can import)"

    assert main(["users", "grant-import", "nobody@x.org", "--db", str(db)]) == 2
    assert "no account for nobody@x.org" in capsys.readouterr().err

    entries, _ = audit.read(audit.audit_path_from(None, db))
    changes = [e["what"]["change"] for e in entries if e["action"] == "account_change"]
    assert changes == ["added", "import revoked", "import granted"]
    assert entries[0]["what"]["can_import"] is True

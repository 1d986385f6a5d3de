"""Local accounts: the TOML file, argon2 hashes, scope checks, atomic replacement."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from access.accounts import (
    AccessError,
    add_account,
    load_accounts,
    remove_account,
    reset_password,
    users_path_from,
    verify_password,
)

PASSWORD = "correct horse battery"


def test_add_stores_an_argon2_hash_never_the_password(tmp_path: Path) -> None:
    path = tmp_path / "fbss-users.toml"
    account = add_account(
        path, " Ana@Clinic.Example ", role="physician", password=PASSWORD,
        clinics=["North", "North"], physician="Dr Ana Silva",
    )  # fmt: skip
    text = path.read_text()
    assert PASSWORD not in text
    assert PASSWORD not in repr(account)
    data = tomllib.loads(text)["users"]["ana@clinic.example"]
    assert data["role"] == "physician"
    assert data["clinics"] == ["North"]
    assert data["password_hash"].startswith("$argon2id$")
    # an independent check: argon2-cffi's own verifier accepts the stored hash
    assert PasswordHasher().verify(data["password_hash"], PASSWORD)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_accounts(path)["ana@clinic.example"] == account


def test_two_accounts_with_the_same_password_get_different_hashes(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    a = add_account(path, "a@x.org", role="admin", password=PASSWORD)
    b = add_account(path, "b@x.org", role="admin", password=PASSWORD)
    assert a.password_hash != b.password_hash  # each hash has its own salt


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "boss"}, "unknown role 'boss'"),
        ({"role": "manager"}, "a manager needs at least one --clinic"),
        ({"role": "physician"}, "needs --physician NAME"),
        ({"role": "admin", "physician": "Dr X"}, "only for physician accounts"),
        ({"role": "admin", "password": "short"}, "at least 12 characters"),
    ],
)
def test_refused_accounts_say_why(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"password": PASSWORD, **kwargs}
    with pytest.raises(AccessError, match=message):
        add_account(tmp_path / "u.toml", "a@x.org", **args)
    assert not (tmp_path / "u.toml").exists()


def test_malformed_email_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AccessError, match="not an e-mail address"):
        add_account(tmp_path / "u.toml", "ana", role="admin", password=PASSWORD)


def test_duplicate_remove_and_reset(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    add_account(path, "a@x.org", role="admin", password=PASSWORD)
    with pytest.raises(AccessError, match="already has an account"):
        add_account(path, "A@x.org", role="admin", password=PASSWORD)
    old = load_accounts(path)["a@x.org"].password_hash
    reset_password(path, "a@x.org", "another long password")
    new = load_accounts(path)["a@x.org"].password_hash
    assert new != old
    assert verify_password(new, "another long password")
    assert not verify_password(new, PASSWORD)
    remove_account(path, "a@x.org")
    assert load_accounts(path) == {}
    with pytest.raises(AccessError, match=r"no account for a@x\.org"):
        remove_account(path, "a@x.org")


def test_replacement_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    add_account(path, "a@x.org", role="admin", password=PASSWORD)
    add_account(path, "b@x.org", role="manager", clinics=["North"], password=PASSWORD)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.toml", "u.toml.lock"]


def test_a_damaged_file_gets_a_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    path.write_text("[users\nrole = ")
    with pytest.raises(AccessError, match="not a readable accounts file"):
        load_accounts(path)
    path.write_text('[users."a@x.org"]\nclinics = []\n')
    with pytest.raises(AccessError, match="has no role"):
        load_accounts(path)


def test_default_path_is_beside_the_store(tmp_path: Path) -> None:
    assert (
        users_path_from(None, tmp_path / "s" / "fbss.duckdb") == tmp_path / "s" / "fbss-users.toml"
    )
    assert users_path_from(tmp_path / "mine.toml", None) == tmp_path / "mine.toml"


def test_a_damaged_hash_does_not_verify() -> None:
    assert not verify_password("not a hash", PASSWORD)

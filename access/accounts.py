"""Local accounts: a TOML file of e-mail, role, scope and an argon2 password hash.

The file (default `fbss-users.toml` beside the store) looks like

    [users."ana@clinic.example"]
    role = "physician"
    clinics = ["North"]
    physician = "Dr Ana Silva"
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."

A password is only ever held in memory long enough to hash or verify it; it is never
written, printed or logged. The file is replaced atomically and readable by its owner only.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from access.files import atomic_write, locked
from pipelines.store import db_path_from

ROLES: tuple[str, ...] = ("admin", "manager", "physician")
DEFAULT_USERS_NAME = "fbss-users.toml"
MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# argon2-cffi's defaults follow RFC 9106's second recommended option (argon2id, 64 MiB).
_HASHER = PasswordHasher()


class AccessError(ValueError):
    """A request about accounts that cannot be carried out as written (plain words)."""


@dataclass(frozen=True)
class Account:
    """One person who may sign in, and what they may see."""

    email: str
    role: str
    clinics: tuple[str, ...] = ()
    physician: str | None = None
    password_hash: str = field(default="", repr=False)  # never in a repr or a log line
    can_import: bool = False  # a manager granted Import; an admin imports without it


def users_path_from(users: str | Path | None, db: str | Path | None = None) -> Path:
    """The accounts file: `--users`, else fbss-users.toml beside the store."""
    if users:
        return Path(users)
    return db_path_from(db).parent / DEFAULT_USERS_NAME


def normalise_email(text: str) -> str:
    """The e-mail as stored and compared: trimmed, lower case; refused when malformed."""
    email = text.strip().lower()
    if not _EMAIL.match(email):
        raise AccessError(f"{text.strip()!r} is not an e-mail address")
    return email


def check_scope(role: str, clinics: Sequence[str], physician: str | None) -> None:
    """Refuse an account whose role and scope do not fit together."""
    if role not in ROLES:
        raise AccessError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if role == "manager" and not clinics:
        raise AccessError("a manager needs at least one --clinic")
    if role == "physician" and not (physician or "").strip():
        raise AccessError("a physician account needs --physician NAME (as in the case records)")
    if role != "physician" and physician:
        raise AccessError("--physician is only for physician accounts")


def check_import_grant(role: str, granted: bool) -> None:
    """Only a manager is granted Import: an admin has it anyway, a physician never."""
    if granted and role == "physician":
        raise AccessError("a physician cannot be granted import; only managers can")


def check_password(password: str) -> None:
    """Refuse a password too short to resist guessing (the message never repeats it)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    """An argon2id hash with its own random salt."""
    check_password(password)
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash; False for a mismatch or a damaged hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def load_accounts(path: Path) -> dict[str, Account]:
    """Every account in the file (empty when the file does not exist)."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AccessError(f"{path} is not a readable accounts file: {exc}") from None
    users = data.get("users", {})
    if not isinstance(users, dict):
        raise AccessError(f"{path}: [users] must be a table of accounts")
    out: dict[str, Account] = {}
    for email, entry in users.items():
        if not isinstance(entry, dict):
            raise AccessError(f"{path}: the entry for {email!r} is not a table")
        try:
            account = Account(
                email=normalise_email(email),
                role=str(entry["role"]),
                clinics=tuple(str(c) for c in entry.get("clinics", ())),
                physician=entry.get("physician"),
                password_hash=str(entry.get("password_hash", "")),
                can_import=_flag(path, email, entry.get("can_import", False)),
            )
        except KeyError as exc:
            raise AccessError(f"{path}: {email!r} has no {exc.args[0]}") from None
        check_scope(account.role, account.clinics, account.physician)
        check_import_grant(account.role, account.can_import)
        out[account.email] = account
    return out


def _flag(path: Path, email: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise AccessError(f"{path}: can_import of {email!r} must be true or false")
    return value


def save_accounts(path: Path, accounts: dict[str, Account]) -> None:
    """Write every account, replacing the file atomically (owner-only permissions)."""
    users: dict[str, dict[str, object]] = {}
    for email in sorted(accounts):
        a = accounts[email]
        entry: dict[str, object] = {"role": a.role, "clinics": list(a.clinics)}
        if a.physician:
            entry["physician"] = a.physician
        if a.can_import and a.role == "manager":
            entry["can_import"] = True
        entry["password_hash"] = a.password_hash
        users[email] = entry
    atomic_write(path, tomli_w.dumps({"users": users}).encode("utf-8"))


def add_account(
    path: Path,
    email: str,
    *,
    role: str,
    password: str,
    clinics: Sequence[str] = (),
    physician: str | None = None,
    can_import: bool = False,
) -> Account:
    """Add a new account; refused when the e-mail already has one."""
    email = normalise_email(email)
    clinics = tuple(dict.fromkeys(c.strip() for c in clinics if c.strip()))
    physician = physician.strip() if physician else None
    check_scope(role, clinics, physician)
    check_import_grant(role, can_import)
    account = Account(email, role, clinics, physician, hash_password(password), can_import)
    with locked(path):
        accounts = load_accounts(path)
        if email in accounts:
            raise AccessError(f"{email} already has an account (use `fbss users reset`)")
        accounts[email] = account
        save_accounts(path, accounts)
    return account


def remove_account(path: Path, email: str) -> None:
    """Remove an account; refused when there is none for that e-mail."""
    email = normalise_email(email)
    with locked(path):
        accounts = load_accounts(path)
        if accounts.pop(email, None) is None:
            raise AccessError(f"no account for {email}")
        save_accounts(path, accounts)


def reset_password(path: Path, email: str, password: str) -> Account:
    """Give an account a new password (the old hash is replaced)."""
    email = normalise_email(email)
    new_hash = hash_password(password)
    with locked(path):
        accounts = load_accounts(path)
        if email not in accounts:
            raise AccessError(f"no account for {email}")
        accounts[email] = replace(accounts[email], password_hash=new_hash)
        save_accounts(path, accounts)
    return accounts[email]


def set_import_grant(path: Path, email: str, granted: bool) -> Account:
    """Grant or revoke Import for a manager; refused for other roles and unknown e-mails."""
    email = normalise_email(email)
    with locked(path):
        accounts = load_accounts(path)
        if email not in accounts:
            raise AccessError(f"no account for {email}")
        account = accounts[email]
        if account.role != "manager":
            raise AccessError(
                f"{email} is a {account.role}: import is granted to managers only "
                "(an admin always imports, a physician never does)"
            )
        accounts[email] = replace(account, can_import=granted)
        save_accounts(path, accounts)
    return accounts[email]

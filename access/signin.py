"""Signing in with a local account: lockout after repeated failures, and session timeouts.

Lockout state lives in `<accounts file>.lockout.json` beside the accounts file, written
atomically under a lock, so every dashboard process sees the same counts. Failures are
counted for any e-mail typed, known or not, and both get the same refusal, so neither
the message nor the lockout tells whether an account exists.

Time is passed in (`now`, seconds since the epoch) so the rules are pure and testable.
"""

from __future__ import annotations

import functools
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher

from access.accounts import (
    AccessError,
    Account,
    load_accounts,
    normalise_email,
    verify_password,
)
from access.files import atomic_write, locked

WRONG = "wrong_email_or_password"
LOCKED = "locked"


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password: verifying against it when the e-mail is unknown makes
    a refusal take as long as for a known account (no timing hint about who has one)."""
    return PasswordHasher().hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures in a row lock an account, and for how long."""

    max_failures: int = 5
    lock_seconds: float = 15 * 60


@dataclass(frozen=True)
class SessionPolicy:
    """A session ends after this long without activity, or this long after sign-in."""

    idle_seconds: float = 30 * 60
    absolute_seconds: float = 12 * 60 * 60


@dataclass(frozen=True)
class Refused:
    """Why a sign-in was refused, in words fit for the sign-in page."""

    reason: str  # WRONG or LOCKED
    message: str
    retry_after_seconds: float | None = None


def lockout_path(users_file: Path) -> Path:
    """The lockout state file that belongs to an accounts file."""
    return users_file.with_name(users_file.name + ".lockout.json")


def _read_state(path: Path) -> dict[str, dict[str, float]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}  # a damaged state file only forgets failures; accounts are untouched
    return data if isinstance(data, dict) else {}


def _write_state(path: Path, state: dict[str, dict[str, float]]) -> None:
    atomic_write(path, json.dumps(state, sort_keys=True).encode("utf-8"))


def authenticate(
    email: str,
    password: str,
    *,
    users_file: Path,
    now: float | None = None,
    policy: LockoutPolicy = LockoutPolicy(),
) -> Account | Refused:
    """The account, when the e-mail and password match and the account is not locked."""
    now = time.time() if now is None else now
    wrong = Refused(WRONG, "Wrong e-mail or password.")
    try:
        key = normalise_email(email)
    except AccessError:
        verify_password(_dummy_hash(), password)
        return wrong
    state_file = lockout_path(users_file)
    with locked(state_file):
        state = _read_state(state_file)
        entry = state.get(key, {})
        until = float(entry.get("locked_until", 0))
        if until > now:
            minutes = max(1, round((until - now) / 60))
            return Refused(
                LOCKED,
                f"Too many failed sign-ins: try again in about {minutes} minutes.",
                until - now,
            )
        account = load_accounts(users_file).get(key)
        ok = verify_password(account.password_hash if account else _dummy_hash(), password)
        if ok and account is not None:
            if key in state:
                del state[key]
                _write_state(state_file, state)
            return account
        failures = int(entry.get("failures", 0)) + 1
        if failures >= policy.max_failures:
            state[key] = {"failures": 0, "locked_until": now + policy.lock_seconds}
        else:
            state[key] = {"failures": failures, "locked_until": 0}
        _write_state(state_file, state)
    return wrong


def clear_lockout(users_file: Path, email: str) -> None:
    """Forget the failures of one e-mail (after a password reset)."""
    state_file = lockout_path(users_file)
    key = normalise_email(email)
    with locked(state_file):
        state = _read_state(state_file)
        if state.pop(key, None) is not None:
            _write_state(state_file, state)


def session_expired(
    *, signed_in_at: float, last_seen: float, now: float, policy: SessionPolicy = SessionPolicy()
) -> bool:
    """True when the session must sign in again (idle too long, or open too long)."""
    return (now - last_seen) >= policy.idle_seconds or (
        now - signed_in_at
    ) >= policy.absolute_seconds

"""Sign-in: right and wrong passwords, lockout after repeated failures, session timeouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.accounts import Account, add_account
from access.signin import (
    LOCKED,
    WRONG,
    LockoutPolicy,
    Refused,
    SessionPolicy,
    authenticate,
    clear_lockout,
    lockout_path,
    session_expired,
)

PASSWORD = "correct horse battery"
POLICY = LockoutPolicy(max_failures=3, lock_seconds=600)


@pytest.fixture
def users(tmp_path: Path) -> Path:
    path = tmp_path / "fbss-users.toml"
    add_account(path, "ana@x.org", role="physician", physician="Dr Ana", password=PASSWORD)
    return path


def test_right_password_gives_the_account(users: Path) -> None:
    account = authenticate("ANA@x.org ", PASSWORD, users_file=users, now=1000.0)
    assert isinstance(account, Account)
    assert account.physician == "Dr Ana"


def test_unknown_email_and_wrong_password_are_refused_alike(users: Path) -> None:
    wrong = authenticate("ana@x.org", "nope nope nope", users_file=users, now=0.0)
    unknown = authenticate("bob@x.org", PASSWORD, users_file=users, now=0.0)
    malformed = authenticate("bob", PASSWORD, users_file=users, now=0.0)
    assert wrong == unknown == malformed == Refused(WRONG, "Wrong e-mail or password.")


def test_lockout_after_repeated_failures_then_released(users: Path) -> None:
    for t in (0.0, 1.0, 2.0):
        assert isinstance(
            authenticate("ana@x.org", "bad", users_file=users, now=t, policy=POLICY), Refused
        )
    # locked: even the right password is refused until the lock ends (at 2 + 600)
    locked = authenticate("ana@x.org", PASSWORD, users_file=users, now=300.0, policy=POLICY)
    assert isinstance(locked, Refused)
    assert locked.reason == LOCKED
    assert locked.retry_after_seconds == pytest.approx(302.0)
    assert "try again in about 5 minutes" in locked.message
    released = authenticate("ana@x.org", PASSWORD, users_file=users, now=602.0, policy=POLICY)
    assert isinstance(released, Account)


def test_success_resets_the_failure_count(users: Path) -> None:
    for t in (0.0, 1.0):
        authenticate("ana@x.org", "bad", users_file=users, now=t, policy=POLICY)
    assert isinstance(
        authenticate("ana@x.org", PASSWORD, users_file=users, now=2.0, policy=POLICY), Account
    )
    for t in (3.0, 4.0):
        authenticate("ana@x.org", "bad", users_file=users, now=t, policy=POLICY)
    # two failures since the success: not locked yet
    assert isinstance(
        authenticate("ana@x.org", PASSWORD, users_file=users, now=5.0, policy=POLICY), Account
    )


def test_unknown_emails_are_locked_too(users: Path) -> None:
    for t in (0.0, 1.0, 2.0):
        authenticate("bob@x.org", "bad", users_file=users, now=t, policy=POLICY)
    result = authenticate("bob@x.org", "bad", users_file=users, now=3.0, policy=POLICY)
    assert isinstance(result, Refused)
    assert result.reason == LOCKED  # same behaviour as a real account: no hint either way


def test_lockout_state_holds_no_password_and_can_be_cleared(users: Path) -> None:
    for t in (0.0, 1.0, 2.0):
        authenticate("ana@x.org", "my secret guess", users_file=users, now=t, policy=POLICY)
    state = lockout_path(users).read_text()
    assert "my secret guess" not in state
    assert "ana@x.org" in state
    clear_lockout(users, "ana@x.org")
    assert isinstance(
        authenticate("ana@x.org", PASSWORD, users_file=users, now=3.0, policy=POLICY), Account
    )


def test_damaged_lockout_state_only_forgets_failures(users: Path) -> None:
    lockout_path(users).write_text("{not json")
    assert isinstance(authenticate("ana@x.org", PASSWORD, users_file=users, now=0.0), Account)


@pytest.mark.parametrize(
    ("signed_in_at", "last_seen", "now", "expired"),
    [
        (0, 0, 1799, False),  # idle just under 30 minutes
        (0, 0, 1800, True),  # idle 30 minutes
        (0, 43_000, 43_199, False),  # active, just under 12 hours
        (0, 43_100, 43_200, True),  # active, but 12 hours since sign-in
    ],
)
def test_session_timeout(signed_in_at: float, last_seen: float, now: float, expired: bool) -> None:
    assert session_expired(signed_in_at=signed_in_at, last_seen=last_seen, now=now) is expired


def test_session_policy_is_configurable() -> None:
    short = SessionPolicy(idle_seconds=60, absolute_seconds=3600)
    assert session_expired(signed_in_at=0, last_seen=0, now=60, policy=short)

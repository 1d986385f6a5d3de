"""The signed session token behind "a reload keeps you signed in" (access/session_token.py)."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from access.accounts import add_account, remove_account, reset_password
from access.session_token import (
    POLICY,
    cookie_script,
    issue,
    secret_path,
    sign_out,
    verify,
)

PASSWORD = "correct horse battery"
T0 = 1_800_000_000.0  # a fixed clock: time is passed in


@pytest.fixture
def users(tmp_path: Path) -> Path:
    path = tmp_path / "fbss-users.toml"
    add_account(path, "lee@x.org", role="manager", password=PASSWORD, clinics=["North"])
    return path


def _token(users: Path, now: float = T0, sid: str = "sid-1") -> str:
    from access.accounts import load_accounts

    return issue(users, load_accounts(users)["lee@x.org"], signed_in_at=T0, now=now, sid=sid)


def test_a_genuine_token_gives_back_its_session(users: Path) -> None:
    found = verify(users, _token(users), now=T0 + 5)
    assert found is not None
    session, account = found
    assert (session.email, session.sid, session.signed_in_at) == ("lee@x.org", "sid-1", T0)
    assert account.clinics == ("North",)
    mode = stat.S_IMODE(secret_path(users).stat().st_mode)
    assert secret_path(users).name == "fbss-users.secret"
    assert mode == 0o600


def _forge(token: str, **changes: object) -> str:
    body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(changes)
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + mac


@pytest.mark.parametrize(
    "bad",
    [
        lambda t: _forge(t, e="ada@x.org"),  # another user, old signature
        lambda t: _forge(t, l=T0 + 10_000),  # pushed its last-seen time forward
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature altered
        lambda t: t.split(".")[0],  # no signature
        lambda t: "x.y",
        lambda t: "",
    ],
)
def test_a_tampered_token_signs_nobody_in(users: Path, bad) -> None:  # type: ignore[no-untyped-def]
    add_account(users, "ada@x.org", role="admin", password=PASSWORD)
    assert verify(users, bad(_token(users)), now=T0 + 5) is None


def test_a_token_expires_when_idle_and_at_the_absolute_limit(users: Path) -> None:
    token = _token(users)
    assert verify(users, token, now=T0 + POLICY.idle_seconds - 1) is not None
    assert verify(users, token, now=T0 + POLICY.idle_seconds) is None
    # refreshed tokens keep an active session, up to the absolute limit
    late = T0 + POLICY.absolute_seconds - 10
    assert verify(users, _token(users, now=late - 60), now=late) is not None
    assert verify(users, _token(users, now=late), now=T0 + POLICY.absolute_seconds) is None


def test_sign_out_reset_and_removal_end_the_session(users: Path, tmp_path: Path) -> None:
    token = _token(users)
    sign_out(users, "sid-1", now=T0 + 1)
    assert verify(users, token, now=T0 + 2) is None
    other = _token(users, sid="sid-2")
    assert verify(users, other, now=T0 + 2) is not None  # another session is untouched
    reset_password(users, "lee@x.org", "a brand new passphrase")
    assert verify(users, other, now=T0 + 3) is None
    fresh = _token(users, sid="sid-3")
    remove_account(users, "lee@x.org")
    assert verify(users, fresh, now=T0 + 4) is None


def test_a_new_secret_ends_every_session(users: Path) -> None:
    token = _token(users)
    secret_path(users).unlink()
    assert verify(users, token, now=T0 + 1) is None


def test_cookie_script_sets_and_clears_and_refuses_odd_text() -> None:
    script = cookie_script("abc_-.DEF", max_age=60)
    assert "fbss_session=abc_-.DEF; Path=/; Max-Age=60; SameSite=Strict" in script
    assert "Max-Age=0" in cookie_script(None, max_age=60)
    with pytest.raises(ValueError, match="not a session token"):
        cookie_script("x'; alert(1); '", max_age=60)


def test_a_cookie_with_non_ascii_text_is_no_token(users: Path) -> None:
    body, mac = _token(users).split(".")
    assert verify(users, f"{body}é.{mac}", now=T0 + 5) is None  # was UnicodeEncodeError


def test_a_damaged_signed_out_list_fails_closed(users: Path) -> None:
    """Which sessions were ended is unknown: every token stops working (a new secret),
    and new sign-ins work again."""
    from access.session_token import signed_out_path

    revoked, other = _token(users, sid="gone"), _token(users, sid="other")
    sign_out(users, "gone", now=T0 + 1)
    signed_out_path(users).write_text("{not json", encoding="utf-8")
    assert verify(users, revoked, now=T0 + 5) is None
    assert verify(users, other, now=T0 + 5) is None  # the secret changed
    assert verify(users, _token(users, now=T0 + 6, sid="new"), now=T0 + 7) is not None


def test_a_session_is_not_valid_after_a_reset_or_a_sign_out(users: Path) -> None:
    from access.accounts import load_accounts
    from access.session_token import fingerprint, still_valid

    began = fingerprint(load_accounts(users)["lee@x.org"])
    assert still_valid(users, "sid-1", began, load_accounts(users)["lee@x.org"])
    sign_out(users, "sid-1", now=T0)
    assert not still_valid(users, "sid-1", began, load_accounts(users)["lee@x.org"])
    reset_password(users, "lee@x.org", "another long passphrase")
    assert not still_valid(users, "sid-2", began, load_accounts(users)["lee@x.org"])

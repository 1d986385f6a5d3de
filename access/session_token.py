"""A signed, expiring session token, so a local-account sign-in survives a browser reload.

The token is `payload.signature`: the payload (base64url JSON) names the e-mail, a random
session id, when the session began and when it was last seen, and a fingerprint of the
account's password hash; the signature is HMAC-SHA256 with a secret kept beside the
accounts file (`fbss-users.secret`, 32 random bytes, mode 0600, made on first use).

A token signs nobody in when its signature does not match (tampered, or another
secret), when the session is past SessionPolicy's idle or absolute limit, when the
session id was signed out (`<accounts file>.signed-out.json`, kept until the ids would
have expired anyway), or when the password was reset since (the fingerprint changes).
A damaged signed-out list fails closed: a new secret ends every session.

Time is passed in (`now`, seconds since the epoch), so the rules are pure and testable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from access.accounts import Account, load_accounts
from access.files import atomic_write, locked
from access.signin import SessionPolicy, session_expired

COOKIE = "fbss_session"
POLICY = SessionPolicy()


def secret_path(users_file: Path) -> Path:
    """The signing secret that belongs to an accounts file: fbss-users.secret beside it."""
    return users_file.with_name(users_file.stem + ".secret")


def signed_out_path(users_file: Path) -> Path:
    return users_file.with_name(users_file.name + ".signed-out.json")


def _secret(users_file: Path) -> bytes:
    path = secret_path(users_file)
    with locked(path):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = b""
        if len(data) < 32:  # missing or damaged: a new secret ends every open session
            data = secrets.token_bytes(32)
            atomic_write(path, data, mode=0o600)
    return data


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(account: Account) -> str:
    return hashlib.sha256(account.password_hash.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Session:
    """A verified session: who, its id, when it began and when it was last seen."""

    email: str
    sid: str
    signed_in_at: float
    last_seen: float


def issue(
    users_file: Path, account: Account, *, signed_in_at: float, now: float, sid: str | None = None
) -> str:
    """A token for this account's session (a new session id unless `sid` is given)."""
    payload = {
        "e": account.email,
        "s": sid or secrets.token_urlsafe(16),
        "a": signed_in_at,
        "l": now,
        "p": _fingerprint(account),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    mac = hmac.new(_secret(users_file), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(
    users_file: Path, token: str | None, *, now: float, policy: SessionPolicy = POLICY
) -> tuple[Session, Account] | None:
    """The session and its account when the token is genuine, current and not signed out."""
    if not token or token.count(".") != 1 or len(token) > 4096:
        return None
    body, mac = token.split(".")
    try:
        # inside the try: a cookie with non-ASCII text is simply not a token
        expected = hmac.new(_secret(users_file), body.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None  # tampered, or signed with another secret
        payload = json.loads(_unb64(body))
        session = Session(
            str(payload["e"]), str(payload["s"]), float(payload["a"]), float(payload["l"])
        )
        fingerprint = str(payload["p"])
    except (ValueError, KeyError, TypeError):
        return None
    if session_expired(
        signed_in_at=session.signed_in_at, last_seen=session.last_seen, now=now, policy=policy
    ):
        return None
    account = load_accounts(users_file).get(session.email)
    if account is None or not still_valid(users_file, session.sid, fingerprint, account):
        return None  # signed out, removed, or the password was reset since
    return session, account


def fingerprint(account: Account) -> str:
    """What a session remembers of the password it began with (not the hash itself)."""
    return _fingerprint(account)


def still_valid(users_file: Path, sid: str, began_with: str, account: Account) -> bool:
    """May a session that began with password fingerprint `began_with` go on?

    Asked on every page run of an open tab as well as on a reload: a sign-out in another
    tab or a password reset ends the session everywhere, not only for new tokens.
    """
    try:
        ended = _signed_out(users_file)
    except _Damaged:
        _start_over(users_file)
        return False
    return sid not in ended and _fingerprint(account) == began_with


def sign_out(users_file: Path, sid: str, *, now: float, policy: SessionPolicy = POLICY) -> None:
    """Refuse this session id from now on (its token may still sit in a browser)."""
    path = signed_out_path(users_file)
    with locked(path):
        try:
            ended = _signed_out(users_file)
        except _Damaged:
            ended = {}
            _new_secret(users_file)  # the lost list's sessions end with the old secret
        ended[sid] = now + policy.absolute_seconds  # after that, its token has expired anyway
        kept = {k: v for k, v in ended.items() if v > now}
        atomic_write(path, json.dumps(kept, sort_keys=True).encode("utf-8"))


class _Damaged(Exception):
    """The signed-out list cannot be read: which sessions were ended is unknown."""


def _signed_out(users_file: Path) -> dict[str, float]:
    try:
        data = json.loads(signed_out_path(users_file).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise _Damaged
        return {str(k): float(v) for k, v in data.items()}
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise _Damaged from exc


def _new_secret(users_file: Path) -> None:
    path = secret_path(users_file)
    with locked(path):
        atomic_write(path, secrets.token_bytes(32), mode=0o600)


def _start_over(users_file: Path) -> None:
    """Fail closed on a damaged signed-out list: a new secret ends every session (their
    tokens no longer verify), so the empty list that replaces it forgets nothing."""
    path = signed_out_path(users_file)
    with locked(path):
        _new_secret(users_file)
        atomic_write(path, b"{}")


def cookie_script(token: str | None, *, max_age: float) -> str:
    """The one line of JavaScript that sets (or, with None, clears) the session cookie.

    Streamlit has no API to set a cookie; `st.html(..., unsafe_allow_javascript=True)`
    runs this in the page. The token is base64url and '.', so it needs no quoting.
    """
    if token is not None and not all(c.isalnum() or c in "-_." for c in token):
        raise ValueError("not a session token")
    value, age = (token, int(max_age)) if token else ("", 0)
    return (
        f"<script>document.cookie = '{COOKIE}={value}; Path=/; Max-Age={age}; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>"
    )

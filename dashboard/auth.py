"""Who is looking: sign-in (local accounts or OpenID Connect), sign-out, and the audit trail.

`viewer(db)` runs at the top of every script run, before any page draws. It returns the
signed-in Viewer, or draws the sign-in page and stops the run. Its scope is put into
state.VIEWER_SCOPE, from which every Filters the pages build takes it (issue 10).

Modes (chosen by `fbss dashboard`, dashboard/launch.py, and passed in the environment):
- local accounts: FBSS_USERS names an accounts file that exists -> e-mail and password;
- OIDC: Streamlit's secrets hold an [auth] section -> st.login; the role and scope come
  from the ID token's claims (fbss_role, fbss_clinics, fbss_physician, fbss_can_import)
  or, when absent, from the accounts file matched by e-mail;
- neither: single-user local mode (bound to 127.0.0.1 by launch.py), the operator's view.

A little over 300 lines: both sign-in flows, the session and the audit hooks read best
together; the browser cookie itself is in session_cookie.py.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import streamlit as st

from access import audit, session_token
from access.accounts import (
    DEFAULT_USERS_NAME,
    AccessError,
    Account,
    check_scope,
    load_accounts,
)
from access.peer_key import keyed
from access.scope import Scope
from access.signin import Refused, authenticate, session_expired
from access.viewer import account_for, verified_email
from dashboard import session_cookie, state

SESSION_KEY = "fbss_signed_in"
VIEWER_KEY = "fbss_viewer"
# Claim names an identity provider can send (documented in docs/deployment.md).
ROLE_CLAIM, CLINICS_CLAIM, PHYSICIAN_CLAIM = "fbss_role", "fbss_clinics", "fbss_physician"
IMPORT_CLAIM = "fbss_can_import"


@dataclass(frozen=True)
class Viewer:
    """The person looking and what they may see."""

    email: str | None  # None in single-user local mode
    scope: Scope
    how: str  # "local", "password" or "oidc"

    @property
    def is_admin(self) -> bool:
        return self.scope.is_everything

    @property
    def can_import(self) -> bool:
        """Decided by the scope (access/scope.py): admin, or a manager granted Import."""
        return self.scope.can_import


def users_file(db: Path) -> Path:
    """The accounts file: $FBSS_USERS (set by `fbss dashboard --users`), else beside the store."""
    named = os.environ.get("FBSS_USERS")
    return Path(named) if named else db.parent / DEFAULT_USERS_NAME


def audit_file(db: Path) -> Path:
    return audit.audit_path_from(None, db)


def oidc_configured() -> bool:
    """True when Streamlit's secrets hold an [auth] section (what st.login needs)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, OSError, KeyError):
        return False
    except Exception:
        return False


def sign_in_required(db: Path) -> bool:
    return users_file(db).is_file() or oidc_configured()


def record(db: Path, action: str, user: str | None, what: Mapping[str, object]) -> None:
    """One line in the audit trail (who, when, what)."""
    audit.record(audit_file(db), user=user, action=action, what=what)


def viewer(db: Path) -> Viewer:
    """The signed-in viewer, or the sign-in page and st.stop()."""
    if not sign_in_required(db):
        found = Viewer(None, Scope.everything(), "local")
    elif oidc_configured():
        found = _oidc_viewer(db)
    else:
        found = _password_viewer(db)
    if found.email is not None:
        # peers are numbered by a keyed hash, so the staff list cannot undo "Peer N"
        found = replace(found, scope=keyed(found.scope, users_file(db)))
    state.VIEWER_SCOPE.set(found.scope)
    st.session_state[VIEWER_KEY] = (db, found)
    return found


def current() -> Viewer | None:
    """The viewer of this run (set by viewer())."""
    held = st.session_state.get(VIEWER_KEY)
    return held[1] if held else None


def download_recorder(title: str) -> Callable[[], None]:
    """What to call when a download is made: the viewer, page filters and table are taken
    now (in the script run), the record written later, when the file is fetched (which
    may be outside the script's thread, so no Streamlit call is made then)."""
    held = st.session_state.get(VIEWER_KEY)
    if not held or held[1].email is None:
        return lambda: None
    db, who = held
    what = {"file": title, "filters": dict(st.query_params.to_dict())}
    return lambda: record(db, "download", who.email, what)


def on_download(recorder: Callable[[], None], frame: Any) -> bytes:
    """The CSV of a table download, recorded in the audit trail first."""
    from dashboard import downloads

    recorder()
    return downloads.to_csv(frame)


def imported(outcome: object) -> None:
    """Record an import through the Import page (its outcome, never any record value)."""
    held = st.session_state.get(VIEWER_KEY)
    if held:
        record(
            held[0],
            "import",
            held[1].email,
            {"accepted": bool(getattr(outcome, "accepted", False))},
        )


def published(n: int) -> int:
    """A count as this viewer may see it: rounded to 5 for every role but admin."""
    who = current()
    if who is None or who.is_admin:
        return n
    return int(5 * ((n + 2.5) // 5))


# --- local accounts ---------------------------------------------------------------------


def _password_viewer(db: Path) -> Viewer:
    signed = st.session_state.get(SESSION_KEY)
    now = time.time()
    users = users_file(db)
    if not isinstance(signed, dict):
        resumed = session_cookie.resume(users, now)  # a reload: the signed cookie
        if resumed is not None:
            session, account = resumed
            signed = _hold(account, session.sid, session.signed_in_at, now)
            record(db, "sign_in", account.email, {"how": "session cookie", "role": account.role})
    if isinstance(signed, dict):
        if session_expired(signed_in_at=signed["at"], last_seen=signed["seen"], now=now):
            record(db, "sign_out", signed["email"], {"reason": "session timed out"})
            _end(users, signed, now)
            st.session_state["fbss_signin_note"] = "Your session timed out: sign in again."
        else:
            # read again on every run: a removed account or a revoked grant takes effect
            # at once, not at the next sign-in
            current = load_accounts(users).get(signed["email"])
            # ...and a sign-out in another tab or a password reset ends this tab too
            valid = current is not None and session_token.still_valid(
                users, signed["sid"], signed["fp"], current
            )
            if current is not None and valid:
                signed["seen"] = now
                signed["account"] = current
                session_cookie.keep(users, current, signed["sid"], signed["at"], now)
                return _from_account(current, "password")
            reason = "account removed" if current is None else "signed out or password reset"
            record(db, "sign_out", signed["email"], {"reason": reason})
            _end(users, signed, now)
    _sign_in_page(db)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _hold(account: Account, sid: str, signed_in_at: float, now: float) -> dict[str, Any]:
    held = {"account": account, "email": account.email, "at": signed_in_at, "seen": now,
            "sid": sid, "fp": session_token.fingerprint(account)}  # fmt: skip
    st.session_state[SESSION_KEY] = held
    return held


def _end(users: Path, signed: Mapping[str, Any], now: float) -> None:
    """End a local-account session: its token is refused from now on, its cookie cleared."""
    session_token.sign_out(users, str(signed.get("sid", "")), now=now)
    st.session_state.pop(SESSION_KEY, None)
    session_cookie.clear_later()


def _sign_in_page(db: Path) -> None:
    session_cookie.clear_if_asked()
    st.title("Sign in")
    note = st.session_state.pop("fbss_signin_note", None)
    if note:
        st.info(note)
    with st.form("fbss_sign_in"):
        email = st.text_input("Email", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        pressed = st.form_submit_button("Sign in", type="primary")
    if not pressed:
        return
    result = authenticate(email, password, users_file=users_file(db))
    if isinstance(result, Refused):
        record(db, "sign_in_failed", None, {"email": email.strip().lower(), "why": result.reason})
        st.error(result.message)
        return
    now = time.time()
    _hold(result, secrets.token_urlsafe(16), now, now)
    record(db, "sign_in", result.email, {"how": "password", "role": result.role})
    st.rerun()


def _from_account(account: Account, how: str) -> Viewer:
    return Viewer(account.email, Scope.of(account), how)


# --- OpenID Connect ---------------------------------------------------------------------


def _claims_scope(claims: Mapping[str, Any]) -> Scope | None:
    """A scope from the ID token's fbss_* claims, or None when the token has none."""
    role = claims.get(ROLE_CLAIM)
    if not role:
        return None
    raw = claims.get(CLINICS_CLAIM) or ()
    clinics = tuple([raw] if isinstance(raw, str) else [str(c) for c in raw])
    physician = claims.get(PHYSICIAN_CLAIM) or None
    check_scope(str(role), clinics, physician)
    # a manager's Import grant: true (a JSON boolean) or "true" from the provider
    granted = str(claims.get(IMPORT_CLAIM, "")).strip().lower() == "true"
    return Scope(str(role), clinics, physician, granted and str(role) == "manager")


def _oidc_viewer(db: Path) -> Viewer:
    user = st.user
    if not user.is_logged_in:
        st.title("Sign in")
        st.write("This dashboard needs you to sign in with your organisation's account.")
        if st.button("Sign in", type="primary"):
            st.login()
        st.stop()
    email = str(user.get("email") or "").strip().lower()
    try:
        scope = _claims_scope(user.to_dict())
        if scope is None:
            scope = Scope.of(account_for(verified_email(user.to_dict()), users_file(db)))
    except AccessError as exc:
        if not st.session_state.get("fbss_oidc_refused"):
            record(db, "sign_in_failed", None, {"email": email, "how": "oidc", "why": str(exc)})
            st.session_state["fbss_oidc_refused"] = True
        st.title("No access")
        # the reason (which may name the accounts file) goes to the audit trail only
        st.error(
            f"You are signed in as {email or 'an unnamed user'}, but this dashboard has no "
            "access for you. Ask your administrator to add your account."
        )
        if st.button("Sign out"):
            st.logout()
        st.stop()
    if not st.session_state.get(SESSION_KEY):
        st.session_state[SESSION_KEY] = {"email": email, "how": "oidc"}
        record(db, "sign_in", email, {"how": "oidc", "role": scope.role})
    return Viewer(email, scope, "oidc")


# --- sidebar ----------------------------------------------------------------------------


def sign_out_button(db: Path, who: Viewer) -> None:
    """Who is signed in, and a Sign out button (nothing in single-user local mode)."""
    if who.email is None:
        return
    st.sidebar.caption(f"Signed in as {who.email} ({who.scope.role})")
    if st.sidebar.button("Sign out", key="w_sign_out", icon=":material/logout:"):
        record(db, "sign_out", who.email, {"how": who.how})
        signed = st.session_state.get(SESSION_KEY)
        if who.how == "password" and isinstance(signed, dict):
            _end(users_file(db), signed, time.time())
        st.session_state.pop(SESSION_KEY, None)
        if who.how == "oidc":
            st.logout()
        st.rerun()


def page_title(page: Any) -> str:
    """The page's title; "" in bare mode (no Streamlit runtime), where StreamlitPage has
    none, e.g. when a process spawned by a test re-imports this script as __main__."""
    try:
        return str(page.title)
    except AttributeError:
        return ""


def page_view(db: Path, who: Viewer, page: str, query: Mapping[str, object]) -> None:
    """Record a page view with its filters, once per page and URL (not on every widget run)."""
    key = (page, tuple(sorted((k, str(v)) for k, v in query.items())))
    if st.session_state.get("fbss_last_view") == key:
        return
    st.session_state["fbss_last_view"] = key
    if who.email is not None:
        record(db, "page_view", who.email, {"page": page, "filters": dict(query)})

"""The local-account session in a browser cookie, so a reload does not sign the user out.

Read with `st.context.cookies` (the cookies the browser sent when the page connected);
written with one line of JavaScript through `st.html(..., unsafe_allow_javascript=True)`,
since Streamlit has no API to set a cookie. The token itself is made and checked in
access/session_token.py (signed, expiring, revocable); this module is only the browser side.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from access.accounts import Account
from access.session_token import COOKIE, POLICY, Session, cookie_script, issue, verify

ISSUED_KEY = "fbss_cookie_issued"
CLEAR_KEY = "fbss_cookie_clear"
# A fresh token (with a new "last seen") at most this often: the idle limit is counted
# from the last one, so it can run up to this much late.
REFRESH_SECONDS = 60.0


def resume(users: Path, now: float) -> tuple[Session, Account] | None:
    """The session a genuine, current cookie carries (None: sign in)."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (AppTest): no cookie
        return None
    return verify(users, token, now=now)


def keep(users: Path, account: Account, sid: str, signed_in_at: float, now: float) -> None:
    """Write a fresh token when this tab has not had one for REFRESH_SECONDS."""
    if now - float(st.session_state.get(ISSUED_KEY, 0.0)) < REFRESH_SECONDS:
        return
    token = issue(users, account, signed_in_at=signed_in_at, now=now, sid=sid)
    left = POLICY.absolute_seconds - (now - signed_in_at)
    st.html(cookie_script(token, max_age=left), unsafe_allow_javascript=True)
    st.session_state[ISSUED_KEY] = now


def clear_later() -> None:
    """Clear the cookie on the next run (the sign-in page): a rerun follows at once."""
    st.session_state[CLEAR_KEY] = True
    st.session_state.pop(ISSUED_KEY, None)


def clear_if_asked() -> None:
    if st.session_state.pop(CLEAR_KEY, False):
        st.html(cookie_script(None, max_age=0), unsafe_allow_javascript=True)

"""Audit trail (admins only): who signed in, looked at what and downloaded or imported what.

The page is registered only for admins (streamlit_app.py); it checks again here, so a
direct URL by anyone else shows nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from access import audit
from dashboard import auth, ui
from dashboard.sidebar import context

ctx = context()
who = auth.current()
st.title("Audit trail")
if who is None or not who.is_admin:
    st.error("Only an administrator can see the audit trail.")
    st.stop()
st.caption(
    "Every sign-in, failed sign-in, sign-out, page view with its filters, download and "
    "import, newest first. The same records as `fbss audit`."
)
since = st.date_input("Since", value=dt.date.today() - dt.timedelta(days=30), key="w_audit_since")
user = st.text_input("User (e-mail)", key="w_audit_user")
entries, damaged = audit.read(
    auth.audit_file(ctx.db),
    since=since if isinstance(since, dt.date) else None,
    user=user or None,
)
if damaged:
    st.warning(f"{damaged} line(s) of the audit file could not be read and are not shown.")
frame = pd.DataFrame(
    [
        {"at": e["at"], "user": e.get("user") or "", "action": e["action"], "what": str(e["what"])}
        for e in reversed(entries)
    ],
    columns=["at", "user", "action", "what"],
)
ui.table(frame, "Audit trail", key="audit", expanded=True)

"""The dashboard's entry: page setup, the shared sidebar, navigation between the pages.

Run it with `fbss dashboard [--db FILE] [--port N]` (see launch.py), which calls
`streamlit run dashboard/streamlit_app.py -- --db FILE`.
"""

from __future__ import annotations

import streamlit as st

from analytics import readers
from dashboard import auth, chrome, data, report_action, sidebar, ui

st.set_page_config(
    page_title="FBSS outcomes",
    page_icon=":material/monitoring:",
    layout="wide",
    initial_sidebar_state="expanded",
)

# The server keeps a store's read-only connection open between a page's queries and
# runs, for a few idle seconds (analytics/readers.py says why that is safe).
readers.keep_open()

# Who is looking, before any page draws: the sign-in page (and a stop) when nobody is
# signed in; the viewer's scope is then in force for every figure (dashboard/auth.py).
DB = data.configured_db()
WHO = auth.viewer(DB)

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page(
        "app_pages/causes.py",
        title="Causes & pathways",
        icon=":material/grid_on:",
        url_path="causes",
    ),
    st.Page(
        "app_pages/compare.py",
        title="Compare pathways",
        icon=":material/compare_arrows:",
        url_path="compare",
    ),
    st.Page(
        "app_pages/providers.py",
        title="Physicians & clinics",
        icon=":material/groups:",
        url_path="providers",
    ),
]
# Load details and store paths are for admins only (issue 10).
if WHO.is_admin:
    PAGES.append(
        st.Page(
            "app_pages/quality.py",
            title="Data quality",
            icon=":material/fact_check:",
            url_path="quality",
        )
    )
if WHO.can_import:
    PAGES.append(
        st.Page(
            "app_pages/import_data.py",
            title="Import",
            icon=":material/upload_file:",
            url_path="import",
        )
    )
if WHO.is_admin and WHO.email is not None:
    PAGES.append(
        st.Page(
            "app_pages/audit.py", title="Audit trail", icon=":material/policy:", url_path="audit"
        )
    )

page = st.navigation(PAGES)
chrome.inject()
context = sidebar.render(DB, show_store=WHO.is_admin)
auth.sign_out_button(DB, WHO)
auth.page_view(DB, WHO, auth.page_title(page), dict(st.query_params.to_dict()))
ui.page_header(context)
report_action.report_action()  # the sidebar's Report (PDF) control
page.run()
sidebar.sync_url()

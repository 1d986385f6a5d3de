"""The dashboard's entry: page setup, the shared sidebar, navigation between the pages.

Run it with `fbss dashboard [--db FILE] [--port N]` (see launch.py), which calls
`streamlit run dashboard/streamlit_app.py -- --db FILE`.
"""

from __future__ import annotations

import streamlit as st

from dashboard import chrome, data, sidebar, ui

st.set_page_config(
    page_title="FBSS outcomes",
    page_icon=":material/monitoring:",
    layout="wide",
    initial_sidebar_state="expanded",
)

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
    st.Page(
        "app_pages/quality.py",
        title="Data quality",
        icon=":material/fact_check:",
        url_path="quality",
    ),
    st.Page(
        "app_pages/import_data.py", title="Import", icon=":material/upload_file:", url_path="import"
    ),
]

page = st.navigation(PAGES)
chrome.inject()
context = sidebar.render(data.configured_db())
ui.page_header(context)
ui.report_action()  # the sidebar's Report (PDF) control
page.run()
sidebar.sync_url()

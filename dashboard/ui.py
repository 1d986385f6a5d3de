"""Small Streamlit building blocks every page uses: empty states, charts, tables with CSV.

Pages stay thin: they pick figures from `data`, shape them with `tables`, draw them with
`charts`, and show them with these helpers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from analytics.definitions import DEFAULT_MIN_CELL, AnalyticsError
from dashboard import auth, data, downloads, showing
from dashboard.charts import Figure
from dashboard.sidebar import Context, current_view, set_view

SUFFIX_KEY = "_fbss_file_suffix"

LOAD_HINT = (
    "Load the synthetic sample from a terminal with\n\n"
    "```sh\n.venv/bin/fbss load data/sample --db {db}\n```\n\n"
    "or upload a clinic's export on the **Import** page, then press **Refresh** in the sidebar."
)


def no_store(ctx: Context) -> None:
    """The friendly empty state when nothing has been loaded yet."""
    st.info(f"**No data loaded yet** in `{ctx.db}`.", icon=":material/inbox:")
    st.markdown(LOAD_HINT.format(db=ctx.db))


def _clear_filters() -> None:
    set_view(current_view().cleared_filters())


def no_cases(n_cases: int, what: str = "these filters") -> None:
    """The empty state when the filters leave no case, or too few to show."""
    # One message for 0 and for 1-4 cases: two messages would tell "none" from "a few",
    # which is itself a disclosure (issue 10).
    if n_cases < DEFAULT_MIN_CELL:
        st.warning(
            f"**Fewer than {DEFAULT_MIN_CELL} cases match {what}.** Figures for groups this "
            "small are hidden to protect patients' privacy; widen the filters.",
            icon=":material/visibility_off:",
        )
    st.button("Clear all filters", key="w_clear_all_filters", on_click=_clear_filters)


def enough_cases(ctx: Context, filters: Any, what: str = "these filters") -> bool:
    """Show the right empty state and return False unless at least min_cell cases are in view."""
    if not ctx.has_data or ctx.version is None:
        no_store(ctx)
        return False
    if filters is None:
        no_cases(0, what)
        return False
    n = data.count_cases(ctx.version, filters)
    if n < DEFAULT_MIN_CELL:
        no_cases(n, what)
        return False
    return True


def chart(
    figure: Figure,
    *,
    key: str | None = None,
    on_select: Callable[[], None] | str = "ignore",
) -> Any:
    """An Altair chart across the page's width (clickable when on_select is given)."""
    kwargs: dict[str, Any] = {"width": "stretch"}
    if key is not None:
        kwargs["key"] = key
    if on_select != "ignore":
        kwargs["on_select"] = on_select
        kwargs["selection_mode"] = ["pick"]
    return st.altair_chart(figure, **kwargs)


def table(
    frame: pd.DataFrame, title: str, *, key: str, expanded: bool = False, height: int | None = None
) -> None:
    """A table in an expander, with a CSV download (formulas neutralised)."""
    with st.expander(f"Table: {title}", expanded=expanded):
        kwargs: dict[str, Any] = {"hide_index": True, "width": "stretch"}
        if height is None and len(frame) <= 25:
            height = 38 + 35 * max(len(frame), 1)  # every row without an inner scroll bar
        if height is not None:
            kwargs["height"] = height
        st.dataframe(frame, **kwargs)
        record_download = auth.download_recorder(title)
        st.download_button(
            "Download CSV",
            # made only when clicked, and recorded in the audit trail then (issue 10)
            data=lambda: auth.on_download(record_download, frame),
            file_name=downloads.file_name(title, st.session_state.get(SUFFIX_KEY, "")),
            mime="text/csv",
            key=f"dl_{key}",
            icon=":material/download:",
            on_click="ignore",
        )


def data_date(ctx: Context) -> dt.date | None:
    """The day the store was last written (a load replaces the file): the data's date."""
    if ctx.version is None:
        return None
    return dt.datetime.fromtimestamp(ctx.version.mtime_ns / 1e9).date()


def page_header(ctx: Context) -> None:
    """'Showing: <filters> · data as of <date>' and a Copy link button, on every page.

    The same words name the page's CSV downloads. The link is the page's address with the
    view's query parameters: the one a colleague opens to see exactly this view.
    """
    view = current_view()
    as_of = data_date(ctx)
    st.session_state[SUFFIX_KEY] = showing.file_suffix(view, as_of)
    line, button = st.columns([5, 1], vertical_alignment="center")
    line.caption(
        showing.showing_line(view, as_of),
        help="Filters in the sidebar; data date: when the store was last loaded.",
    )
    query = urlencode(view.to_query(), doseq=True)
    base = str(st.context.url or "").split("?")[0]
    with button.popover("Copy link", icon=":material/link:", width="stretch"):
        st.caption("This view's link (the copy icon copies it):")
        st.code(base + (f"?{query}" if query else ""), language=None, wrap_lines=True)


def guarded(render: Callable[[], None]) -> None:
    """Run a page body; a question the analytics cannot answer becomes a message."""
    try:
        render()
    except AnalyticsError as exc:
        st.warning(f"This view cannot be computed as asked: {exc}", icon=":material/warning:")
    except Exception as exc:
        from analytics import StoreMissingError

        if isinstance(exc, StoreMissingError):
            st.info(str(exc), icon=":material/inbox:")
            return
        raise

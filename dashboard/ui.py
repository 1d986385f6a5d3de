"""Small Streamlit building blocks every page uses: empty states, charts, tables with CSV.

Pages stay thin: they pick figures from `data`, shape them with `tables`, draw them with
`charts`, and show them with these helpers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import pandas as pd
import streamlit as st

from analytics.definitions import DEFAULT_MIN_CELL, AnalyticsError
from dashboard import auth, data, downloads, showing
from dashboard.charts import Figure
from dashboard.sidebar import Context, current_view, set_view
from pipelines import store

SUFFIX_KEY = "_fbss_file_suffix"
CHART_KEYS = "_fbss_chart_keys"  # chart titles drawn in this run (ui.guarded resets it)

LOAD_HINT = (
    "Load the synthetic sample from a terminal with\n\n"
    "```sh\n.venv/bin/fbss load data/sample --db {db}\n```\n\n"
    "or upload a clinic's export on the **Import** page, then press **Refresh** in the sidebar."
)

# What a signed-in user other than an admin reads instead: no path, no command.
NO_DATA_FOR_USERS = (
    "**No data loaded yet.** Figures appear here once an administrator has loaded the "
    "clinic's records."
)

DAMAGED = (
    "**The store cannot be read.** Its file is damaged or is not an fbss store. Restore it "
    "from a backup, or move it aside and load the clinic's exports again "
    "(docs/deployment.md)."
)


def damaged_store() -> None:
    st.error(DAMAGED, icon=":material/report:")


def _unreadable(db: Path) -> bool:
    """Whether a store file exists but cannot be opened (issue 10: a damaged store)."""
    if not db.is_file():
        return False
    try:
        with store.reader(db):
            return False
    except duckdb.Error:
        return True


def no_store(ctx: Context) -> None:
    """The friendly empty state when nothing has been loaded yet (or the store is damaged)."""
    if _unreadable(Path(ctx.db)):
        damaged_store()
        return
    who = auth.current()
    if who is not None and not who.is_admin:
        # store paths and load details are for admins only (issue 10)
        hint = " Upload your clinic's export on the **Import** page." if who.can_import else ""
        st.info(NO_DATA_FOR_USERS + hint, icon=":material/inbox:")
        return
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


def start_count(ctx: Context, filters: Any) -> Future[int] | None:
    """Start counting the cases in view on the query pool (None: no store or no filters).

    A page starts its figures right after, before it knows the count (issue 7: the count
    used to run alone first); they are drawn only if `enough_cases` then says so.
    """
    if not ctx.has_data or ctx.version is None or filters is None:
        return None
    return data.submit(data.count_cases, ctx.version, filters)


def enough_cases(
    ctx: Context, filters: Any, what: str = "these filters", count: Future[int] | None = None
) -> bool:
    """Show the right empty state and return False unless at least min_cell cases are in view."""
    if not ctx.has_data or ctx.version is None:
        no_store(ctx)
        return False
    if filters is None:
        no_cases(0, what)
        return False
    n = count.result() if count is not None else data.count_cases(ctx.version, filters)
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
    """An Altair chart across the page's width (clickable when on_select is given), with
    PNG and SVG downloads of the same spec captioned with its title, filters and as-of day."""
    kwargs: dict[str, Any] = {"width": "stretch"}
    if key is not None:
        kwargs["key"] = key
    if on_select != "ignore":
        kwargs["on_select"] = on_select
        kwargs["selection_mode"] = ["pick"]
    shown = st.altair_chart(Unvalidated(figure), **kwargs)  # type: ignore[call-overload]
    _image_downloads(figure, key)
    return shown


class Unvalidated:
    """A figure that Streamlit turns into its spec without Altair's JSON-schema check.

    `st.altair_chart` uses the chart only through `chart.to_dict()` (with its own data
    transformer and theme installed around the call). Altair validates the whole spec
    there: 0.4 s of the Compare page's run at 1M (issue 7). Our charts are validated
    where they are built and tested (tests/app assert on `chart.to_dict()`, which
    validates), so the page skips it; the spec is the same dict either way
    (tests/app/test_unvalidated_charts.py).
    """

    def __init__(self, figure: Figure) -> None:
        self.figure = figure

    def to_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        kwargs["validate"] = False
        spec: dict[str, Any] = self.figure.to_dict(*args, **kwargs)
        return spec


def _image_downloads(figure: Figure, key: str | None) -> None:
    """Two small download buttons under a chart; the image is made only when clicked."""
    import hashlib

    from dashboard import screen_theme
    from dashboard.chart_images import chart_image
    from dashboard.sidebar import context

    title = _title(figure) or "chart"
    caption = image_caption(title, current_view(), data_date(context()), dt.date.today())
    # A stable, unique key: the title, numbered when a page draws two charts of one title
    # (hashing the whole spec, as before, cost 0.05 s a chart: Altair validates it).
    seen: dict[str, int] = st.session_state.setdefault(CHART_KEYS, {})
    base = hashlib.sha1(title.encode("utf-8")).hexdigest()[:12]
    n = seen.get(base, 0)
    seen[base] = n + 1
    ident = key or (base if n == 0 else f"{base}_{n}")
    suffix = st.session_state.get(SUFFIX_KEY, "")
    name = downloads.file_name(title, suffix).rsplit(".", 1)[0]
    # The image is as wide as the chart's container at the reference window (screen_theme);
    # a chart inside st.columns(2) gets half (Streamlit's own nesting check reads the same
    # private attribute; if a later Streamlit renames it, images fall back to page width
    # rather than break the page — tests/e2e/test_chart_images.py would then fail).
    active = getattr(st._main, "_active_dg", None)
    in_column = "column" in getattr(active, "_ancestor_block_types", ())
    width = screen_theme.COLUMN_WIDTH if in_column else screen_theme.MAIN_WIDTH
    left, right, _ = st.columns([1, 1, 6])
    for column, fmt, mime in ((left, "png", "image/png"), (right, "svg", "image/svg+xml")):
        column.download_button(
            fmt.upper(),
            data=lambda fmt=fmt: chart_image(figure, fmt, caption=caption, width=width),  # type: ignore[misc]
            file_name=f"{name}.{fmt}",
            mime=mime,
            key=f"img_{fmt}_{ident}",
            icon=":material/image:",
            help=f"Download this chart as {fmt.upper()}, captioned with its filters and date",
            on_click="ignore",
        )


def _title(figure: Figure) -> str:
    """The chart's title text, read off the figure (reports.images.chart_title turns the
    whole chart into a validated spec first: 0.07 s a chart); that when it is not set at
    the top."""
    import altair as alt

    from reports.images import chart_title

    title: Any = getattr(figure, "title", alt.Undefined)
    if isinstance(title, alt.TitleParams):
        title = title.text
    if isinstance(title, str):
        return title
    if isinstance(title, list) and all(isinstance(t, str) for t in title):
        return " ".join(title)
    return chart_title(figure)


def image_caption(title: str, view: Any, data_day: dt.date | None, today: dt.date) -> list[str]:
    """A chart image's caption: its title, the page's Showing line, the figures' day."""
    return [
        title,
        showing.showing_line(view, data_day),
        f"Figures as of {today:%d %b %Y} (records dated up to this day)",
    ]


def table(
    frame: pd.DataFrame,
    title: str,
    *,
    key: str,
    expanded: bool = False,
    height: int | None = None,
    full: Callable[[], pd.DataFrame] | None = None,
) -> None:
    """A table in an expander, with a CSV download (formulas neutralised).

    The CSV holds `frame`, or `full()` when given: a longer table than the one shown,
    made only when the download is clicked."""
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
            data=lambda: auth.on_download(record_download, frame if full is None else full()),
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
    st.session_state[CHART_KEYS] = {}
    try:
        render()
    except AnalyticsError as exc:
        st.warning(f"This view cannot be computed as asked: {exc}", icon=":material/warning:")
    except Exception as exc:
        from analytics import StoreMissingError

        if isinstance(exc, StoreMissingError):
            st.info(str(exc), icon=":material/inbox:")
            return
        if isinstance(exc, duckdb.Error) and not isinstance(exc, duckdb.CatalogException):
            damaged_store()  # one message for a damaged store, never a traceback
            return
        raise

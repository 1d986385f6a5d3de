"""The shared sidebar (filters, responder definition, timepoint) and the URL it keeps.

The view lives in `st.session_state["view"]` (a frozen `state.View`). It is read from the
URL's query parameters once, when a session starts (a bookmark or a shared link), and
written back to the URL after every change, so the address bar always restores the
view. Each widget is keyed `w_<field>` and shows the view's value; its on_change callback
writes the new value into the view (the pattern that keeps page options alive across
page switches).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics.definitions import PRESETS
from analytics.queries import StoreMissingError
from dashboard import data, labels
from dashboard.state import CHOICES, LIST_CHOICES, View, query_equal
from pipelines import vocabulary as vocab

VIEW_KEY = "view"
CONTEXT_KEY = "_fbss_context"


@dataclass
class Context:
    """What every page needs: the store, its version and options, and the view."""

    db: Path
    version: data.StoreFile | None
    view: View
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.version is not None and int(self.options.get("n_cases") or 0) > 0


def current_view() -> View:
    view = st.session_state.get(VIEW_KEY)
    return view if isinstance(view, View) else View()


def set_view(view: View) -> None:
    st.session_state[VIEW_KEY] = view


def update_view(**changes: object) -> None:
    """Change some fields of the view (used by widget callbacks and buttons)."""
    set_view(current_view().with_values(**changes))


def _query_now() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def sync_url() -> None:
    """Write the view to the URL's query parameters when they differ."""
    wanted = current_view().to_query()
    if not query_equal(_query_now(), wanted):
        st.query_params.from_dict(wanted)


def widget_key(name: str) -> str:
    return f"w_{name}"


def _from_widget(name: str, convert: Callable[[Any], Any] | None = None) -> None:
    value = st.session_state.get(widget_key(name))
    update_view(**{name: convert(value) if convert else value})


def choice(
    name: str,
    label: str,
    options: Sequence[str],
    *,
    format_func: Callable[[str], str] | None = None,
    kind: str = "selectbox",
    help: str | None = None,
    container: Any = None,
) -> str:
    """A single-choice widget bound to one field of the view; returns the chosen code."""
    box = container or st
    view = current_view()
    value = getattr(view, name)
    if value not in options:
        value = options[0]
        update_view(**{name: value})
    key = widget_key(name)
    st.session_state[key] = value
    fmt = format_func or (lambda v: v)
    common = {"key": key, "on_change": _from_widget, "args": (name,), "help": help}
    if kind == "segmented":
        box.segmented_control(
            label,
            list(options),
            format_func=fmt,
            selection_mode="single",
            required=True,
            **common,
        )
    elif kind == "radio":
        box.radio(label, list(options), format_func=fmt, horizontal=True, **common)
    else:
        box.selectbox(label, list(options), format_func=fmt, **common)
    return value


def open_section(name: str) -> str:
    """The open section (tab) of a page, from the view: its first when the view's is not
    one of state.CHOICES[name] (a stale or hand-made URL, which is then cleaned).

    Known before any tab is drawn, so a page can start that section's figures first."""
    codes = CHOICES[name]
    value = getattr(current_view(), name)
    if value not in codes:
        value = codes[0]
        update_view(**{name: value})
    return str(value)


def sections(name: str, titles: Mapping[str, str]) -> DeltaGenerator:
    """Tabs bound to one field of the view; returns the open section's container.

    `titles` maps each section's code (state.CHOICES[name], in order) to its tab title.
    The open section (open_section) is in the view, so in the URL and kept across page
    switches; choosing another tab reruns the script (`on_change`), so a page draws, and
    computes, only the open section: after a filter change that is what the viewer waits
    for (issue 7). Widgets drawn in a section lose their state when another tab is open
    (Streamlit forgets widgets a run does not draw): see keep_widget_state.
    """
    codes = list(titles)
    if tuple(codes) != CHOICES[name]:
        raise ValueError(f"the tabs of {name} are {CHOICES[name]}, not {tuple(codes)}")
    value = open_section(name)
    key = widget_key(name)
    st.session_state[key] = titles[value]
    by_title = {title: code for code, title in titles.items()}
    tabs = st.tabs(
        list(titles.values()),
        key=key,
        on_change=_from_widget,
        args=(name, lambda title: by_title.get(title, codes[0])),
    )
    return tabs[codes.index(value)]


def keep_widget_state(keys: Sequence[str]) -> None:
    """Keep these widgets' values through runs that do not draw them (a closed tab).

    Streamlit deletes a widget's value at the end of a run that did not draw it;
    writing the value back through the Session State API makes it the user's, which
    Streamlit keeps (its documented way to keep widget state across pages)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _multi(name: str, label: str, options: Sequence[str], fmt: Callable[[str], str]) -> None:
    view = current_view()
    chosen = [v for v in getattr(view, name) if v in options]
    key = widget_key(name)
    st.session_state[key] = chosen
    st.multiselect(
        label,
        list(options),
        format_func=fmt,
        key=key,
        on_change=_from_widget,
        args=(name, tuple),
        placeholder="All",
    )


def _dates_changed(first: dt.date, last: dt.date) -> None:
    value = st.session_state.get(widget_key("dates"))
    if isinstance(value, dt.date):
        value = (value,)
    value = tuple(value or ())
    if len(value) == 1:
        return  # the second date is still being picked
    if not value:
        update_view(treatment_from=None, treatment_to=None)
        return
    start, end = value
    # The full range is no filter, so cases treated after a later load stay in view.
    update_view(
        treatment_from=None if start <= first else start,
        treatment_to=None if end >= last else end,
    )


def _date_range(options: dict[str, Any]) -> None:
    first, last = options.get("first_treatment"), options.get("last_treatment")
    if not isinstance(first, dt.date) or not isinstance(last, dt.date):
        return
    view = current_view()
    start = min(max(view.treatment_from or first, first), last)
    end = max(min(view.treatment_to or last, last), start)
    key = widget_key("dates")
    st.session_state[key] = (start, end)
    st.date_input(
        "Treatment date",
        min_value=first,
        max_value=last,
        key=key,
        on_change=_dates_changed,
        args=(first, last),
        format="YYYY-MM-DD",
        help="Cases whose index treatment (repeat surgery or less invasive option) "
        "falls in this range.",
    )


def _reset() -> None:
    set_view(current_view().cleared_filters())


def _filter_widgets(options: dict[str, Any]) -> None:
    st.sidebar.header("Cases in view")
    with st.sidebar:
        _date_range(options)
        _multi("clinic", "Clinic", options.get("clinic", []), str)
        _multi("physician", "Physician", options.get("physician", []), str)
        _multi(
            "cause", "Cause of failed back surgery", LIST_CHOICES["cause"], labels.CAUSE.__getitem__
        )
        _multi(
            "index_surgery",
            "Index surgery",
            LIST_CHOICES["index_surgery"],
            labels.INDEX_SURGERY.__getitem__,
        )
        _multi("sex", "Sex", LIST_CHOICES["sex"], labels.SEX.__getitem__)
        _multi("age_band", "Age band", LIST_CHOICES["age_band"], labels.AGE_BAND.__getitem__)
        st.button(
            "Clear filters",
            key="w_clear_filters",
            on_click=_reset,
            disabled=current_view().filters().is_empty(),
        )
        st.header("How outcomes are counted")
        choice(
            "responder",
            "Responder definition",
            list(PRESETS),
            format_func=labels.RESPONDER.__getitem__,
            help="What counts as getting better. "
            + " ".join(f"{p.label}: {p.source}" for p in PRESETS.values()),
        )
        choice(
            "timepoint",
            "Timepoint",
            list(vocab.FOLLOWUP_TIMEPOINTS),
            format_func=labels.TIMEPOINT.__getitem__,
            help="Follow-up time after treatment at which rates are reported.",
        )


def render(db: Path, *, show_store: bool = True) -> Context:
    """Read the store's options, restore the view from the URL once, draw the sidebar."""
    version = data.store_file(db)
    options: dict[str, Any] = {}
    if version is not None:
        try:
            options = data.filter_options(version, View().filters().scope)
        except (StoreMissingError, duckdb.Error):  # no case tables yet: no data
            options = {}
    if VIEW_KEY not in st.session_state:
        set_view(
            View.from_query(
                _query_now(),
                clinics=options.get("clinic") if options else None,
                physicians=options.get("physician") if options else None,
            )
        )
    ctx = Context(db=db, version=version, view=current_view(), options=options)
    if ctx.has_data:
        _filter_widgets(options)
        ctx.view = current_view()
    st.sidebar.button(
        "Refresh",
        key="w_refresh",
        icon=":material/refresh:",
        help="Show data loaded since this page was drawn (every figure is re-read from the "
        "store when it has changed).",
    )
    if show_store:  # admins only when sign-in is on (issue 10)
        st.sidebar.caption(f"Store: `{db}`")
    sync_url()
    st.session_state[CONTEXT_KEY] = ctx
    return ctx


def context() -> Context:
    """The context the entry script built for this run."""
    ctx = st.session_state.get(CONTEXT_KEY)
    if not isinstance(ctx, Context):
        raise RuntimeError("the sidebar has not been drawn in this run")
    ctx.view = current_view()
    return ctx

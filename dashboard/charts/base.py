"""The pieces every chart shares: rows to draw, an empty state, group colours and order.

No streamlit here. Suppressed rows are never drawn with a number; colours come from
`palette`, so a pathway or treatment looks the same on every page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, TypeAlias

import altair as alt
import pandas as pd

from analytics.definitions import DEFAULT_MIN_CELL
from dashboard import labels, palette
from pipelines import vocabulary as vocab

# What every chart function returns: a single view, layers of views, or small multiples.
Figure: TypeAlias = alt.Chart | alt.LayerChart | alt.FacetChart

PICK = "pick"  # name of the click selection on the Causes & pathways charts
TIMEPOINT_ORDER: list[str] = [labels.TIMEPOINT[c] for c in vocab.TIMEPOINTS]
PCT = ".0%"
PCT1 = ".1%"
TENTHS = [i / 10 for i in range(11)]
HISTOGRAM_WIDTH = 300  # fits half of a 1,024 px page with the sidebar collapsed
BARS_WIDTH = 440  # with 360 px of labels: fits a 1,024 px page
# A group under the minimum cell keeps its place on an axis with this text (never a number).
MIN_SHOWN = DEFAULT_MIN_CELL
HIDDEN = f"hidden (<{MIN_SHOWN})"
LEGEND_COLUMNS = 2  # facets cannot stretch to the container: a width that fits half a page


# Rules (whiskers, zero and target lines) carry no ARIA of their own (`aria=False`): Vega
# gives a rule mark's container an image role without a title, which screen readers
# announce as an unlabelled image (axe: svg-img-alt). Their figures are in the bars'
# descriptions and in the table under every chart.


def visible_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that are not suppressed, as a plain copy."""
    if frame.empty:
        return frame.copy()
    if "suppressed" in frame.columns:
        frame = frame[~frame["suppressed"].fillna(False).astype(bool)]
    return frame.reset_index(drop=True).copy()


def as_floats(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Nullable numbers as plain floats (NaN), which Vega reads as null."""
    for col in columns:
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def interval_text(low: pd.Series, high: pd.Series, digits: int = 0) -> pd.Series:
    """Each row's interval as text ("52% to 95%"), blank where it is missing."""
    return pd.Series(
        [labels.interval(lo, hi, digits) for lo, hi in zip(low, high, strict=True)],
        index=low.index,
        dtype=object,
    )


def hidden_message() -> str:
    """What a chart says when its groups exist but are all too small to show."""
    return f"No group here has {MIN_SHOWN} or more patients, so all are hidden: widen the profile"


def empty_chart(title: str, message: str = "No cases to show with these filters") -> alt.Chart:
    """A chart holding only a message, for frames with nothing to draw."""
    frame = pd.DataFrame({"message": [message]})
    return (
        alt.Chart(frame, title=title)
        .mark_text(fontSize=14, color=palette.NEUTRAL)
        .encode(text="message:N")
        .properties(height=80)
    )


def nothing_to_draw(title: str, frame: pd.DataFrame) -> alt.Chart:
    """The empty state: "all hidden" when the frame had groups that are all suppressed."""
    hidden = frame["suppressed"] if "suppressed" in frame.columns else pd.Series([False])
    if not frame.empty and hidden.fillna(False).astype(bool).all():
        return empty_chart(title, hidden_message())
    return empty_chart(title)


def label_groups(frame: pd.DataFrame, column: str, field: str = "group") -> pd.DataFrame:
    """Add `<field>` (the code) and `<field>_label` for a group column."""
    frame[field] = frame[column].astype(str)
    frame[f"{field}_label"] = frame[column].map(lambda v: labels.value_label(column, v))
    return frame


def group_colour(
    frame: pd.DataFrame,
    column: str,
    *,
    field: str = "group_label",
    code_field: str = "group",
    legend: bool = True,
    orient: Literal["bottom", "right"] = "bottom",
) -> alt.Color:
    """Colour by a group column's labels with each code's fixed colour."""
    domain_codes, colours = palette.scale(column, frame[code_field].dropna().unique())
    domain = [labels.value_label(column, c) for c in domain_codes]
    return alt.Color(
        f"{field}:N",
        title=labels.GROUP_TITLE.get(column, column),
        scale=alt.Scale(domain=domain, range=colours),
        sort=domain,
        legend=(
            alt.Legend(
                orient=orient, columns=1 if orient == "right" else LEGEND_COLUMNS, labelLimit=260
            )
            if legend
            else None
        ),
    )


def tall(base: int, frame: pd.DataFrame, field: str = "group") -> int:
    """Total height for a chart with a bottom legend: the plot keeps `base` pixels."""
    n = frame[field].nunique() if field in frame.columns else 1
    return base + 30 * math.ceil(max(n, 1) / LEGEND_COLUMNS)


def group_order(frame: pd.DataFrame, column: str) -> list[str]:
    """The labels of the groups present, in vocabulary order."""
    codes = palette.ordered(column, frame["group"].dropna().unique())
    return [labels.value_label(column, c) for c in codes]


def cause_order(frame: pd.DataFrame) -> list[str]:
    """The labels of the causes present, in vocabulary order."""
    codes = palette.ordered("cause", frame["cause"].dropna().unique())
    return [labels.CAUSE[c] for c in codes]

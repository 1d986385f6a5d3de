"""A dashboard chart as a PNG or SVG image, rendered offline by vl-convert (no network).

`figure_image` is what both the PDF report and the dashboard's chart downloads use, so the
image is the chart's own spec, not a redrawing. A caption (title, filters, as-of date)
goes under the chart as part of the image, so a pasted slide keeps its context.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import altair as alt
import pandas as pd
import vl_convert

Format = Literal["png", "svg"]
DEFAULT_WIDTH = 640  # charts drawn "across the page" have no width of their own
CAPTION_FONT_SIZE = 11
FONT = "DejaVu Sans"  # Debian's fonts-dejavu-core, also the PDF's font (installed offline)


def _fixed_width(spec: dict[str, Any], width: int) -> dict[str, Any]:
    """Give a container-wide chart a real width: vl-convert has no container to fill."""
    if spec.get("width") == "container" or (
        "width" not in spec and not any(k in spec for k in ("facet", "hconcat", "vconcat"))
    ):
        spec["width"] = width
    return spec


def with_caption(figure: Any, caption: Sequence[str]) -> Any:
    """The figure above a few lines of grey caption text (nothing added when empty)."""
    lines = [line for line in caption if line]
    if not lines:
        return figure
    text = (
        alt.Chart(pd.DataFrame({"line": lines, "row": range(len(lines))}))
        .mark_text(align="left", baseline="top", fontSize=CAPTION_FONT_SIZE, color="#444444")
        .encode(
            text="line:N",
            y=alt.Y("row:O", axis=None),
            x=alt.value(0),
        )
        .properties(
            height=16 * len(lines) + 6,  # room under the last line's descenders
            width=DEFAULT_WIDTH,
            view=alt.ViewBackground(stroke=None),  # text, not a framed plot
        )
    )
    return alt.vconcat(figure, text, spacing=12).resolve_scale(color="independent")


def spec_of(figure: Any, width: int = DEFAULT_WIDTH) -> dict[str, Any]:
    """The Vega-Lite spec of a figure, with a fixed width and the report's font."""
    spec = _fixed_width(figure.to_dict(), width)
    config = spec.setdefault("config", {})
    config.setdefault("font", FONT)
    config.setdefault("background", "white")
    return spec


def figure_image(
    figure: Any,
    fmt: Format,
    *,
    caption: Sequence[str] = (),
    width: int = DEFAULT_WIDTH,
    scale: float = 2.0,
) -> bytes:
    """The chart (with its caption) as PNG bytes or SVG text encoded as UTF-8."""
    spec = spec_of(with_caption(figure, caption), width)
    if "vconcat" in spec and caption:
        _fixed_width(spec["vconcat"][0], width)
    if fmt == "svg":
        return str(vl_convert.vegalite_to_svg(spec)).encode("utf-8")
    if fmt == "png":
        return bytes(vl_convert.vegalite_to_png(spec, scale=scale))
    raise ValueError(f"image format must be png or svg (got {fmt!r})")


def chart_title(figure: Any) -> str:
    """The chart's own title text ('' when it has none)."""
    title = figure.to_dict().get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "")

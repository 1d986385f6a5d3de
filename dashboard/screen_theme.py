"""What Streamlit does to an Altair chart before drawing it, redone for an offline image.

No streamlit import here (only its installed font file is read). Streamlit 1.67's
frontend (ArrowVegaLiteChart + CustomTheme in its static bundle) takes the chart's spec and:

1. merges its "streamlit" Vega-Lite theme under the chart's own config (the chart wins),
2. sets the width to the container's width when the chart stretches (not for facets),
   and the width of each simple `vconcat` row too,
3. limits the title to the width less 40 px and pads the bottom by 20 px.

`screen_spec` does the same, so vl-convert draws what the page draws. The theme values are
Streamlit's light theme resolved to pixels (1 rem = 16 px); they are copied here rather than
read at run time because Streamlit ships them only inside minified JavaScript.

The font on screen is Streamlit's own "Source Sans" (a variable web font). vl-convert cannot
draw variable fonts, so `screen_font` cuts fixed weights out of the same file with fontTools
(once, into a cache folder) and registers them; without the file it falls back to DejaVu Sans,
Debian's font that the PDF reports use.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import io
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import vl_convert

# Streamlit's light theme (streamlit/static/.../utils.js and opacities.js, 1.67).
BODY_TEXT = "#2F2D2B"  # headingColor = bodyText
FADED = "#808495"  # gray70: axis and legend labels and titles on a light background
GRID = "#e6eaf1"  # gray30
BACKGROUND = "#FFFFFF"
CATEGORY = [
    "#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d",
    "#7defa1", "#ff8700", "#ffd16a", "#6d3fc0", "#d5dae5",
]  # fmt: skip
SEQUENTIAL = [
    "#e4f5ff", "#c7ebff", "#a6dcff", "#83c9ff", "#60b4ff",
    "#3d9df3", "#1c83e1", "#0068c9", "#0054a3", "#004280",
]  # fmt: skip
DIVERGING = [
    "#7d353b", "#bd4043", "#ff4b4b", "#ff8c8c", "#ffc7c7",
    "#a6dcff", "#60b4ff", "#1c83e1", "#0054a3", "#004280",
]  # fmt: skip
BOTTOM_PADDING = 20  # Streamlit pads a chart's bottom when the spec says nothing
TITLE_MARGIN = 40  # the title may run to the width less this

# The wide layout's main column in a 1,500 px window with the sidebar open: 300 px of
# sidebar, 80 px of padding either side -> 1,040 px; st.columns(2) halves it with a 16 px gap.
MAIN_WIDTH = 1040
COLUMN_WIDTH = 512

FONT_FAMILY = "Source Sans"
FALLBACK_FONT = "DejaVu Sans"
WEIGHTS = {400: "Regular", 600: "SemiBold", 700: "Bold"}  # normal, theme titles, "bold"
# Latin (with Latin-1 and Extended-A: names like Sørensen, Łukasz), punctuation, arrows and
# the maths signs the labels use (≥ ≤ − × ÷ ±).
_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x180),
    *range(0x2000, 0x2070),
    *range(0x2190, 0x219A),
    *range(0x2200, 0x2270),
]


def theme_config(font: str) -> dict[str, Any]:
    """Streamlit's "streamlit" Vega-Lite theme (light), in pixels."""
    return {
        "font": font,
        "background": BACKGROUND,
        "fieldTitle": "verbal",
        "autosize": {"type": "fit", "contains": "padding"},
        "title": {
            "align": "left",
            "anchor": "start",
            "color": BODY_TEXT,
            "fontStyle": "normal",
            "fontWeight": 600,
            "fontSize": 16,
            "orient": "top",
            "offset": 26,
        },
        "header": {
            "titleFontWeight": 400,
            "titleFontSize": 16,
            "titleColor": FADED,
            "titleFontStyle": "normal",
            "labelFontSize": 12,
            "labelFontWeight": 400,
            "labelColor": FADED,
            "labelFontStyle": "normal",
        },
        "axis": {
            "labelFontSize": 12,
            "labelFontWeight": 400,
            "labelColor": FADED,
            "labelFontStyle": "normal",
            "titleFontWeight": 400,
            "titleFontSize": 14,
            "titleColor": FADED,
            "titleFontStyle": "normal",
            "ticks": False,
            "gridColor": GRID,
            "domain": False,
            "domainWidth": 1,
            "domainColor": GRID,
            "labelFlush": True,
            "labelFlushOffset": 1,
            "labelBound": False,
            "labelLimit": 100,
            "titlePadding": 16,
            "labelPadding": 16,
            "labelSeparation": 4,
            "labelOverlap": True,
        },
        "legend": {
            "labelFontSize": 14,
            "labelFontWeight": 400,
            "labelColor": FADED,
            "titleFontSize": 14,
            "titleFontWeight": 400,
            "titleFontStyle": "normal",
            "titleColor": FADED,
            "titlePadding": 8,
            "labelPadding": 16,
            "columnPadding": 8,
            "rowPadding": 4,
            "padding": 8,
            "symbolStrokeWidth": 4,
        },
        "range": {
            "category": CATEGORY,
            "diverging": DIVERGING,
            "ramp": SEQUENTIAL,
            "heatmap": SEQUENTIAL,
        },
        "view": {
            "columns": 1,
            "strokeWidth": 0,
            "stroke": "transparent",
            "continuousHeight": 350,
            "continuousWidth": 400,
        },
        "concat": {"columns": 1},
        "facet": {"columns": 1},
        "mark": {"tooltip": {"content": "encoding"}, "color": CATEGORY[0]},
        "bar": {"binSpacing": 4, "discreteBandSize": {"band": 0.85}},
        "axisDiscrete": {"grid": False},
        "axisXPoint": {"grid": False},
        "axisTemporal": {"grid": False},
        "axisXBand": {"grid": False},
    }


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` deep-merged onto `base`; lists are replaced, as Streamlit's merge does."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


_NESTED = ("hconcat", "vconcat", "concat", "facet", "repeat")


def screen_spec(figure: Any, width: int, font: str) -> dict[str, Any]:
    """The chart's spec as Streamlit draws it in a container `width` pixels wide."""
    spec: dict[str, Any] = figure.to_dict()
    spec["config"] = merged(theme_config(font), spec.get("config", {}))
    if "title" in spec:
        title = spec["title"] if isinstance(spec["title"], dict) else {"text": spec["title"]}
        title.setdefault("limit", max(width - TITLE_MARGIN, 0))
        spec["title"] = title
    if "facet" not in spec and "repeat" not in spec:  # facets keep their own size on screen
        spec["width"] = width
        for row in spec.get("vconcat", []):
            if isinstance(row, dict) and not any(k in row for k in _NESTED):
                row["width"] = width
    spec.setdefault("padding", {})
    if isinstance(spec["padding"], dict):
        spec["padding"].setdefault("bottom", BOTTOM_PADDING)
    return spec


def _streamlit_font() -> Path | None:
    """Streamlit's own variable Source Sans (upright), as shipped in its static files."""
    found = importlib.util.find_spec("streamlit")
    if found is None or found.origin is None:
        return None
    media = Path(found.origin).parent / "static" / "static" / "media"
    candidates = sorted(media.glob("SourceSansVF-Upright*.woff2"))
    return candidates[0] if candidates else None


def _cut_weights(source: Path, folder: Path) -> None:
    """Fixed-weight TTFs named "Source Sans" cut from the variable font (fontTools)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    folder.mkdir(parents=True, exist_ok=True)
    # Only the Latin text and signs the charts use: cutting the whole font takes ~10 s a
    # weight on a busy machine, this subset about half a second.
    variable = TTFont(source)
    cutter = subset.Subsetter(
        subset.Options(
            layout_features=["kern", "liga", "calt", "ccmp", "locl", "mark", "mkmk"],
            notdef_outline=True,
        )
    )
    cutter.populate(unicodes=_UNICODES)
    cutter.subset(variable)
    variable.flavor = None  # woff2 -> plain TrueType
    plain = io.BytesIO()
    variable.save(plain)
    for weight, style in WEIGHTS.items():
        target = folder / f"SourceSans-{style}.ttf"
        if target.exists():
            continue
        font = instancer.instantiateVariableFont(
            TTFont(io.BytesIO(plain.getvalue())), {"wght": weight}
        )
        names = font["name"]
        for name_id, text in (
            (1, FONT_FAMILY if weight == 400 else f"{FONT_FAMILY} {style}"),
            (2, "Regular"),
            (4, f"{FONT_FAMILY} {style}"),
            (6, f"SourceSans-{style}"),
            (16, FONT_FAMILY),
            (17, style),
        ):
            names.setName(text, name_id, 3, 1, 0x409)
        font["OS/2"].usWeightClass = weight
        partial = target.with_suffix(f".{os.getpid()}.part")
        font.save(partial)
        partial.replace(target)  # another process may cut the same file: never half-written


_lock = threading.Lock()
_registered: dict[str, Path | None] = {}


def screen_font() -> tuple[str, Path | None]:
    """The font family vl-convert should use, and its regular TTF (for the caption)."""
    with _lock:
        if FONT_FAMILY not in _registered:
            _registered[FONT_FAMILY] = _register()
        regular = _registered[FONT_FAMILY]
    return (FONT_FAMILY if regular else FALLBACK_FONT), regular


def _register() -> Path | None:
    """Cut (once per machine) and register Streamlit's font; None when it cannot be had."""
    source = _streamlit_font()
    if source is None:
        return None
    digest = hashlib.sha256(source.name.encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"fbss-screen-fonts-{digest}"
    try:
        _cut_weights(source, folder)
        vl_convert.register_font_directory(str(folder))
    except Exception:  # a damaged or changed font file: fall back, never fail a download
        return None
    return folder / "SourceSans-Regular.ttf"

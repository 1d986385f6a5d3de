"""A dashboard chart as the PNG or SVG of what is on screen, with a caption under it.

No streamlit here. The chart is drawn by vl-convert (offline) from `screen_theme.screen_spec`:
Streamlit's theme, the width of the chart's container and Streamlit's own font, so the image
matches the page. The caption (title, filters, as-of day) is set under the chart outside
Vega, because Vega sizes a stacked caption and chart together (`autosize: fit` does not work
on a concatenation), which would shrink the plot against the one on screen.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import vl_convert
from PIL import Image, ImageDraw, ImageFont

from dashboard import screen_theme
from dashboard.charts import Figure

Format = Literal["png", "svg"]
CAPTION_SIZE = 12  # px, Streamlit's small text
CAPTION_TITLE_SIZE = 14
LINE_GAP = 6  # px between caption lines
CAPTION_TOP = 10  # px between the chart and its caption
_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')


def _lines(caption: Sequence[str]) -> list[tuple[str, int]]:
    """Caption lines with their size: the first (the chart's title) a little larger."""
    shown = [line for line in caption if line]
    return [(line, CAPTION_TITLE_SIZE if i == 0 else CAPTION_SIZE) for i, line in enumerate(shown)]


def caption_height(caption: Sequence[str]) -> int:
    """Pixels the caption adds under the chart (0 without one)."""
    lines = _lines(caption)
    if not lines:
        return 0
    return CAPTION_TOP + sum(size + LINE_GAP for _, size in lines) + LINE_GAP


def _font(regular: Path | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        if regular is not None:
            return ImageFont.truetype(str(regular), size)
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:  # no TrueType font at all: Pillow's own bitmap font still says it
        return ImageFont.load_default(size)


def _png(chart: bytes, caption: Sequence[str], regular: Path | None, scale: float) -> bytes:
    """The chart PNG with the caption drawn under it, at the same scale; dpi tells the scale."""
    image = Image.open(io.BytesIO(chart)).convert("RGB")
    extra = round(caption_height(caption) * scale)
    out = Image.new("RGB", (image.width, image.height + extra), screen_theme.BACKGROUND)
    out.paste(image, (0, 0))
    draw = ImageDraw.Draw(out)
    y = image.height + CAPTION_TOP * scale
    for i, (line, size) in enumerate(_lines(caption)):
        colour = screen_theme.BODY_TEXT if i == 0 else screen_theme.FADED
        draw.text((0, y), line, fill=colour, font=_font(regular, round(size * scale)))
        y += (size + LINE_GAP) * scale
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", dpi=(72 * scale, 72 * scale))
    return buffer.getvalue()


def _svg(chart: str, caption: Sequence[str], font: str) -> bytes:
    """The chart SVG nested in a taller SVG whose bottom holds the caption as text."""
    size = _SIZE.search(chart)
    if size is None:
        raise ValueError("vl-convert returned an SVG without a size")
    width, height = float(size.group(1)), float(size.group(2))
    total = height + caption_height(caption)
    inner = re.sub(r"^<\?xml[^>]*>\s*", "", chart)
    texts = []
    y = height + CAPTION_TOP
    for i, (line, px) in enumerate(_lines(caption)):
        y += px
        colour = screen_theme.BODY_TEXT if i == 0 else screen_theme.FADED
        texts.append(
            f'<text x="0" y="{y:g}" font-family="{escape(font)}, sans-serif" '
            f'font-size="{px}" fill="{colour}">{escape(line)}</text>'
        )
        y += LINE_GAP
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'version="1.1" width="{width:g}" height="{total:g}" viewBox="0 0 {width:g} {total:g}">'
        f'<rect width="{width:g}" height="{total:g}" fill="{screen_theme.BACKGROUND}"/>'
        f"{inner}{''.join(texts)}</svg>"
    ).encode()


def chart_image(
    figure: Figure,
    fmt: Format,
    *,
    caption: Sequence[str] = (),
    width: int = screen_theme.MAIN_WIDTH,
    scale: float = 2.0,
) -> bytes:
    """The chart as drawn in a container `width` px wide, captioned; PNG or SVG bytes."""
    font, regular = screen_theme.screen_font()
    spec = screen_theme.screen_spec(figure, width, font)
    if fmt == "svg":
        return _svg(str(vl_convert.vegalite_to_svg(spec)), caption, font)
    if fmt == "png":
        return _png(bytes(vl_convert.vegalite_to_png(spec, scale=scale)), caption, regular, scale)
    raise ValueError(f"image format must be png or svg (got {fmt!r})")

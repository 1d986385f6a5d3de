"""CSV downloads: formula cells neutralised, numbers kept as numbers (issue 4); chart images
as drawn on screen, with their caption (issue 11).

The rule itself is tested cell by cell, for every writer, in test_formula_injection.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from xml.etree import ElementTree

import altair as alt
import pandas as pd
import pytest
from PIL import Image

from dashboard import chart_images, screen_theme
from dashboard.chart_images import chart_image
from dashboard.downloads import file_name, to_csv


def _read(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the accents right
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_neutralises_cells_and_headers_and_keeps_values() -> None:
    frame = pd.DataFrame(
        {
            "=name": ["=cmd()", "Lakeside", "@risk"],
            "change": [-3.5, 2.0, float("nan")],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "ok": [True, False, None],
            "day": [dt.date(2026, 1, 2), None, dt.date(2026, 3, 4)],
        }
    )
    rows = _read(to_csv(frame))
    assert rows[0] == ["'=name", "change", "n", "ok", "day"]
    assert rows[1] == ["'=cmd()", "-3.5", "1", "true", "2026-01-02"]
    assert rows[2] == ["Lakeside", "2.0", "", "false", ""]
    assert rows[3] == ["'@risk", "", "3", "", "2026-03-04"]


def test_csv_of_an_empty_table_has_its_header() -> None:
    assert _read(to_csv(pd.DataFrame(columns=["a", "b"]))) == [["a", "b"]]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Follow-up completion by clinic", "fbss-follow-up-completion-by-clinic.csv"),
        ("../../etc/passwd", "fbss-etc-passwd.csv"),
        ("", "fbss-table.csv"),
    ],
)
def test_file_names_are_safe(title: str, expected: str) -> None:
    assert file_name(title) == expected


# ---- chart images: what is on screen, captioned (issue 11) --------------------------------


def _bars(**config: Any) -> alt.Chart:
    frame = pd.DataFrame({"cause": ["a", "b", "c"], "n": [3, 1, 2]})
    chart = alt.Chart(frame, title="Cases by cause").mark_bar().encode(x="cause:N", y="n:Q")
    return chart.configure_axis(**config) if config else chart


def test_the_screen_spec_is_streamlits_theme_under_the_charts_own_config() -> None:
    spec = screen_theme.screen_spec(_bars(labelFontSize=20), 700, "Some Font")
    axis = spec["config"]["axis"]
    assert axis["labelFontSize"] == 20  # the chart's own setting wins, as on screen
    assert axis["labelColor"] == "#808495"  # Streamlit's gray70 fills the rest
    assert axis["gridColor"] == "#e6eaf1"
    assert spec["config"]["font"] == "Some Font"
    assert spec["config"]["range"]["category"][:2] == ["#0068c9", "#83c9ff"]
    assert spec["config"]["autosize"] == {"type": "fit", "contains": "padding"}
    assert spec["width"] == 700  # the container's width, whatever the chart asked for
    assert spec["title"] == {"text": "Cases by cause", "limit": 660}
    assert spec["padding"] == {"bottom": 20}


def test_a_facet_keeps_its_own_size_and_simple_rows_of_a_stack_stretch() -> None:
    frame = pd.DataFrame({"g": ["x", "y"], "n": [1, 2]})
    facet = alt.Chart(frame).mark_bar().encode(y="n:Q").properties(width=120).facet("g:N")
    assert "width" not in screen_theme.screen_spec(facet, 700, "F")
    stack = alt.vconcat(alt.Chart(frame).mark_bar().encode(y="n:Q"), facet)
    rows = screen_theme.screen_spec(stack, 700, "F")["vconcat"]
    assert rows[0]["width"] == 700
    assert "width" not in rows[1]


def _pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_the_png_is_the_containers_width_at_its_scale_with_the_caption_under_it() -> None:
    caption = ["Cases by cause", "Showing: clinic Northgate · data as of 02 Dec 2026"]
    bare = _pixels(chart_image(_bars(), "png", width=500, scale=1))
    png = chart_image(_bars(), "png", caption=caption, width=500, scale=2)
    image = _pixels(png)
    assert image.size == (1000, 2 * (bare.height + chart_images.caption_height(caption)))
    assert Image.open(io.BytesIO(png)).info["dpi"] == pytest.approx((144, 144), abs=0.01)
    # the bars are Streamlit's first chart colour, #0068c9, as on screen
    colours = {c for _, c in bare.getcolors(maxcolors=1 << 16) or []}
    assert (0x00, 0x68, 0xC9) in colours
    # the caption strip has dark text in it; the bare image ends where the caption begins
    strip = image.crop((0, 2 * bare.height, image.width, image.height)).convert("L")
    assert strip.getextrema()[0] < 100
    assert chart_images.caption_height([]) == 0


def test_the_svg_is_one_document_with_the_caption_as_text() -> None:
    svg = chart_image(_bars(), "svg", caption=["Cases <by> cause", "Showing: all cases"], width=480)
    root = ElementTree.fromstring(svg)  # well-formed: the caption's "<" is escaped
    assert root.get("width") == "480"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Cases <by> cause" in texts
    assert "Showing: all cases" in texts


def test_without_streamlits_font_the_image_falls_back_to_dejavu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(screen_theme, "_registered", {})
    monkeypatch.setattr(screen_theme, "_streamlit_font", lambda: None)
    assert screen_theme.screen_font() == ("DejaVu Sans", None)
    svg = chart_image(_bars(), "svg", caption=["Cases by cause"], width=400).decode()
    assert 'font-family="DejaVu Sans' in svg


def test_an_unknown_image_format_is_refused_plainly() -> None:
    with pytest.raises(ValueError, match="png or svg"):
        chart_image(_bars(), "gif", width=400)  # type: ignore[arg-type]

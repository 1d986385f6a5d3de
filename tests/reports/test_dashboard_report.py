"""The dashboard's PNG/SVG chart downloads and its Report (PDF) control (issue 11)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from dashboard import charts
from reports.images import chart_title, figure_image

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "streamlit_app.py"


def app(db: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None) -> AppTest:
    monkeypatch.setenv("FBSS_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def buttons(at: AppTest) -> list[Any]:
    return list(at.get("download_button"))


def test_every_chart_on_a_page_offers_png_and_svg(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Compare pathways' first section draws three charts (crude beside adjusted, the
    # difference, balance)
    at = app(sample_db, monkeypatch, "app_pages/compare.py")
    n_charts = len(at.get("vega_lite_chart"))
    assert n_charts == 3
    labels = [b.proto.label for b in buttons(at)]
    assert labels.count("PNG") == n_charts
    assert labels.count("SVG") == n_charts


def test_report_control_builds_a_pdf_for_the_chosen_clinic(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(sample_db, monkeypatch)
    at.multiselect(key="w_clinic").set_value(["Northgate Spine Centre"]).run()
    assert "Northgate Spine Centre" in " ".join(c.value for c in at.sidebar.caption)
    at.selectbox(key="w_report_period").set_value("2025").run()
    at.button(key="w_report_build").click().run()
    assert not at.exception, at.exception
    pdf = [b for b in buttons(at) if b.proto.label == "Download the PDF"]
    assert len(pdf) == 1


def _pixels(png: bytes) -> np.ndarray:
    from io import BytesIO

    return np.asarray(Image.open(BytesIO(png)).convert("L"), dtype=float)


def test_chart_image_has_the_chart_size_and_is_not_blank() -> None:
    frame = pd.DataFrame(
        {
            "timepoint": ["6w", "3m", "6m", "12m", "24m"],
            "measure": "odi",
            "n_cases": 100,
            "n_due": [100, 90, 80, 60, 40],
            "n_followup_returned": [90, 75, 60, 40, 20],
            "n_assessed": [88, 70, 55, 38, 19],
            "followup_rate": [0.9, 0.8333, 0.75, 0.6667, 0.5],
            "followup_ci_low": [0.82, 0.74, 0.64, 0.54, 0.35],
            "followup_ci_high": [0.95, 0.9, 0.83, 0.77, 0.65],
            "meets_target": [True, True, False, False, False],
            "unusable": False,
            "suppressed": False,
        }
    )
    figure = charts.followup_by_timepoint(frame)
    caption = ["Follow-up completion by timepoint", "Cases: clinic: Harbour", "As of 01 Dec 2026"]
    svg = figure_image(figure, "svg", caption=caption).decode("utf-8")
    width, height = (
        float(v) for v in re.search(r'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', svg).groups()
    )  # type: ignore[union-attr]
    png = _pixels(figure_image(figure, "png", caption=caption, scale=2))
    # the PNG is the SVG drawn at twice the size
    assert png.shape == (round(2 * height), round(2 * width))
    assert width >= 640
    # not blank: ink on the white background, spread over the image
    assert png.std() > 20
    assert (png < 128).mean() > 0.01
    for line in caption:
        assert line in svg
    assert "Follow-up completion" in chart_title(figure)
    without = _pixels(figure_image(figure, "png", scale=1))
    assert without.shape[0] < png.shape[0] / 2  # the caption adds lines under the chart


def test_empty_chart_still_makes_an_image() -> None:
    figure = (
        alt.Chart(pd.DataFrame({"message": ["No cases"]}), title="T")
        .mark_text()
        .encode(text="message:N")
    )
    png = _pixels(figure_image(figure, "png", scale=1))
    assert png.shape[1] >= 100
    assert png.std() > 0


def test_caption_names_the_title_the_filters_and_the_day() -> None:
    from dashboard.state import View
    from dashboard.ui import image_caption

    view = View(clinic=("Harbour Spine Institute",), cause=("pseudarthrosis",))
    lines = image_caption("Follow-up", view, dt.date(2026, 11, 30), dt.date(2026, 12, 1))
    assert lines == [
        "Follow-up",
        "Showing: clinic Harbour Spine Institute, cause Pseudarthrosis · data as of 30 Nov 2026",
        "Figures as of 01 Dec 2026 (records dated up to this day)",
    ]

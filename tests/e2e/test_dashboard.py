"""The dashboard in a real browser: Debian's Chromium against `fbss dashboard` (issue 4)."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    FBSS,
    FORMULA_NAME,
    HELD_BACK,
    Batches,
    Server,
    make_store,
    run_server,
    wait_ready,
)

pytestmark = pytest.mark.e2e

# url path, page title, charts drawn on the first batch
PAGES = [
    ("", "Overview", 2),
    ("causes", "Causes & pathways", 4),
    ("compare", "Compare pathways", 3),  # first section: crude beside adjusted, difference, balance
    ("providers", "Physicians & clinics", 1),
    ("quality", "Data quality", 1),  # first section: follow-up by clinic
    ("import", "Import", 0),
]
# The other sections (tabs) of the pages drawn one section at a time (issue 7), opened
# from the URL: url path and query, page title, charts drawn on the first batch.
SECTIONS = [
    ("?overview_section=worklist", "Overview", 0),
    ("?overview_section=by_unit", "Overview", 0),
    ("causes?causes_section=events", "Causes & pathways", 2),
    ("compare?compare_section=outcomes", "Compare pathways", 2),
    ("compare?compare_section=over_time", "Compare pathways", 2),
    ("compare?compare_section=events", "Compare pathways", 1),
    ("compare?compare_section=similar", "Compare pathways", 0),
    ("quality?quality_section=completeness", "Data quality", 1),
    ("quality?quality_section=lost", "Data quality", 1),
    ("quality?quality_section=windows", "Data quality", 0),
]


def no_exception(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def metric_value(page: Page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def drawn_charts(page: Page) -> int:
    """Charts whose Vega view has drawn marks with a size."""
    return int(
        page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .filter(e => { const m = e.querySelector('svg.marks, canvas.marks');
                                if (!m) return false;
                                const r = m.getBoundingClientRect();
                                return r.width > 50 && r.height > 50; }).length"""
        )
    )


@pytest.mark.parametrize(("path", "title", "n_charts"), PAGES + SECTIONS)
def test_every_page_draws_without_an_exception(
    page: Page, server: Server, path: str, title: str, n_charts: int
) -> None:
    page.goto(f"{server.url}/{path}")
    wait_ready(page)
    expect(page.locator('[data-testid="stMain"] h1')).to_have_text(title)
    no_exception(page)
    assert drawn_charts(page) == n_charts
    # the sidebar navigation reaches every page
    expect(page.locator('[data-testid="stSidebarNav"] a')).to_have_count(len(PAGES))


def test_a_filter_changes_the_figures_and_the_url(page: Page, server: Server) -> None:
    page.goto(server.url)
    wait_ready(page)
    before = metric_value(page, "Cases in view")
    assert before == f"{1000 - HELD_BACK:,}"
    clinic = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Clinic"
    )
    clinic.locator("input").click()
    page.keyboard.type("Lakeside Back Clinic")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    card = page.locator('[data-testid="stMetric"]').filter(has_text="Cases in view")
    expect(card.locator('[data-testid="stMetricValue"]')).not_to_have_text(before)
    wait_ready(page)
    no_exception(page)
    assert int(metric_value(page, "Cases in view").replace(",", "")) < 1000 - HELD_BACK
    assert "clinic=Lakeside" in page.url
    # the bookmark restores the view in a new page
    other = page.context.new_page()
    other.goto(page.url)
    wait_ready(other)
    assert metric_value(other, "Cases in view") == metric_value(page, "Cases in view")


def test_a_click_on_the_heat_map_narrows_the_other_charts(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/causes")
    wait_ready(page)
    expect(page.get_by_text("All causes, by pathway")).to_be_visible()
    heat = page.locator('[data-testid="stVegaLiteChart"]').first
    # the first rect layer holds the cells that are shown (hidden cells cannot be picked)
    cell = heat.locator("g.mark-rect.role-mark").first.locator("path").first
    cell.click(force=True)
    expect(page.get_by_text("Selected:", exact=False)).to_be_visible()
    wait_ready(page)
    no_exception(page)
    assert "focus_cause=" in page.url
    assert "focus_group=" in page.url
    detail = page.locator("h3").filter(has_text="Selected:").inner_text()
    pathway = detail.split("·")[-1].strip()
    # the trajectory legend now lists only the picked pathway
    legend = page.locator('[data-testid="stVegaLiteChart"]').nth(2).locator(".role-legend-label")
    expect(legend).to_have_text([pathway])
    page.get_by_role("button", name="Clear selection").click()
    expect(page.get_by_text("All causes, by pathway")).to_be_visible()


def test_a_table_downloads_as_csv_with_formulas_neutralised(
    page: Page, server: Server, tmp_path: Path
) -> None:
    page.goto(f"{server.url}/providers")
    wait_ready(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").first.click()
    download = info.value
    # The page opens case-mix adjusted (issue 9): its first table is O and E by physician;
    # the file name also says what the page showed (issue 12).
    assert download.suggested_filename.startswith(
        "fbss-observed-and-expected-responders-by-physician"
    )
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == [
        "Physician",
        "Assessed (n)",
        "Observed responders (O)",
        "Expected responders (E)",
    ]
    names = [r[0] for r in rows[1:]]
    assert "'" + FORMULA_NAME in names
    assert FORMULA_NAME not in names


def test_a_load_while_the_page_is_open_shows_after_a_rerun(
    page: Page, batches: Batches, tmp_path: Path
) -> None:
    db = make_store(batches.first, tmp_path / "fbss.duckdb")
    with run_server(db, tmp_path / "server.log") as server:
        page.goto(server.url)
        wait_ready(page)
        assert metric_value(page, "Cases in view") == f"{1000 - HELD_BACK:,}"
        # the open page holds no connection: a load can replace the store right now
        loaded = subprocess.run(
            [str(FBSS), "load", str(batches.full), "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert loaded.returncode == 0, loaded.stderr
        no_exception(page)
        page.get_by_role("button", name="Refresh").click()
        card = page.locator('[data-testid="stMetric"]').filter(has_text="Cases in view")
        expect(card.locator('[data-testid="stMetricValue"]')).to_have_text("1,000")
        wait_ready(page)
        no_exception(page)
        # other pages see it too, and the load is in the history
        page.goto(f"{server.url}/quality")
        wait_ready(page)
        expect(
            page.get_by_text("cases +100 new").first
        ).to_be_attached()  # grid cells are aria-only


def test_compare_sections_open_on_click_and_stay_in_the_url(page: Page, server: Server) -> None:
    """Issue 7: the Compare page draws one section at a time; a click on a tab opens the
    next, which is then computed and drawn, and a reload keeps it."""
    page.goto(f"{server.url}/compare")
    wait_ready(page)
    tabs = page.locator('[data-testid="stMain"] [role="tab"]')
    expect(tabs).to_have_count(5)
    assert drawn_charts(page) == 3
    for title, code, n_charts in (
        ("Reoperations and complications", "events", 1),
        ("Outcomes, crude", "outcomes", 2),
        ("Over time, crude", "over_time", 2),
        ("Patients like mine", "similar", 0),
    ):
        tabs.filter(has_text=title).click()
        page.wait_for_url(f"**compare_section={code}**")
        wait_ready(page)
        no_exception(page)
        expect(
            page.locator('[data-testid="stMain"] [role="tab"][aria-selected="true"]')
        ).to_have_text(title)
        assert drawn_charts(page) == n_charts, title
    page.goto(f"{server.url}/compare?compare_section=events")
    wait_ready(page)
    expect(
        page.get_by_text("Numbers at risk (still followed and free of reoperation)")
    ).to_be_visible()


def test_compare_shows_crude_and_adjusted_side_by_side(page: Page, server: Server) -> None:
    """Issue 9: the crude and the case-mix adjusted rates drawn next to each other."""
    page.goto(f"{server.url}/compare")
    wait_ready(page)
    no_exception(page)
    expect(page.get_by_text("Crude and case-mix adjusted comparison")).to_be_visible()
    expect(page.get_by_text("unmeasured confounding remains", exact=False)).to_be_visible()
    rates = page.locator('[data-testid="stVegaLiteChart"]').filter(
        has_text="Responder rate by pathway: crude and case-mix adjusted"
    )
    diff = page.locator('[data-testid="stVegaLiteChart"]').filter(
        has_text="Difference in responder rate"
    )
    expect(rates).to_have_count(1)
    expect(diff).to_have_count(1)
    # Side by side: the two charts share a row, the difference to the right.
    left, right = rates.bounding_box(), diff.bounding_box()
    assert left is not None
    assert right is not None
    assert abs(left["y"] - right["y"]) < 5
    assert right["x"] > left["x"] + left["width"] - 5
    # Crude (hollow) and adjusted (filled) dots: two per pathway, drawn as SVG symbols.
    symbols = rates.locator("g.mark-symbol.role-mark path")
    expect(symbols).to_have_count(4)

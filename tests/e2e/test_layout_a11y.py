"""Laptop and tablet widths, keyboard and screen readers (issue 12, points 5 and 6).

Every page at 1,440 and 1,024 px: a screenshot (build/screenshots/, to look at), nothing
wider than the page, the main blocks inside the viewport, the sidebar collapsed at the
tablet width; a "Skip to content" link as the first Tab stop; and axe-core (bundled by
axe-playwright-python) with no serious or critical violation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import ROOT, Server, wait_ready
from tests.e2e.test_dashboard import PAGES, SECTIONS, no_exception

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "build" / "screenshots"
WIDTHS = {"laptop": (1440, 900), "tablet": (1024, 768)}
MAIN_BLOCKS = ", ".join(
    f'[data-testid="stMain"] [data-testid="{kind}"]'
    for kind in (
        "stVegaLiteChart",
        "stMetric",
        "stDataFrame",
        "stExpander",
        "stHorizontalBlock",
        "stAlert",
        "stButton",
        "stSegmentedControl",
    )
)
# Rules left out, each for a reason the app cannot change (see docs/dashboard.md):
# none so far — every serious or critical violation must be fixed, not excluded.
AXE_SKIP: dict[str, str] = {}

OVERFLOW_JS = """(selector) => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not rendered (a closed expander)
    if (r.left < -1 || r.right > width + 1) {
      out.push({testid: el.getAttribute('data-testid'), left: r.left, right: r.right,
                text: (el.innerText || '').slice(0, 60)});
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: width, out};
}"""


def open_at(browser: Browser, url: str, size: tuple[int, int]) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_ready(page)
    page.wait_for_timeout(300)  # the sidebar's collapse transition
    return page


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize(("path", "title", "n_charts"), PAGES + SECTIONS)
def test_every_page_fits_the_screen(
    browser: Browser, server: Server, path: str, title: str, n_charts: int, width: str
) -> None:
    page = open_at(browser, f"{server.url}/{path}", WIDTHS[width])
    try:
        no_exception(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = (path or "overview").replace("?", "-").replace("=", "-")
        page.screenshot(path=str(SHOTS / f"{name}-{WIDTHS[width][0]}.png"), full_page=True)
        found: dict[str, Any] = page.evaluate(OVERFLOW_JS, MAIN_BLOCKS)
        assert found["scrollWidth"] <= found["clientWidth"], found
        assert found["out"] == [], found["out"]
        collapsed = page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed")
        assert collapsed == ("true" if width == "tablet" else "false")
    finally:
        page.context.close()


def test_skip_link_is_the_first_tab_stop_and_reaches_the_content(
    browser: Browser, server: Server
) -> None:
    page = open_at(browser, server.url, WIDTHS["laptop"])
    try:
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent")
        assert focused == "Skip to content"
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        border = page.evaluate("() => getComputedStyle(document.activeElement).borderTopWidth")
        assert outline != "none" or border == "3px"  # visible when focused
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main-content"
        # the next Tab stop is inside the main area, not in the sidebar's filters
        page.keyboard.press("Tab")
        inside = page.evaluate("() => !!document.activeElement.closest('[data-testid=\"stMain\"]')")
        assert inside
        ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineColor")
        assert ring == "rgb(179, 89, 0)"  # the focus colour, not the navigation's grey
    finally:
        page.context.close()


@pytest.mark.parametrize(("path", "title", "n_charts"), PAGES + SECTIONS)
def test_no_serious_accessibility_violation(
    browser: Browser, server: Server, path: str, title: str, n_charts: int
) -> None:
    page = open_at(browser, f"{server.url}/{path}", WIDTHS["laptop"])
    try:
        results = Axe().run(page)
        serious = [
            {
                "rule": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [
                    {"target": n["target"], "html": n["html"][:160], "why": n["failureSummary"]}
                    for n in v["nodes"][:4]
                ],
            }
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical") and v["id"] not in AXE_SKIP
        ]
        if serious:  # the full report, to read: build/axe/<page>.json
            (ROOT / "build" / "axe").mkdir(parents=True, exist_ok=True)
            name = (path or "overview").replace("?", "-").replace("=", "-")
            report = ROOT / "build" / "axe" / f"{name}.json"
            report.write_text(json.dumps(serious, indent=1))
        assert serious == [], serious
    finally:
        page.context.close()


def test_every_chart_has_its_table_one_keystroke_away(browser: Browser, server: Server) -> None:
    """Each chart is followed by a table expander: its figures as text, for screen readers."""
    for path, _title, n_charts in PAGES + SECTIONS:
        if not n_charts:
            continue
        page = open_at(browser, f"{server.url}/{path}", WIDTHS["laptop"])
        try:
            missing = page.evaluate(
                """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                  .filter(chart => {
                    const all = [...document.querySelectorAll(
                      '[data-testid="stVegaLiteChart"], [data-testid="stExpander"]')];
                    const next = all[all.indexOf(chart) + 1];
                    return !next || next.getAttribute('data-testid') !== 'stExpander';
                  }).length"""
            )
            assert missing == 0, path
        finally:
            page.context.close()

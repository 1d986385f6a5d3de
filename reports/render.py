"""A report's figures -> HTML (Jinja2 template) -> PDF (WeasyPrint, through Debian's Pango).

Charts are the dashboard's own Altair charts rendered offline by vl-convert as SVG, so
their text stays text in the PDF (selectable, searchable, and checked by the tests).
The font is DejaVu Sans from Debian's fonts-dejavu-core; WeasyPrint embeds the subset
used. Nothing is fetched: the template has no external URL and a url_fetcher that
refuses anything that is not an inline data: URL makes sure of it.
"""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
import vl_convert

from dashboard import charts
from reports import adjusted_sections, sections
from reports.content import Progress, ReportData
from reports.images import figure_image

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
CHART_WIDTH = 620  # px in the SVG; the CSS scales it to the text width


def _svg_uri(figure: Any, width: int = CHART_WIDTH) -> str:
    svg = figure_image(figure, "svg", width=width)
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def chart_images(report: ReportData) -> dict[str, str]:
    """The report's charts as data: URLs of SVG images (none for an empty report).

    vl-convert releases the GIL while it draws, so the charts are drawn side by side
    (nine charts at a million cases: 4.1 s one after the other on a loaded machine)."""
    figures = chart_figures(report)
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="fbss-chart") as pool:
        images = pool.map(_svg_uri, figures.values())
        return dict(zip(figures, images, strict=True))


def chart_figures(report: ReportData) -> dict[str, Any]:
    """The report's charts (the dashboard's own Altair figures), in the report's order."""
    if report.is_empty:
        return {}
    out: dict[str, Any] = {}
    if report.new_by_year is not None and not report.new_by_year.empty:
        # The chart fades the year holding as_of as still in progress: not when the as-of
        # day is the year's last (a report of a whole year, or of its second half).
        complete = (report.as_of.month, report.as_of.day) == (12, 31)
        figure = charts.new_cases(
            report.new_by_year,
            totals=report.new_totals,
            period="year",
            as_of=None if complete else report.as_of,
        )
        out["new_cases"] = figure
    if report.by_cause is not None and not report.by_cause.empty:
        out["by_cause"] = charts.responder_heatmap(
            report.by_cause, group="pathway", measure_label=""
        )
    if report.km is not None and not report.km.empty:
        out["km"] = charts.km_curves(report.km, group="pathway")
    if report.followup is not None and not report.followup.empty:
        out["followup"] = charts.followup_by_timepoint(report.followup)
    if report.dropout is not None and not report.dropout.empty:
        out["dropout"] = charts.dropout_smd(report.dropout)
    out.update(_adjusted_figures(report))
    return out


def _adjusted_figures(report: ReportData) -> dict[str, Any]:
    """The dashboard's own adjusted charts (rates, difference, balance, funnel)."""
    adj = report.adjusted
    out: dict[str, Any] = {}
    if adj is None:
        return out
    if adj.comparison and not adj.comparison.get("suppressed") and adj.comparison["balance"]:
        out["adj_rates"] = charts.crude_and_adjusted(adj.comparison)
        out["adj_difference"] = charts.difference(adj.comparison)
        out["love"] = charts.love_plot(adj.comparison["balance"])
    if adj.funnel is not None and not adj.funnel.empty:
        figure = charts.adjusted_funnel(adj.funnel, unit=adj.unit, overall_rate=adj.overall_rate)
        out["adj_funnel"] = figure
    return out


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,  # clinic and physician names are data: never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: ReportData) -> str:
    """The report as one self-contained HTML document."""
    dropout, findings = sections.dropout_table(report.dropout)
    context = {
        "r": report,
        "headline": sections.headline_table(report),
        "causes": sections.cause_table(report.by_cause, report.min_cell),
        "survival": sections.survival_table(report.events_by_pathway),
        "followup": sections.followup_table(report.followup),
        "completeness": sections.completeness_table(report.completeness),
        "windows": sections.window_table(report.out_of_window),
        "dropout": dropout,
        "findings": findings,
        "definitions": sections.definitions(report),
        "images": chart_images(report),
        "adjusted": report.adjusted,
        **_adjusted_context(report),
        "lines": sections.lines,
    }
    return _environment().get_template(TEMPLATE).render(**context)


def _adjusted_context(report: ReportData) -> dict[str, Any]:
    """The adjusted sections' tables (empty when the report has none)."""
    adj = report.adjusted
    if adj is None:
        return {}
    balance_sentence, balance = adjusted_sections.balance_summary(adj)
    funnel_sentence, funnel = adjusted_sections.funnel_table(adj)
    return {
        "adj_pathways": adjusted_sections.pathway_table(adj),
        "adj_difference": adjusted_sections.difference_table(adj),
        "balance_sentence": balance_sentence,
        "balance": balance,
        "funnel_sentence": funnel_sentence,
        "adj_funnel": funnel,
    }


def _offline_fetcher() -> Any:
    """WeasyPrint's fetcher for data: URLs only, failing loudly: a report never goes online."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


@dataclass(frozen=True)
class Rendered:
    """A finished PDF and how many pages it has."""

    pdf: bytes
    n_pages: int


def warm_up() -> None:
    """Load WeasyPrint and start vl-convert's JavaScript engine, without drawing a report.

    A new `fbss report` process spends 1.5-2 s on these two; make_report runs this on a
    thread while the figures are computed (mostly inside DuckDB, which releases the GIL).
    """
    import weasyprint  # noqa: F401  (Pango and the CSS engine load here)

    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"x": 0}]}})


def render_pdf(report: ReportData, *, progress: Progress | None = None) -> Rendered:
    """The report as a PDF."""
    import weasyprint  # Pango is loaded here, not when `fbss --help` starts

    html = render_html(report)
    if progress:
        progress(0.9, "Writing the PDF")
    css = resources.files("reports").joinpath("templates", STYLESHEET).read_text("utf-8")
    # Tagged PDF: headings, paragraphs and tables (TH/TD) are structure, not just ink.
    document = weasyprint.HTML(string=html, url_fetcher=_offline_fetcher()).render(
        stylesheets=[weasyprint.CSS(string=css)], pdf_tags=True
    )
    pdf = document.write_pdf(pdf_tags=True)
    assert pdf is not None  # write_pdf without a target returns the bytes
    return Rendered(bytes(pdf), len(document.pages))

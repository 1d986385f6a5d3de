"""Outcome reports for review meetings (issue 11): one PDF per clinic, physician or network.

    build_report(db, scope, period, *, compare_previous=False, progress=None) -> ReportData
    render_pdf(report) -> bytes                      # HTML + CSS through WeasyPrint
    write_report(db, scope, period, out, ...) -> Path  # both, for `fbss report`
    figure_image(figure, fmt, caption=()) -> bytes   # a chart as PNG or SVG, offline

Layer: above the dashboard's pure modules (charts, labels, palette, tables); imports no
streamlit. The dashboard's Report action and chart downloads call it lazily.
"""

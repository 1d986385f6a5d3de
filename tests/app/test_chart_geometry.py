"""Charts drawn where their numbers say: every chart function of `dashboard.charts` is
rendered offline by Vega-Lite (vl-convert, no browser) on known data, then the geometry is
checked: every whisker on its own bar, every bar as long as its value, no mark outside
its plot. A registry names each chart function once; a test fails when a new public chart
function is not in it.

Regression for issue 12, "Compare pathways → Treatments: every 95% whisker sits one bar to
the left of its bar". Streamlit's theme narrows bars to 85% of their band; with an xOffset
channel Vega-Lite centred the narrowed bar with the width of the whole cluster, so each
bar slid right by 7.5% of a cluster (one bar with 15 treatments) while the whiskers stayed
put. The renders below use that theme setting as well as Vega-Lite's defaults.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import pytest
import vl_convert

from dashboard import charts, screen_theme
from dashboard.charts import Figure
from pipelines import vocabulary as vocab
from tests.app import test_charts as tc
from tests.app.test_adjusted_charts import RESULT as ADJUSTED

# Vega-Lite's defaults, and the chart as Streamlit draws it in a half-page column: its whole
# "streamlit" theme (streamlit 1.67 frontend, CustomTheme, which narrows bars to 85% of their
# band among much else) and the column's width, as the PNG downloads draw it too. A chart's
# own config wins over the theme, so marks that must not be narrowed say so themselves.
THEMES = {"vega-lite defaults": None, "streamlit theme": screen_theme.COLUMN_WIDTH}


def render(chart: alt.TopLevelMixin, width: int | None) -> dict[str, Any]:
    if width is None:
        spec = chart.to_dict()
    else:
        spec = screen_theme.screen_spec(chart, width, screen_theme.FALLBACK_FONT)
    scenegraph: dict[str, Any] = vl_convert.vegalite_to_scenegraph(spec)
    return scenegraph


def described(item: dict[str, Any]) -> dict[str, str]:
    """A mark's accessible description ("field: value; ...") as a dict."""
    pairs = (part.split(": ", 1) for part in item["description"].split("; "))
    return {key: value for key, value in pairs}


@dataclass
class Cell:
    """One plot cell (a single view, or one facet): its size and its marks in layer order."""

    width: float
    height: float
    marks: list[dict[str, Any]]  # Vega marks with role "mark", in the spec's layer order

    def items(self, layer: int) -> list[dict[str, Any]]:
        return list(self.marks[layer]["items"])


def plot_cells(node: Any) -> Iterator[Cell]:
    """Every group item that holds data marks, with the marks in its own coordinates."""
    if isinstance(node, list):
        for child in node:
            yield from plot_cells(child)
        return
    if not isinstance(node, dict):
        return
    for item in node.get("items", []) if node.get("marktype") == "group" else []:
        marks = [m for m in item.get("items", []) if m.get("role") == "mark"]
        if marks:
            yield Cell(float(item.get("width", 0)), float(item.get("height", 0)), marks)
    for value in node.values():
        if isinstance(value, list | dict):
            yield from plot_cells(value)


def corners(mark: dict[str, Any], item: dict[str, Any]) -> list[tuple[float, float]]:
    """The points of an item that must lie inside its plot cell."""
    x, y = float(item.get("x", 0)), float(item.get("y", 0))
    kind = mark["marktype"]
    if kind == "rect":
        return [(x, y), (x + float(item.get("width", 0)), y + float(item.get("height", 0)))]
    if kind == "rule":
        return [(x, y), (float(item.get("x2", x)), float(item.get("y2", y)))]
    if kind == "area":
        return [(x, y), (x, float(item.get("y2", y)))]
    return [(x, y)]  # symbols, line vertices, text anchors


def assert_inside(cells: list[Cell], slack: float = 1.0) -> None:
    """No data mark falls outside its plot cell (a bar past the axis, a band below 0).

    `slack` is half a 2-pixel tick: the tick marking a 0% rate is centred on the axis.
    """
    assert cells, "nothing was drawn"
    for cell in cells:
        for mark in cell.marks:
            for item in mark["items"]:
                for px, py in corners(mark, item):
                    assert -slack <= px <= cell.width + slack, (mark["marktype"], item)
                    assert -slack <= py <= cell.height + slack, (mark["marktype"], item)


def rates(group: str, codes: list[str], measures: tuple[str, ...]) -> pd.DataFrame:
    """Responder rates that differ per group (0.05 apart), each with a ±0.04 interval."""
    rows = []
    for m, measure in enumerate(measures):
        for i, code in enumerate(codes):
            if m == 1 and i == 3:
                continue  # one group without a rate for the second measure
            rate = 0.1 + 0.05 * i + 0.02 * m
            rows.append(
                {
                    group: code,
                    "cause": "pseudarthrosis",
                    "measure": measure,
                    "responder_rate": rate,
                    "responder_ci_low": rate - 0.04,
                    "responder_ci_high": rate + 0.04,
                    "n_assessed": 40,
                    "n_excluded": 0,
                    "responders": round(rate * 40),
                    "suppressed": False,
                }
            )
    return pd.DataFrame(rows)


GROUPS = {"pathway": list(vocab.PATHWAYS), "treatment": list(vocab.TREATMENTS)}


def percent_of(text: str) -> float:
    return float(text.rstrip("%")) / 100


def interval_of(text: str) -> tuple[float, float]:
    """'6–14%' -> (0.06, 0.14)."""
    low, high = text.rstrip("%").split("–")
    return float(low) / 100, float(high) / 100


def keyed(items: list[dict[str, Any]], field: str) -> dict[str, dict[str, Any]]:
    """Items by one field of their accessible description (the group they draw)."""
    return {described(i)[field]: i for i in items}


# -- one check per chart: what its numbers say about where its marks must be ----------


def check_horizontal_rate_bars(cells: list[Cell]) -> None:
    """Bars (layer 0) as long as their rate, whiskers (1) through their bar's middle and
    spanning the interval, a tick (2) at every rate: a 0% bar is still a mark."""
    checked = 0
    for cell in cells:
        whiskers = cell.items(1)  # rules carry no description (aria=False): found by place
        ticks = cell.items(2)
        for bar in cell.items(0):
            fields = described(bar)
            rate = percent_of(fields["Responder rate"])
            assert bar["width"] == pytest.approx(rate * cell.width, abs=0.01)
            middle = bar["y"] + bar["height"] / 2
            whisker = min(whiskers, key=lambda w: abs(w["y"] - middle))
            assert whisker["y"] == pytest.approx(middle)
            low, high = interval_of(fields["95% CI (Wilson)"])
            assert sorted([whisker["x"], whisker["x2"]]) == pytest.approx(
                [low * cell.width, high * cell.width], abs=0.01
            )
            tick = min(ticks, key=lambda t: abs(t["y"] + t["height"] / 2 - middle))
            assert tick["x"] + tick["width"] / 2 == pytest.approx(rate * cell.width, abs=0.01)
            checked += 1
    assert checked


def check_followup_bars(cells: list[Cell]) -> None:
    (cell,) = cells[:1]
    whiskers = cell.items(1)
    for bar in cell.items(0):
        fields = described(bar)
        rate = percent_of(fields["Follow-up completion"])
        assert bar["height"] == pytest.approx(rate * cell.height, abs=0.01)
        middle = bar["x"] + bar["width"] / 2
        whisker = min(whiskers, key=lambda w: abs(w["x"] - middle))
        assert whisker["x"] == pytest.approx(middle)
        low, high = interval_of(fields["95% CI (Wilson)"])
        assert sorted([whisker["y"], whisker["y2"]]) == pytest.approx(
            [(1 - high) * cell.height, (1 - low) * cell.height], abs=0.01
        )


def check_new_cases(cells: list[Cell]) -> None:
    """Bar heights proportional to their counts; each total sits over its period's bars."""
    (cell,) = cells
    bars, totals = cell.items(0), cell.items(1)
    per_case = {bar["height"] / float(described(bar)["New cases"]) for bar in bars}
    assert max(per_case) == pytest.approx(min(per_case))
    assert len(totals) == 3
    for text in totals:
        stack = [b for b in bars if b["x"] < text["x"] < b["x"] + b["width"]]
        assert stack, text  # every total stands over its period's bars ...
        # (Vega-Lite insets a time-unit bar by half a pixel on its left)
        assert text["x"] == pytest.approx(stack[0]["x"] + stack[0]["width"] / 2, abs=1.0)
        assert text["y"] == pytest.approx(min(b["y"] for b in stack), abs=0.01)  # ... on top
        total = int(described(text)["All new cases"].split()[0])
        assert sum(b["height"] for b in stack) == pytest.approx(total * per_case.pop(), rel=1e-6)
        per_case.add(sum(b["height"] for b in stack) / total)


def check_completeness(cells: list[Cell]) -> None:
    (cell,) = cells
    for bar in cell.items(0):
        share = percent_of(described(bar)["Records with a value"])
        assert bar["width"] == pytest.approx(share * cell.width, abs=0.01)


def check_heatmap_text_in_cells(cells: list[Cell]) -> None:
    """Every cell's text (last layer) inside a drawn rectangle, shown or hidden."""
    (cell,) = cells
    rects = [i for m in cell.marks[:-1] for i in m["items"]]
    texts = cell.items(len(cell.marks) - 1)
    assert texts
    for t in texts:
        assert any(
            r["x"] <= t["x"] <= r["x"] + r["width"] and r["y"] <= t["y"] <= r["y"] + r["height"]
            for r in rects
        ), t


def check_trajectory(cells: list[Cell]) -> None:
    """One line per run of timepoints: repeat surgery lacks 24 months (5 points), the less
    invasive line has all 6; bands and points stay inside the plot (checked for all)."""
    lines = sorted(len(c.items(0)) for c in cells if c.marks[0]["marktype"] == "line")
    assert lines == [5, 6]


def check_histogram(cells: list[Cell]) -> None:
    """Bar heights proportional to their share of the group (one y scale for all panels)."""
    per_share = {
        bar["height"] / percent_of(described(bar)["Share of group"])
        for cell in cells
        for bar in cell.items(0)
    }
    assert per_share
    assert max(per_share) == pytest.approx(min(per_share))


def check_km(cells: list[Cell]) -> None:
    """The survival axis runs from 0 (bottom) to 100% (top)."""
    checked = 0
    for cell in cells:
        if cell.marks[0]["marktype"] != "line":
            continue
        for point in cell.items(0):
            survival = percent_of(described(point)["Free of reoperation"])
            # the description rounds to 0.1%: allow 0.6% of the height, far under the
            # 20% an axis starting at 80% would be off by
            assert point["y"] == pytest.approx(
                (1 - survival) * cell.height, abs=0.006 * cell.height
            )
            checked += 1
    assert checked


def flat(mark: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Items of a mark, descending into the per-series groups of lines and areas."""
    for item in mark.get("items", []):
        if "items" in item:
            for inner in item["items"]:
                yield from flat(inner)
        else:
            yield item


def check_funnel(cells: list[Cell]) -> None:
    dots = [i for c in cells for m in c.marks if m["marktype"] == "symbol" for i in m["items"]]
    assert dots
    for dot in dots:
        rate = percent_of(described(dot)["Responder rate"])
        assert dot["y"] == pytest.approx((1 - rate) * cells[0].height, abs=0.3)


def _zero_rate() -> pd.DataFrame:
    frame = rates("pathway", GROUPS["pathway"], ("odi",))
    frame.loc[0, ["responders", "responder_rate", "responder_ci_low"]] = [0, 0.0, 0.0]
    return frame


def _new_cases() -> Figure:
    totals = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-10-01"]),
            "n_cases": [15, 7, 6],
            "suppressed": False,
        }
    )
    return charts.new_cases(
        tc.cases_frame(), totals=totals, period="quarter", as_of=dt.date(2024, 11, 2)
    )


def _opioids() -> Figure:
    """Opioid doses near 0 whose t intervals dip below it: the band is clipped at 0 MME."""
    frame = tc.trajectory_frame().assign(measure="opioid_mme")
    frame["mean"], frame["ci_low"], frame["ci_high"] = 2.0, -3.0, 7.0
    return charts.trajectory(frame, group="pathway", measure="opioid_mme")


# name -> (what draws the chart on known data, what its geometry must show)
REGISTRY: dict[str, tuple[Callable[[], Figure], Callable[[list[Cell]], None]]] = {
    "rate_bars": (
        lambda: charts.rate_bars(
            rates("treatment", GROUPS["treatment"], ("odi", "back_pain")), group="treatment"
        ),
        check_horizontal_rate_bars,
    ),
    "rate_bars_zero": (lambda: charts.rate_bars(_zero_rate()), check_horizontal_rate_bars),
    "responder_bars": (
        lambda: charts.responder_bars(
            pd.concat(
                [
                    rates("treatment", GROUPS["treatment"], ("odi",)),
                    rates("treatment", GROUPS["treatment"], ("odi",))
                    .assign(cause="arachnoiditis")
                    .iloc[::2],
                ]
            ),
            group="treatment",
        ),
        check_horizontal_rate_bars,
    ),
    "responder_heatmap": (
        lambda: charts.responder_heatmap(tc.summary_frame()),
        check_heatmap_text_in_cells,
    ),
    "followup_by_timepoint": (
        lambda: charts.followup_by_timepoint(tc.followup_frame()),
        check_followup_bars,
    ),
    "followup_heatmap": (
        lambda: charts.followup_heatmap(tc.followup_frame(by_clinic=True)),
        check_heatmap_text_in_cells,
    ),
    "new_cases": (_new_cases, check_new_cases),
    "completeness": (lambda: charts.completeness(tc.completeness_frame()), check_completeness),
    "trajectory": (
        lambda: charts.trajectory(tc.trajectory_frame(), measure="leg_pain"),
        check_trajectory,
    ),
    "trajectory_opioids": (_opioids, check_trajectory),
    "change_histogram": (lambda: charts.change_histogram(tc.change_frame()), check_histogram),
    "km_curves": (lambda: charts.km_curves(tc.km_frame()), check_km),
    "funnel": (
        lambda: charts.funnel(*tc.funnel_frames(), overall_rate=0.5),
        check_funnel,
    ),
}


# ---- the case-mix adjusted charts (issue 9) ----------------------------------------------


def _symbols(cells: list[Cell]) -> list[dict[str, Any]]:
    return [i for c in cells for m in c.marks if m["marktype"] == "symbol" for i in flat(m)]


def check_dots_on_their_intervals(cells: list[Cell]) -> None:
    """Each estimate's dot lies on its interval's rule: same row, between its two ends."""
    dots = _symbols(cells)
    rules = [i for c in cells for m in c.marks if m["marktype"] == "rule" for i in flat(m)]
    intervals = [r for r in rules if "x2" in r and abs(r.get("y2", r["y"]) - r["y"]) < 0.5]
    assert dots
    for dot in dots:
        on = [r for r in intervals if abs(r["y"] - dot["y"]) < 0.5]
        assert on, f"a dot at y={dot['y']} has no interval on its row"
        assert any(min(r["x"], r["x2"]) - 0.5 <= dot["x"] <= max(r["x"], r["x2"]) + 0.5 for r in on)


def check_has_dots(cells: list[Cell]) -> None:
    assert _symbols(cells)


def check_band_bars(cells: list[Cell]) -> None:
    """Band bars as tall as their share (8, 6, 4, 2 of 20), tallest first."""
    bars = [i for c in cells for m in c.marks if m["marktype"] == "rect" for i in flat(m)]
    heights = sorted((b["height"] for b in bars), reverse=True)
    assert len(heights) == 4
    assert [h / heights[0] for h in heights] == pytest.approx([1, 6 / 8, 4 / 8, 2 / 8], abs=0.02)


def _adjusted_funnel() -> Figure:
    frame = pd.DataFrame(
        {
            "physician": ["Dr A", "Dr B"], "n": [40, 60], "responders": [20, 15],
            "rate": [0.5, 0.25], "expected": [14.0, 18.0], "oe_ratio": [20 / 14, 15 / 18],
            "adjusted_rate": [0.5, 0.3], "shrunken_rate": [0.45, 0.31],
            "position_95": ["above", "within"], "position_998": ["within", "within"],
            "suppressed": [False, False],
        }
    )  # fmt: skip
    return charts.adjusted_funnel(frame, unit="physician", overall_rate=0.35)


def _similar() -> Figure:
    bands = [
        {"band": code, "label": code.replace("_", " "), "n": n, "share": n / 20,
         "ci_low": max(0.0, n / 20 - 0.1), "ci_high": n / 20 + 0.1}
        for code, n in (("clearly_better", 8), ("somewhat_better", 6), ("unchanged", 4),
                        ("worse", 2))
    ]  # fmt: skip
    return charts.similar_bands(
        {"timepoint": "12m", "pathways": [
            {"pathway": "repeat_surgery", "n": 20, "bands": bands, "suppressed": False}]}
    )  # fmt: skip


REGISTRY.update(
    {
        "crude_and_adjusted": (
            lambda: charts.crude_and_adjusted(ADJUSTED),
            check_dots_on_their_intervals,
        ),
        "difference": (lambda: charts.difference(ADJUSTED), check_dots_on_their_intervals),
        "love_plot": (lambda: charts.love_plot(ADJUSTED["balance"]), check_has_dots),
        "adjusted_funnel": (_adjusted_funnel, check_has_dots),
        "similar_bands": (_similar, check_band_bars),
    }
)


# ---- issue 8's follow-up charts: paired change, who is lost ------------------------------


def _paired_change() -> Figure:
    """Paired change with 6 months hidden for repeat surgery: its line must break there."""
    rows = []
    for pathway, changes in (
        ("less_invasive", [0, 4, 6, 8, 9, 10]),
        ("repeat_surgery", [0, 6, 9, None, 14, 15]),
    ):
        for tp, change in zip(vocab.TIMEPOINTS, changes, strict=True):
            rows.append(
                {"pathway": pathway, "timepoint": tp, "n_values": 20, "baseline_mean": 45.0,
                 "mean_change": change, "change_ci_low": None if change is None else change - 2,
                 "change_ci_high": None if change is None else change + 2,
                 "suppressed": change is None}
            )  # fmt: skip
    return charts.mean_change(pd.DataFrame(rows), group="pathway", measure="odi")


def check_paired_change(cells: list[Cell]) -> None:
    """Less invasive is one line of 6 points; repeat surgery breaks at its hidden 6 months
    into runs of 3 (baseline to 3 months) and 2 (12 and 24 months)."""
    runs = sorted(len(m["items"]) for c in cells for m in c.marks if m["marktype"] == "line")
    assert runs == [2, 3, 6]
    assert len(_symbols(cells)) == 11  # 6 + 5 shown points, none at the hidden timepoint


def _dropout() -> Figure:
    frame = pd.DataFrame(
        {
            "characteristic": ["age", "baseline_odi", "sex"],
            "level": [None, None, "female"],
            "smd": [0.05, 0.25, -0.12],
            "followed_value": [55.0, 44.0, 0.52],
            "lost_value": [56.0, 48.0, 0.46],
            "imbalanced": [False, True, True],
            "suppressed": [False, False, False],
        }
    )
    return charts.dropout_smd(frame)


def check_dropout(cells: list[Cell]) -> None:
    """Dots at their SMD on one x scale: 0.25 is 5 times as far from 0 as 0.05."""
    dots = _symbols(cells)
    assert len(dots) == 3
    rules = [i for c in cells for m in c.marks if m["marktype"] == "rule" for i in flat(m)]
    minus, plus = sorted(r["x"] for r in rules)  # the -0.1 and +0.1 marks
    zero, unit = (minus + plus) / 2, (plus - minus) / 0.2
    xs = sorted(round((d["x"] - zero) / unit, 3) for d in dots)
    assert xs == pytest.approx([-0.12, 0.05, 0.25], abs=0.01)


REGISTRY.update(
    {
        "mean_change": (_paired_change, check_paired_change),
        "dropout_smd": (_dropout, check_dropout),
    }
)


def public_chart_functions() -> set[str]:
    """Every public function of the chart modules that returns a Figure."""
    found = set()
    for info in pkgutil.iter_modules(charts.__path__):
        module = importlib.import_module(f"dashboard.charts.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            returns = str(inspect.signature(fn).return_annotation)
            if (
                fn.__module__ == module.__name__
                and not name.startswith("_")
                and returns == "Figure"
            ):
                found.add(name)
    return found


def test_the_registry_covers_every_chart_function() -> None:
    registered = {name.split("_zero")[0].removesuffix("_opioids") for name in REGISTRY}
    assert public_chart_functions() == registered


@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_chart_is_drawn_where_its_numbers_say(name: str, theme: str) -> None:
    build, check = REGISTRY[name]
    scenegraph = render(build(), THEMES[theme])
    cells = list(plot_cells(scenegraph["scenegraph"]))
    assert_inside(cells)
    check(cells)


def test_a_line_never_joins_across_a_missing_timepoint() -> None:
    """Issue 12: the mean-ODI line drew straight from 3 to 24 months across hidden points."""
    frame = tc.trajectory_frame()
    hidden = (frame["pathway"] == "repeat_surgery") & (frame["timepoint"] == "6m")
    frame.loc[hidden, ["mean", "ci_low", "ci_high"]] = None
    frame.loc[hidden, "suppressed"] = True
    scenegraph = render(charts.trajectory(frame, measure="leg_pain"), None)
    segments = sorted(
        sorted(p["x"] for p in line["items"]) for line in flat_lines(scenegraph["scenegraph"])
    )
    # timepoints sit 20 px apart (10, 30, ... 110); repeat surgery lacks 6 months (70):
    # its line stops at 3 months and starts again at 12; less invasive runs to 12 months
    assert segments == [[10, 30, 50], [10, 30, 50, 70, 90], [90, 110]]


def flat_lines(node: Any) -> Iterator[dict[str, Any]]:
    """Every line mark (one per drawn line segment), however deeply grouped."""
    if isinstance(node, list):
        for child in node:
            yield from flat_lines(child)
    elif isinstance(node, dict):
        if node.get("marktype") == "line" and node.get("items"):
            yield node
        for value in node.values():
            if isinstance(value, list | dict):
                yield from flat_lines(value)


def test_survival_axis_ticks_are_the_at_risk_times() -> None:
    """Issue 12: ticks at 0/5/10/15/20 under an at-risk table of 0/3/6/12/24 months, and a
    y axis from 80% labelled "100.000000%"; now the ticks are the table's columns."""
    scenegraph = render(charts.km_curves(tc.km_frame(days=800)), None)
    groups = list(axis_label_groups(scenegraph["scenegraph"]))
    assert ["0", "3", "6", "12", "24"] in groups
    assert ["0%", "10%", "20%", "30%", "40%", "50%", "60%", "70%", "80%", "90%", "100%"] in groups


def axis_label_groups(node: Any) -> Iterator[list[str]]:
    """The label texts of each axis."""
    if isinstance(node, list):
        for child in node:
            yield from axis_label_groups(child)
    elif isinstance(node, dict):
        if node.get("role") == "axis-label":
            yield [i["text"] for i in node.get("items", [])]
        for value in node.values():
            if isinstance(value, list | dict):
                yield from axis_label_groups(value)


@pytest.mark.parametrize(
    "build",
    [lambda: charts.crude_and_adjusted(ADJUSTED), lambda: charts.difference(ADJUSTED)],
)
def test_short_charts_keep_their_plot_height_under_streamlits_fit(
    build: Callable[[], Figure],
) -> None:
    """Streamlit fits title, legend and plot into `height`: the crude-and-adjusted chart
    (180 px, three title lines) kept no plot, and both pathways' rows fell on one line."""
    figure = build()
    asked = figure.to_dict()["height"]
    (cell,) = plot_cells(render(figure, screen_theme.COLUMN_WIDTH)["scenegraph"])
    assert cell.height == pytest.approx(asked)

"""Chart specs via to_dict(): marks, encodings, tooltips, suppression, colours, empty frames."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from analytics.definitions import SUMMARY_EXTRA_FIELDS, SUMMARY_FIELDS
from dashboard import charts, palette

# --- hand-made frames shaped like the analytics results ----------------------------------


def summary_frame(group: str = "pathway") -> pd.DataFrame:
    """Three cells: two shown, one suppressed (figures null, as the analytics layer marks it)."""
    rows = [
        ("epidural_fibrosis", "repeat_surgery", 20, 4, False),
        ("epidural_fibrosis", "less_invasive", 50, 20, False),
        ("arachnoiditis", "less_invasive", None, None, True),
    ]
    if group == "treatment":
        rows = [
            ("epidural_fibrosis", "scar_tissue_removal", 20, 4, False),
            ("epidural_fibrosis", "spinal_cord_stimulation", 50, 20, False),
            ("arachnoiditis", "medication_management", None, None, True),
        ]
    records = []
    for cause, value, n, responders, hidden in rows:
        rate = None if n is None else responders / n
        records.append(
            {
                "cause": cause,
                group: value,
                "timepoint": "12m",
                "measure": "odi",
                "n_cases": None if hidden else n + 5,
                "n_due": None if hidden else n + 2,
                "n_followup_returned": None if hidden else n,
                "n_no_baseline": None if hidden else 0,
                "n_assessed": n,
                "followup_rate": None if hidden else n / (n + 2),
                "n_excluded": None if hidden else 0,
                "responders": responders,
                "responder_rate": rate,
                "responder_ci_low": None if hidden else rate - 0.1,
                "responder_ci_high": None if hidden else rate + 0.1,
                "baseline_mean": None if hidden else 45.0,
                "followup_mean": None if hidden else 35.0,
                "mean_change": None if hidden else 10.0,
                "mean_change_ci_low": None if hidden else 8.0,
                "mean_change_ci_high": None if hidden else 12.0,
                "suppressed": hidden,
                "followup_ci_low": None,
                "followup_ci_high": None,
            }
        )
    frame = pd.DataFrame(records, columns=["cause", group, *SUMMARY_FIELDS, *SUMMARY_EXTRA_FIELDS])
    for col in ("n_cases", "n_due", "n_assessed", "n_excluded", "responders"):
        frame[col] = frame[col].astype("Int64")
    return frame


def trajectory_frame() -> pd.DataFrame:
    rows = []
    for pathway, start in (("repeat_surgery", 6.5), ("less_invasive", 6.0)):
        for i, tp in enumerate(("baseline", "6w", "3m", "6m", "12m", "24m")):
            mean = start - 0.4 * i
            rows.append((pathway, tp, "leg_pain", 40 - i, mean, 2.0, mean - 0.5, mean + 0.5, False))
    rows.append(("repeat_surgery", "24m", "leg_pain", None, None, None, None, None, True))
    cols = [
        "pathway",
        "timepoint",
        "measure",
        "n_values",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "suppressed",
    ]
    frame = pd.DataFrame(rows[:-2] + rows[-1:], columns=cols)
    frame["n_values"] = frame["n_values"].astype("Int64")
    return frame


def change_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pathway": ["repeat_surgery", "repeat_surgery", "less_invasive"],
            "measure": "odi",
            "timepoint": "12m",
            "bin_low": [-5.0, 0.0, np.nan],
            "bin_high": [0.0, 5.0, np.nan],
            "n_cases": pd.array([3, 9, None], dtype="Int64"),
            "group_n": pd.array([12, 12, None], dtype="Int64"),
            "share": [0.25, 0.75, np.nan],
            "suppressed": [False, False, True],
        }
    )


def km_frame(days: int = 60) -> pd.DataFrame:
    rows = []
    for pathway in ("repeat_surgery", "less_invasive"):
        at_risk = 100
        for day in range(days):
            survival = 1 - day / 200
            rows.append(
                (
                    pathway,
                    "reoperation",
                    day,
                    survival,
                    survival - 0.05,
                    min(1.0, survival + 0.05),
                    at_risk,
                    1,
                    0,
                    False,
                )
            )
            at_risk -= 1
    cols = [
        "pathway",
        "event",
        "day",
        "survival",
        "ci_low",
        "ci_high",
        "at_risk",
        "n_events",
        "n_censored",
        "suppressed",
    ]
    return pd.DataFrame(rows, columns=cols)


def funnel_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    points = pd.DataFrame(
        {
            "physician": ["Dr A", "Dr B", "Dr C"],
            "n": pd.array([40, 12, None], dtype="Int64"),
            "responders": pd.array([30, 3, None], dtype="Int64"),
            "responder_rate": [0.75, 0.25, np.nan],
            "ci_low": [0.6, 0.09, np.nan],
            "ci_high": [0.86, 0.53, np.nan],
            "position_95": ["above", "within", None],
            "position_998": ["within", "within", None],
            "suppressed": [False, False, True],
        }
    )
    n = np.arange(1, 41)
    limits = pd.DataFrame(
        {"n": n, "lower_95": 0.2, "upper_95": 0.7, "lower_998": 0.1, "upper_998": 0.8}
    )
    return points, limits


def followup_frame(by_clinic: bool = False) -> pd.DataFrame:
    rows = []
    clinics = ["North", "South"] if by_clinic else [None]
    for clinic in clinics:
        for tp, rate in (("6w", 0.85), ("12m", 0.6), ("24m", 0.4)):
            hidden = clinic == "South" and tp == "24m"
            rows.append(
                {
                    **({"clinic": clinic} if by_clinic else {}),
                    "timepoint": tp,
                    "measure": "odi",
                    "n_cases": None if hidden else 100,
                    "n_due": None if hidden else 50,
                    "n_followup_returned": None if hidden else int(rate * 50),
                    "n_assessed": None if hidden else int(rate * 50),
                    "followup_rate": None if hidden else rate,
                    "followup_ci_low": None if hidden else rate - 0.1,
                    "followup_ci_high": None if hidden else rate + 0.1,
                    "meets_target": None if hidden else rate >= 0.8,
                    "unusable": None if hidden else rate < 0.5,
                    "suppressed": hidden,
                }
            )
    return pd.DataFrame(rows)


def cases_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-04-01"]),
            "cause": ["arachnoiditis", "pseudarthrosis", "arachnoiditis"],
            "n_cases": pd.array([12, None, 7], dtype="Int64"),
            "suppressed": [False, True, False],
        }
    )


def completeness_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": ["cases", "cases", "assessments"],
            "column": ["case_id", "bmi", "satisfaction"],
            "n_rows": [100, 100, 400],
            "n_present": [100, 85, 200],
            "share_present": [1.0, 0.85, 0.5],
        }
    )


# --- spec helpers -------------------------------------------------------------------------


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.to_dict()


def units(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every single-view spec (one with a mark) inside a layered or faceted spec."""
    if "mark" in node:
        yield node
    for child in node.get("layer", []):
        yield from units(child)
    if "spec" in node:
        yield from units(node["spec"])


def marks(chart: alt.TopLevelMixin) -> list[str]:
    return [
        u["mark"]["type"] if isinstance(u["mark"], dict) else u["mark"] for u in units(spec(chart))
    ]


def rows(chart: alt.TopLevelMixin) -> list[dict[str, Any]]:
    datasets = spec(chart).get("datasets", {})
    out: list[dict[str, Any]] = []
    for values in datasets.values():
        out += values
    return out


def tooltip_titles(chart: alt.TopLevelMixin) -> set[str]:
    titles: set[str] = set()
    for u in units(spec(chart)):
        for t in u.get("encoding", {}).get("tooltip", []):
            titles.add(t.get("title", t.get("field")))
    return titles


def colour_map(chart: alt.TopLevelMixin) -> dict[str, str]:
    """Label -> colour from every colour scale with an explicit domain and range."""
    out: dict[str, str] = {}
    for u in units(spec(chart)):
        scale = u.get("encoding", {}).get("color", {}).get("scale")
        if isinstance(scale, dict) and "domain" in scale and "range" in scale:
            out.update(dict(zip(scale["domain"], scale["range"], strict=True)))
    return out


# --- tests ----------------------------------------------------------------------------------


def test_heatmap_marks_selection_and_blank_suppressed_cells() -> None:
    chart = charts.responder_heatmap(summary_frame(), group="pathway", measure_label="ODI 30%")
    d = spec(chart)
    assert marks(chart) == ["rect", "rect", "text"]
    shown, hidden, _text = units(d)
    (param,) = d["params"]  # Altair lifts it to the top, naming the view it listens on
    assert param["name"] == "pick"
    assert param["select"] == {"type": "point", "fields": ["cause", "group"], "on": "click"}
    assert param["views"] == [shown["name"]]
    assert shown["transform"] == [{"filter": "!datum.suppressed"}]
    assert shown["encoding"]["color"]["scale"] == {"scheme": "viridis", "domain": [0, 1]}
    # the suppressed cell: blank (white fill, dashed outline) and no number anywhere
    assert hidden["mark"]["fill"] == "white"
    assert hidden["mark"]["strokeDash"] == [4, 3]
    blank = next(r for r in rows(chart) if r["suppressed"])
    assert blank["cell_text"] == "hidden (<5)"
    assert blank["responder_rate"] is None
    assert blank["n_rate"] is None
    assert blank["responders_text"] == "–"
    shown_cell = next(
        r for r in rows(chart) if r["group"] == "less_invasive" and not r["suppressed"]
    )
    assert shown_cell["cell_text"] == "40%\nn=50"
    assert {"Cause", "Pathway", "Responder rate", "95% CI (Wilson)"} <= tooltip_titles(chart)


def test_heatmap_focus_dims_the_other_cells() -> None:
    chart = charts.responder_heatmap(summary_frame(), focus=("epidural_fibrosis", "less_invasive"))
    focus = {(r["cause"], r["group"]): r["is_focus"] for r in rows(chart)}
    assert focus == {
        ("epidural_fibrosis", "repeat_surgery"): False,
        ("epidural_fibrosis", "less_invasive"): True,
        ("arachnoiditis", "less_invasive"): False,
    }
    shown = next(units(spec(chart)))
    assert shown["encoding"]["opacity"]["condition"][0]["test"] == "datum.is_focus"


def test_bars_carry_their_numbers_and_keep_hidden_groups_on_the_axis() -> None:
    """Issue 12: labels read "20% (4/20), 10–30%"; a hidden group stays as "hidden (<5)"."""
    chart = charts.responder_bars(summary_frame(), group="pathway")
    d = spec(chart)
    assert d["facet"]["row"]["field"] == "cause_label"
    bar, rule, tick, _note = units(d)
    assert rule["encoding"]["x"]["field"] == "responder_ci_low"
    assert rule["encoding"]["x2"]["field"] == "responder_ci_high"
    assert tick["encoding"]["x"]["field"] == "tick_x"
    assert [p["name"] for p in d["params"]] == ["pick"]
    assert d["params"][0]["views"] == [bar["name"]]
    assert [r["axis_label"] for r in rows(chart)] == [
        "Repeat surgery: 20% (4/20), 10–30%",
        "Less invasive options: 40% (20/50), 30–50%",
        "Less invasive options: hidden (<5)",
    ]
    assert [r["hidden_x"] for r in rows(chart)] == [None, None, 0.0]


def test_rate_bars_mark_a_zero_rate_with_a_tick() -> None:
    frame = summary_frame().iloc[:2].copy()
    frame.loc[0, ["responders", "responder_rate", "responder_ci_low"]] = [0, 0.0, 0.0]
    frame.loc[0, "responder_ci_high"] = 0.16
    chart = charts.rate_bars(frame, group="pathway")
    zero = rows(chart)[0]
    assert zero["axis_label"] == "Repeat surgery: 0% (0/20), 0–16%"
    assert zero["tick_x"] == 0.0


def test_trajectory_titles_bands_and_colours() -> None:
    chart = charts.trajectory(trajectory_frame(), group="pathway", measure="leg_pain")
    d = spec(chart)
    line, band = units(d)
    assert line["encoding"]["y"]["title"] == "Leg pain (NRS 0–10)"
    assert band["encoding"]["y"]["field"] == "ci_low"
    assert band["encoding"]["y2"]["field"] == "ci_high"
    assert d["title"]["text"] == "Mean leg pain at each timepoint"
    assert "Lower is better" in d["title"]["subtitle"][0]
    assert colour_map(chart) == {
        "Repeat surgery": palette.PATHWAY["repeat_surgery"],
        "Less invasive options": palette.PATHWAY["less_invasive"],
    }
    assert all(r["mean"] is not None for r in rows(chart))  # the hidden row is left out


def test_change_histogram_is_binned_from_the_frame() -> None:
    chart = charts.change_histogram(change_frame(), group="pathway", measure="odi")
    d = spec(chart)
    bar, zero = units(d)
    assert bar["encoding"]["x"]["bin"] == "binned"
    assert bar["encoding"]["x2"]["field"] == "bin_high"
    assert zero["encoding"]["x"] == {"datum": 0}
    assert {r["group"] for r in rows(chart)} == {"repeat_surgery"}


def test_km_curves_are_steps_with_bands_and_stop_when_few_remain() -> None:
    frame = km_frame(days=120)
    chart = charts.km_curves(frame, group="pathway")
    line, band = units(spec(chart))
    assert line["mark"]["interpolate"] == "step-after"
    assert band["mark"]["interpolate"] == "step-after"
    assert band["encoding"]["y"]["field"] == "ci_low"
    kept = rows(chart)
    assert min(r["at_risk"] for r in kept) >= charts.KM_MIN_AT_RISK
    assert len(kept) < len(frame)  # thinned to about one point a week


def test_thin_curve_keeps_first_and_weekly_last_points() -> None:
    curve = km_frame(days=15)
    thin = charts.thin_curve(curve, ["pathway"], step_days=7)
    days = thin[thin["pathway"] == "repeat_surgery"]["day"].tolist()
    assert days == [0, 6, 13, 14]


def test_funnel_layers_limits_overall_and_points() -> None:
    points, limits = funnel_frames()
    chart = charts.funnel(points, limits, unit="physician", overall_rate=0.5)
    lines, overall, _dots = units(spec(chart))
    assert lines["encoding"]["strokeDash"]["scale"]["domain"] == ["95% limits", "99.8% limits"]
    assert overall["mark"]["type"] == "rule"
    assert {"Physician", "Responder rate", "Against the limits"} <= tooltip_titles(chart)
    shown = [r for r in rows(chart) if "unit_name" in r]
    assert [(r["unit_name"], r["position"]) for r in shown] == [
        ("Dr A", "above_95"),
        ("Dr B", "within"),
    ]


@pytest.mark.parametrize(
    ("p95", "p998", "expected"),
    [
        ("within", "within", "within"),
        ("above", "within", "above_95"),
        ("above", "above", "above_998"),
        ("below", "below", "below_998"),
        (None, None, "within"),
    ],
)
def test_funnel_position(p95: object, p998: object, expected: str) -> None:
    assert charts.funnel_position(p95, p998) == expected


def test_followup_chart_marks_the_targets() -> None:
    chart = charts.followup_by_timepoint(followup_frame())
    bars, whiskers, _lines = units(spec(chart))
    assert whiskers["encoding"]["y"]["field"] == "followup_ci_low"
    targets = sorted(r["rate"] for r in rows(chart) if "mark" in r)
    assert targets == [0.5, 0.8]
    assert bars["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_followup_heatmap_blanks_hidden_cells() -> None:
    chart = charts.followup_heatmap(followup_frame(by_clinic=True), unit="clinic")
    _shown, hidden, _text = units(spec(chart))
    assert hidden["mark"]["fill"] == "white"
    blank = next(r for r in rows(chart) if r["suppressed"])
    assert blank["cell_text"] == "hidden (<5)"
    assert blank["followup_rate"] is None


def test_new_cases_leave_out_hidden_cells_and_colour_causes() -> None:
    chart = charts.new_cases(cases_frame(), period="quarter")
    cells = [r for r in rows(chart) if "cause" in r]
    assert {r["period"] for r in cells} == {"2024 Q1", "2024 Q2"}
    assert all(r["cause"] == "arachnoiditis" for r in cells)
    assert colour_map(chart) == {"Arachnoiditis": palette.CAUSE["arachnoiditis"]}


def test_new_cases_merge_hidden_causes_into_other_and_mark_the_current_period() -> None:
    """Issue 12: a clinic's hidden cause cells made it look idle; the period totals stay."""
    totals = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-10-01"]),
            "n_cases": [15, 7, 6],
            "suppressed": False,
        }
    )
    chart = charts.new_cases(
        cases_frame(), totals=totals, period="quarter", as_of=dt.date(2024, 11, 2)
    )
    cells = {(r["period"], r["cause_label"]): r["n_cases"] for r in rows(chart) if "cause" in r}
    assert cells == {
        # 15 in the quarter, 12 shown: "other" would print 3 hidden cases, a small cell,
        # so the quarter's only shown cause joins it (15 merged, nothing under 5 printed)
        ("2024 Q1", "Other (hidden)"): 15,
        ("2024 Q2", "Arachnoiditis"): 7,
        ("2024 Q4", "Other (hidden)"): 6,  # every cause hidden: the quarter is not dropped
    }
    in_progress = {r["period"] for r in rows(chart) if "cause" in r and r["in_progress"]}
    assert in_progress == {"2024 Q4"}
    totals_text = {r["period"]: r["total_text"] for r in rows(chart) if "total_text" in r}
    assert totals_text == {"2024 Q1": "15", "2024 Q2": "7", "2024 Q4": "6 so far"}
    x = next(units(spec(chart)))["encoding"]["x"]
    assert (x["type"], x["timeUnit"]) == ("temporal", "yearquarter")  # Q3 stays a gap


def test_rate_bars_and_completeness() -> None:
    bars = charts.rate_bars(summary_frame().iloc[:2], group="pathway", title="Responders")
    assert marks(bars) == ["bar", "rule", "tick", "text"]
    comp = charts.completeness(completeness_frame())
    assert [r["band"] for r in rows(comp)] == ["99% or more", "80% to 99%", "under 80%"]


def test_treatments_keep_their_colour_across_charts() -> None:
    frame = summary_frame("treatment")
    heat_bars = colour_map(charts.responder_bars(frame, group="treatment"))
    side = colour_map(charts.rate_bars(frame, group="treatment"))
    assert heat_bars == side
    assert heat_bars["Spinal cord stimulation"] == palette.TREATMENT["spinal_cord_stimulation"]


ALL_CHARTS: dict[str, Callable[[], alt.TopLevelMixin]] = {
    "heatmap": lambda: charts.responder_heatmap(summary_frame()),
    "bars": lambda: charts.responder_bars(summary_frame()),
    "trajectory": lambda: charts.trajectory(trajectory_frame(), measure="leg_pain"),
    "change": lambda: charts.change_histogram(change_frame()),
    "km": lambda: charts.km_curves(km_frame()),
    "funnel": lambda: charts.funnel(*funnel_frames(), overall_rate=0.5),
    "followup": lambda: charts.followup_by_timepoint(followup_frame()),
    "followup_heatmap": lambda: charts.followup_heatmap(followup_frame(True)),
    "new_cases": lambda: charts.new_cases(cases_frame()),
    "rate_bars": lambda: charts.rate_bars(summary_frame()),
    "completeness": lambda: charts.completeness(completeness_frame()),
}


@pytest.mark.parametrize("name", list(ALL_CHARTS))
def test_no_chart_lets_vega_compute_an_interval_and_all_have_titles(name: str) -> None:
    chart = ALL_CHARTS[name]()
    text = json.dumps(spec(chart))
    assert "errorbar" not in text
    assert "errorband" not in text
    assert '"extent"' not in text
    assert spec(chart)["title"]
    assert tooltip_titles(chart) or name == "followup"


EMPTY: dict[str, Callable[[], alt.TopLevelMixin]] = {
    "heatmap": lambda: charts.responder_heatmap(summary_frame().iloc[0:0]),
    "bars": lambda: charts.responder_bars(summary_frame().iloc[2:]),  # only hidden rows
    "trajectory": lambda: charts.trajectory(trajectory_frame().iloc[0:0]),
    "change": lambda: charts.change_histogram(change_frame().iloc[2:]),
    "km": lambda: charts.km_curves(km_frame().iloc[0:0]),
    "funnel": lambda: charts.funnel(funnel_frames()[0].iloc[2:], funnel_frames()[1]),
    "followup": lambda: charts.followup_by_timepoint(followup_frame().iloc[0:0]),
    "followup_heatmap": lambda: charts.followup_heatmap(followup_frame(True).iloc[0:0]),
    "new_cases": lambda: charts.new_cases(cases_frame().iloc[1:2]),
    "rate_bars": lambda: charts.rate_bars(summary_frame().iloc[0:0]),
    "completeness": lambda: charts.completeness(completeness_frame().iloc[0:0]),
}


@pytest.mark.parametrize("name", list(EMPTY))
def test_empty_frames_give_a_message_chart(name: str) -> None:
    chart = EMPTY[name]()
    assert marks(chart) == ["text"]
    (row,) = rows(chart)
    assert "No " in row["message"]


def test_km_curves_end_at_the_last_scheduled_follow_up() -> None:
    """Past 24 months only patients with a later event are still in contact, so the
    curve is cut there (censoring would no longer be independent of the event)."""
    frame = km_frame(days=900)
    frame["at_risk"] = 500  # plenty at risk: only the 24-month cut applies
    kept = rows(charts.km_curves(frame, group="pathway"))
    assert max(r["day"] for r in kept) == 730
    assert max(r["months"] for r in kept) == round(730 / (365.25 / 12), 2)

"""Charts and tables of the case-mix adjusted sections (issue 9): specs via to_dict()."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import adjusted_panels, charts

RESULT: dict[str, Any] = {
    "timepoint": "12m",
    "definition": "odi_mic",
    "arms": ["repeat_surgery", "less_invasive"],
    "pathways": [
        {"pathway": "repeat_surgery", "n_analysed": 150, "responders": 60, "rate": 0.4,
         "rate_ci_low": 0.33, "rate_ci_high": 0.48, "adjusted_rate": 0.45,
         "adjusted_ci_low": 0.37, "adjusted_ci_high": 0.53, "mean_change": 10.0,
         "adjusted_mean_change": 11.0, "effective_n": 120.4},
        {"pathway": "less_invasive", "n_analysed": 300, "responders": 90, "rate": 0.3,
         "rate_ci_low": 0.25, "rate_ci_high": 0.35, "adjusted_rate": 0.26,
         "adjusted_ci_low": 0.2, "adjusted_ci_high": 0.32, "mean_change": 8.0,
         "adjusted_mean_change": 7.0, "effective_n": 180.2},
    ],
    "difference": {"unadjusted": 0.1, "unadjusted_ci_low": 0.01, "unadjusted_ci_high": 0.19,
                   "adjusted": 0.19, "adjusted_ci_low": 0.08, "adjusted_ci_high": 0.3,
                   "doubly_robust": 0.17, "doubly_robust_ci_low": 0.07,
                   "doubly_robust_ci_high": 0.27},
    "balance": [
        {"covariate": "age", "smd_unadjusted": 0.05, "smd_adjusted": 0.0},
        {"covariate": "baseline_odi", "smd_unadjusted": 0.4, "smd_adjusted": 1e-12},
    ],
    "suppressed": False,
}  # fmt: skip


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer") or spec["spec"]["layer"]


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for rows in spec["datasets"].values() for row in rows]


def test_crude_and_adjusted_are_dots_with_intervals_side_by_side() -> None:
    spec = charts.crude_and_adjusted(RESULT).to_dict()
    marks = [layer["mark"]["type"] for layer in _layers(spec)]
    assert marks == ["rule", "point", "point"]
    rule = _layers(spec)[0]["encoding"]
    assert (rule["x"]["field"], rule["x2"]["field"]) == ("low", "high")
    assert _layers(spec)[1]["encoding"]["yOffset"]["field"] == "estimate"
    rows = {(r["arm"], r["estimate"]): (r["rate"], r["low"], r["high"]) for r in _values(spec)}
    assert rows[("Repeat surgery", "Crude")] == (0.4, 0.33, 0.48)
    assert rows[("Repeat surgery", "Adjusted (overlap weights)")] == (0.45, 0.37, 0.53)
    assert rows[("Less invasive options", "Adjusted (overlap weights)")] == (0.26, 0.2, 0.32)
    # hollow crude, filled adjusted
    assert [layer["mark"].get("filled") for layer in _layers(spec)[1:]] == [False, True]


def test_the_difference_chart_has_three_estimates_and_zero() -> None:
    spec = charts.difference(RESULT).to_dict()
    values = _values(spec)
    estimates = {
        r["estimate"]: (r["value"], r["low"], r["high"]) for r in values if "estimate" in r
    }
    assert estimates == {
        "Crude": (0.1, 0.01, 0.19),
        "Adjusted (overlap weights)": (0.19, 0.08, 0.3),
        "Doubly robust check": (0.17, 0.07, 0.27),
    }
    assert {"value": 0.0} in values  # the line of no difference


def test_love_plot_marks_plus_and_minus_a_tenth() -> None:
    spec = charts.love_plot(RESULT["balance"]).to_dict()
    values = _values(spec)
    assert {"smd": -0.1} in values
    assert {"smd": 0.1} in values
    points = [r for r in values if "covariate" in r]
    assert len(points) == 4  # two covariates, before and after
    y = _layers(spec)[2]["encoding"]["y"]
    assert y["sort"] == ["baseline odi", "age"]  # worst imbalance first, in words


def test_a_suppressed_result_draws_no_figure() -> None:
    hidden = {**RESULT, "suppressed": True}
    for chart in (charts.crude_and_adjusted(hidden), charts.difference(hidden)):
        spec = chart.to_dict()
        assert spec["mark"]["type"] == "text"
        assert "Too few" in _values(spec)[0]["message"]
    assert charts.love_plot([]).to_dict()["mark"]["type"] == "text"


def test_adjusted_funnel_plots_o_over_e_against_e() -> None:
    frame = pd.DataFrame(
        {
            "physician": ["Dr A", "Dr B", "Dr C"],
            "n": [40, 60, 3],
            "responders": [20, 15, None],
            "rate": [0.5, 0.25, None],
            "expected": [14.0, 18.0, None],
            "oe_ratio": [20 / 14, 15 / 18, None],
            "adjusted_rate": [0.5, 0.3, None],
            "shrunken_rate": [0.45, 0.31, None],
            "position_95": ["above", "within", None],
            "position_998": ["within", "within", None],
            "suppressed": [False, False, True],
        }
    )
    spec = charts.adjusted_funnel(frame, unit="physician", overall_rate=0.35).to_dict()
    dots = [r for r in _values(spec) if "unit_name" in r]
    assert [(r["unit_name"], r["e"], round(r["ratio"], 6)) for r in dots] == [
        ("Dr A", 14.0, round(20 / 14, 6)),
        ("Dr B", 18.0, round(15 / 18, 6)),
    ]  # the suppressed unit is not drawn
    assert _layers(spec)[2]["encoding"]["x"]["field"] == "e"
    # A funnel line: 1 + 1.96 sqrt(E (1 - rate)) / E at its first E.
    line = [r for r in _values(spec) if r.get("level") == "95% limits" and r["side"] == "upper"]
    e = line[0]["e"]
    assert abs(line[0]["ratio"] - (1 + 1.959964 * (e * 0.65) ** 0.5 / e)) < 1e-9
    table = adjusted_panels.provider_table(frame, "physician")
    assert list(table.columns[:5]) == [
        "Physician",
        "Assessed (n)",
        "Observed responders (O)",
        "Expected responders (E)",
        "O/E",
    ]
    assert table["O/E"].tolist()[:2] == [round(20 / 14, 2), round(15 / 18, 2)]


def test_similar_bands_facet_per_pathway_with_wilson_whiskers() -> None:
    bands = [
        {"band": code, "label": code.replace("_", " "), "n": n, "share": n / 20,
         "ci_low": 0.1, "ci_high": 0.5}
        for code, n in (("clearly_better", 8), ("somewhat_better", 6), ("unchanged", 4),
                        ("worse", 2))
    ]  # fmt: skip
    result = {
        "timepoint": "12m",
        "pathways": [
            {"pathway": "repeat_surgery", "n": 20, "bands": bands, "suppressed": False},
            {"pathway": "less_invasive", "n": None, "bands": [], "suppressed": True},
        ],
    }
    spec = charts.similar_bands(result).to_dict()
    assert spec["facet"]["column"]["field"] == "arm"
    assert "not a prediction" in " ".join(spec["title"]["subtitle"].split())
    rows = _values(spec)
    assert {r["arm"] for r in rows} == {"Repeat surgery"}  # the suppressed one is left out
    assert [r["count"] for r in rows] == ["8 of 20", "6 of 20", "4 of 20", "2 of 20"]
    table = adjusted_panels.similar_table(result)
    assert table["Patients"].tolist() == [8, 6, 4, 2]
    assert table["Share (%)"].tolist() == [40.0, 30.0, 20.0, 10.0]

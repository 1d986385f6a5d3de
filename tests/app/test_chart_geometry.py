"""Charts drawn where their numbers say: each spec rendered offline by Vega-Lite
(vl-convert, no browser), then the geometry checked — every whisker on its own bar, every
bar as tall as its value.

Regression for issue 12, "Compare pathways → Treatments: every 95% whisker sits one bar to
the left of its bar". Streamlit's theme narrows bars to 85% of their band; with an xOffset
channel Vega-Lite centred the narrowed bar with the width of the whole cluster, so each
bar slid right by 7.5% of a cluster (one bar with 15 treatments) while the whiskers stayed
put. The renders below use that theme setting as well as Vega-Lite's defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import altair as alt
import pandas as pd
import pytest
import vl_convert

from dashboard import charts
from pipelines import vocabulary as vocab

# What Streamlit's "streamlit" chart theme sets for bars (streamlit 1.67 frontend,
# CustomTheme: `bar: {binSpacing, discreteBandSize: {band: .85}}`); a chart's own config
# wins over the theme, so marks that must not be narrowed say so themselves.
STREAMLIT_BAR_THEME: dict[str, Any] = {"bar": {"binSpacing": 2, "discreteBandSize": {"band": 0.85}}}
THEMES = {"vega-lite defaults": {}, "streamlit theme": STREAMLIT_BAR_THEME}


def render(chart: alt.TopLevelMixin, config: dict[str, Any]) -> dict[str, Any]:
    spec = chart.to_dict()
    spec["config"] = {**config, **spec.get("config", {})}
    scenegraph: dict[str, Any] = vl_convert.vegalite_to_scenegraph(spec)
    return scenegraph


def described(item: dict[str, Any]) -> dict[str, str]:
    """A mark's accessible description ("field: value; ...") as a dict."""
    pairs = (part.split(": ", 1) for part in item["description"].split("; "))
    return {key: value for key, value in pairs}


def cells(node: Any) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(bars, whiskers) of each plot cell (one per facet), items in the cell's coordinates."""
    if isinstance(node, list):
        for child in node:
            yield from cells(child)
        return
    if not isinstance(node, dict):
        return
    marks = [c for c in node.get("items", []) if isinstance(c, dict) and c.get("role") == "mark"]
    bars = [i for m in marks if m["marktype"] == "rect" for i in m["items"]]
    rules = [i for m in marks if m["marktype"] == "rule" for i in m["items"]]
    if bars and rules:
        yield bars, rules
    for value in node.values():
        if isinstance(value, list | dict):
            yield from cells(value)


def pairs(
    scenegraph: dict[str, Any], key: tuple[str, ...]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each whisker with the bar of the same group (matched by the described `key` fields)."""
    out = []
    found = list(cells(scenegraph))
    assert found, "no cell holds both bars and whiskers"
    for bars, rules in found:
        by_key = {tuple(described(b)[k] for k in key): b for b in bars}
        assert len(by_key) == len(bars)
        for rule in rules:
            if not set(key) <= described(rule).keys():
                continue  # a reference line (the 80% target), not a whisker
            out.append((by_key[tuple(described(rule)[k] for k in key)], rule))
    return out


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


@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize("group", list(GROUPS))
def test_rate_bars_whiskers_sit_on_their_own_bars(group: str, theme: str) -> None:
    frame = rates(group, GROUPS[group], ("odi", "back_pain"))
    scenegraph = render(charts.rate_bars(frame, group=group), THEMES[theme])
    matched = pairs(scenegraph, ("measure_label", "group_label"))
    assert len(matched) == len(frame)
    plot_height = matched[0][0]["y2"]  # the bars' baseline: the y scale runs 0 to 1
    for bar, whisker in matched:
        assert whisker["x"] == pytest.approx(bar["x"] + bar["width"] / 2)
        rate = float(described(bar)["Responder rate"].rstrip("%")) / 100
        assert bar["height"] == pytest.approx(rate * plot_height)
        low, high = (
            float(described(whisker)["responder_ci_low"]),
            float(described(whisker)["responder_ci_high"]),
        )
        assert sorted([whisker["y"], whisker["y2"]]) == pytest.approx(
            [plot_height * (1 - high), plot_height * (1 - low)]
        )


@pytest.mark.parametrize("theme", list(THEMES))
def test_responder_bars_whiskers_sit_on_their_own_bars(theme: str) -> None:
    frame = rates("treatment", GROUPS["treatment"], ("odi",))
    other = frame.assign(cause="arachnoiditis").iloc[::2]  # a second facet, other groups
    scenegraph = render(
        charts.responder_bars(pd.concat([frame, other]), group="treatment"), THEMES[theme]
    )
    matched = pairs(scenegraph, ("Cause", "group_label"))
    assert len(matched) == len(frame) + len(other)
    for bar, whisker in matched:
        assert whisker["y"] == pytest.approx(bar["y"] + bar["height"] / 2)


@pytest.mark.parametrize("theme", list(THEMES))
def test_followup_whiskers_sit_on_their_own_bars(theme: str) -> None:
    timepoints = list(vocab.FOLLOWUP_TIMEPOINTS)
    frame = pd.DataFrame(
        {
            "timepoint": timepoints,
            "n_due": [100] * len(timepoints),
            "n_followup_returned": [90 - 10 * i for i in range(len(timepoints))],
            "followup_rate": [0.9 - 0.1 * i for i in range(len(timepoints))],
            "followup_ci_low": [0.85 - 0.1 * i for i in range(len(timepoints))],
            "followup_ci_high": [0.95 - 0.1 * i for i in range(len(timepoints))],
            "suppressed": False,
        }
    )
    scenegraph = render(charts.followup_by_timepoint(frame), THEMES[theme])
    matched = pairs(scenegraph, ("Timepoint after treatment",))
    assert len(matched) == len(timepoints)
    for bar, whisker in matched:
        assert whisker["x"] == pytest.approx(bar["x"] + bar["width"] / 2)

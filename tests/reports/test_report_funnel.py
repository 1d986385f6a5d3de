"""The report's adjusted funnel marks the unit it is about and says where it stands (issue 11).

"The unit's adjusted funnel position, with peers anonymised as on the dashboard": the unit's
point is ringed and labelled "This clinic" / "This physician", its position against the
limits is written beside the chart, and no other physician is named, in the chart's data
or anywhere on the page.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from analytics.adjust.providers import providers
from analytics.definitions import DEFAULT_MIN_CELL, DEFAULT_RESPONDER, DEFAULT_TIMEPOINT
from analytics.display_rules import FUNNEL_POSITION_LABEL, funnel_position
from dashboard import charts
from reports import adjusted
from reports.adjusted_sections import MEANING, funnel_table
from reports.scope import Scope
from tests.reports.conftest import CLINIC, PHYSICIAN, pdf_text

AS_OF = dt.date(2025, 12, 31)


def _datasets(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def _layer_rows(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec["datasets"][layer["data"]["name"]])


@pytest.fixture(scope="module")
def physician_funnel(sample_db: Path) -> adjusted.Adjusted:
    with duckdb.connect(str(sample_db), read_only=True) as db:
        return adjusted.build(
            db,
            Scope("physician", PHYSICIAN),
            as_of=AS_OF,
            min_cell=DEFAULT_MIN_CELL,
            options={},
        )


def test_the_unit_is_ringed_and_labelled_and_peers_are_anonymous(
    physician_funnel: adjusted.Adjusted, sample_cases: pd.DataFrame
) -> None:
    frame = physician_funnel.funnel
    assert frame is not None
    figure = charts.adjusted_funnel(frame, unit="physician", overall_rate=0.4)
    spec = figure.to_dict()
    ring, words = spec["layer"][3], spec["layer"][4]
    assert ring["mark"]["type"] == "point"
    assert ring["mark"]["filled"] is False
    assert words["mark"]["type"] == "text"
    ringed = _layer_rows(spec, ring)
    assert [r["physician"] for r in ringed] == [PHYSICIAN]
    assert [r["highlight"] for r in _layer_rows(spec, words)] == ["This physician"]
    # the ring sits on the unit's own dot: same expected count and O/E
    dot = next(r for r in _layer_rows(spec, spec["layer"][2]) if r["physician"] == PHYSICIAN)
    assert (ringed[0]["e"], ringed[0]["ratio"]) == (dot["e"], dot["ratio"])
    # every name in the chart's data is the unit's or a peer's
    names = {r["physician"] for r in _datasets(spec) if "physician" in r}
    assert PHYSICIAN in names
    assert all(n == PHYSICIAN or re.fullmatch(r"Peer \d+", n) for n in names), names
    others = set(sample_cases["physician"]) - {PHYSICIAN}
    text = figure.to_json()
    assert not [o for o in others if o.split()[-1] in text]


def test_the_position_is_the_analytics_own_for_the_unit(
    physician_funnel: adjusted.Adjusted, sample_db: Path
) -> None:
    """Against the providers frame read directly, names and all (not through the report)."""
    with duckdb.connect(str(sample_db), read_only=True) as db:
        raw = providers(
            db,
            by="physician",
            timepoint=DEFAULT_TIMEPOINT,
            responder=DEFAULT_RESPONDER,
            min_cell=DEFAULT_MIN_CELL,
            as_of=AS_OF,
            adjusted=True,
        )
    own = raw[raw["physician"] == PHYSICIAN].iloc[0]
    key = funnel_position(own["position_95"], own["position_998"])
    assert physician_funnel.unit_position == FUNNEL_POSITION_LABEL[key]
    sentence, _ = funnel_table(physician_funnel)
    assert sentence.startswith(f"{PHYSICIAN}: {int(own['responders'])} responders where ")
    assert sentence.endswith(MEANING[key])


def _one_unit(position_95: str, position_998: str, suppressed: bool = False) -> adjusted.Adjusted:
    frame = pd.DataFrame(
        {
            "clinic": [CLINIC, "Peer 1"], "n": [60, 40], "responders": [12, 20],
            "expected": [20.0, 14.0], "oe_ratio": [0.6, 20 / 14], "adjusted_rate": [0.24, 0.57],
            "position_95": [position_95, "within"], "position_998": [position_998, "within"],
            "suppressed": [suppressed, False],
        }
    )  # fmt: skip
    return adjusted.Adjusted(funnel=frame, unit="clinic", unit_label=CLINIC)


@pytest.mark.parametrize(
    ("p95", "p998", "words"),
    [
        ("within", "within", "Within the 95% limits: as many responders as the case mix"),
        ("below", "within", "Below the 95% limit: fewer responders than the case mix predicts"),
        ("below", "below", "Below the 99.8% limit: fewer responders"),
        ("above", "within", "Above the 95% limit: more responders"),
        ("above", "above", "Above the 99.8% limit: more responders"),
    ],
)
def test_the_sentence_states_the_position(p95: str, p998: str, words: str) -> None:
    sentence, table = funnel_table(_one_unit(p95, p998))
    # 12 observed where 20.0 expected: O/E 0.60, as worked out by hand
    assert sentence.startswith(
        f"{CLINIC}: 12 responders where 20.0 were expected from the case mix "
        "(observed ÷ expected 0.60). "
    )
    assert words in sentence
    assert table.rows[0][0] == CLINIC


def test_a_hidden_unit_is_said_to_be_too_small_to_place() -> None:
    sentence, table = funnel_table(_one_unit("within", "within", suppressed=True))
    assert "too few assessed patients to place on the funnel" in sentence
    assert "12" not in " ".join(str(c) for c in table.rows[0])


def test_the_pdf_states_the_position_beside_the_ringed_chart(
    physician_pdf: Path, clinic_pdf: Path
) -> None:
    for pdf, name, mark in (
        (physician_pdf, PHYSICIAN, "This physician"),
        (clinic_pdf, CLINIC, "This clinic"),
    ):
        page = next(p for p in pdf_text(pdf) if "Adjusted funnel position" in p)
        assert f"Where {name} stands" in page
        assert mark in page  # the label on the chart is text in the PDF
        stated = [label for label in FUNNEL_POSITION_LABEL.values() if label in page]
        assert stated, page
        assert f'The ringed point marked "{mark}" is {name}' in page

"""Responder definitions, presets with sources, group columns and filters."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics import definitions as defs
from analytics.filters import Filters
from pipelines import vocabulary as vocab


@pytest.mark.parametrize(
    ("text", "criteria"),
    [
        (None, [("odi", 30.0, True)]),  # the default: minimal important change
        ("odi_mic", [("odi", 30.0, True)]),
        ("odi_scb", [("odi", 18.8, False)]),
        ("eq5d_mic", [("eq5d", 0.10, False)]),
        ("odi:30%", [("odi", 30.0, True)]),
        ("ODI:10", [("odi", 10.0, False)]),  # case does not matter
        ("leg_pain:2, back_pain:2", [("leg_pain", 2.0, False), ("back_pain", 2.0, False)]),
        ("opioid_mme:50%", [("opioid_mme", 50.0, True)]),
    ],
)
def test_parse_responder(text: str | None, criteria: list[tuple[str, float, bool]]) -> None:
    parsed = defs.parse_responder(text)
    assert [(c.measure, c.threshold, c.is_percent) for c in parsed.criteria] == criteria


def test_joint_definition_is_one_rule(  # issue 8
) -> None:
    (rule,) = defs.parse_responder("pain_relief_50").criteria
    assert isinstance(rule, defs.JointCriterion)
    assert rule.measure == "leg_pain+back_pain"
    assert [(c.measure, c.threshold, c.is_percent) for c in rule.parts] == [
        ("leg_pain", 50.0, True), ("back_pain", 50.0, True),
    ]  # fmt: skip
    assert "same patient" in defs.PRESETS["pain_relief_50"].label
    # a comma still means separate rows; a plus joins within one row
    mixed = defs.parse_responder("leg_pain:50% + back_pain:50%, odi:30%")
    assert [r.measure for r in mixed.criteria] == ["leg_pain+back_pain", "odi"]
    with pytest.raises(defs.AnalyticsError, match="joins a measure with itself"):
        defs.parse_responder("odi:30%+odi:10")


def test_every_preset_names_its_source() -> None:
    authors = {"odi_mic": "Ostelo", "pain_relief_50": "IMMPACT", "odi_scb": "Glassman",
               "eq5d_mic": "Parai"}  # fmt: skip
    assert set(defs.PRESETS) == set(authors)
    for code, preset in defs.PRESETS.items():
        assert authors[code] in preset.source
        assert preset.label


def test_criterion_text_round_trips() -> None:
    for preset in defs.PRESETS.values():
        for criterion in preset.criteria:
            assert defs.parse_responder(criterion.text).criteria == (criterion,)


def test_group_columns_come_from_the_whitelist() -> None:
    assert defs.check_group_columns("cause, pathway,cause") == ("cause", "pathway")
    assert defs.check_group_columns(None) == ()
    with pytest.raises(defs.AnalyticsError, match="cannot group by 'cause; drop table'"):
        defs.check_group_columns(["cause; drop table"])


def test_age_bands_cover_every_adult_age_once() -> None:
    assert [code for code, _, _ in defs.AGE_BANDS] == ["18-39", "40-59", "60-74", "75+"]
    for age in range(18, 111):
        assert sum(low <= age <= high for _, low, high in defs.AGE_BANDS) == 1


def test_followup_marks() -> None:
    assert (defs.FOLLOWUP_TARGET, defs.FOLLOWUP_UNUSABLE) == (0.80, 0.50)


def test_events_default_to_all_in_vocabulary_order() -> None:
    assert defs.check_events(None) == tuple(vocab.EVENTS)
    assert defs.check_events(["complication", "reoperation"]) == ("reoperation", "complication")


def test_filters_are_hashable_and_checked() -> None:
    f = Filters(cause=["epidural_fibrosis"], clinic="North Spine")
    assert f.cause == ("epidural_fibrosis",)
    assert f.clinic == ("North Spine",)
    assert hash(f) == hash(Filters(cause=("epidural_fibrosis",), clinic=("North Spine",)))
    assert Filters().is_empty()
    assert not f.is_empty()
    with pytest.raises(defs.AnalyticsError, match="unknown pathway 'surgery'"):
        Filters(pathway=("surgery",))
    with pytest.raises(defs.AnalyticsError, match="date range is empty"):
        Filters(treatment_from=dt.date(2025, 1, 2), treatment_to=dt.date(2025, 1, 1))
    assert f.params()["f_cause"] == ["epidural_fibrosis"]

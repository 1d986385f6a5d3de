"""The view <-> URL query parameters codec and the narrowing rules (issue 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.filters import Filters
from dashboard.state import (
    View,
    compare_filters,
    focus_filters,
    focus_from_selection,
    narrow,
    query_equal,
)

ROUND_TRIPS = [
    View(),
    View(clinic=("Riverside Pain Clinic",), cause=("arachnoiditis", "pseudarthrosis")),
    View(treatment_from=dt.date(2022, 1, 1), treatment_to=dt.date(2024, 6, 30)),
    View(responder="pain_relief_50", timepoint="24m", period="year"),
    View(columns="treatment", focus_cause="pseudarthrosis", focus_group="revision_fusion"),
    View(
        compare_by="treatment",
        measure="leg_pain",
        patient_cause="epidural_fibrosis",
        patient_age_band="75+",
        patient_sex="other",
        patient_index_surgery="fusion",
        patient_severity="no_baseline_odi",
        unit="clinic",
    ),
    # names with commas, ampersands and spaces survive (repeated parameters, no splitting)
    View(physician=("Dr Smith, Jr & Co", "Dr =1+1")),
]


@pytest.mark.parametrize("view", ROUND_TRIPS)
def test_every_view_round_trips_through_the_url(view: View) -> None:
    assert View.from_query(view.to_query()) == view


def test_the_default_view_has_an_empty_url() -> None:
    assert View().to_query() == {}


def test_only_changed_fields_reach_the_url_with_short_names() -> None:
    view = View(index_surgery=("fusion",), age_band=("40-59",), patient_cause="arachnoiditis")
    assert view.to_query() == {
        "surgery": ["fusion"],
        "age": ["40-59"],
        "patient": ["arachnoiditis"],
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"cause": ["nonsense", "arachnoiditis"]}, View(cause=("arachnoiditis",))),
        ({"cause": "arachnoiditis"}, View(cause=("arachnoiditis",))),  # a single value
        ({"cause": ["arachnoiditis", "arachnoiditis"]}, View(cause=("arachnoiditis",))),
        ({"timepoint": "99y"}, View()),  # unknown choice: the default
        ({"timepoint": ["6m", "3m"]}, View(timepoint="3m")),  # the last one wins
        ({"from": "yesterday"}, View()),  # malformed date dropped
        (
            {"from": "2024-05-01", "to": "2023-01-01"},  # reversed range put right
            View(treatment_from=dt.date(2023, 1, 1), treatment_to=dt.date(2024, 5, 1)),
        ),
        ({"focus_cause": "arachnoiditis"}, View()),  # half a focus is no focus
        ({"focus_cause": "arachnoiditis", "focus_group": "revision_fusion"}, View()),  # wrong kind
        ({"cause": ""}, View()),  # an empty parameter clears
        ({"utm_source": "mail"}, View()),  # foreign parameters ignored
    ],
)
def test_the_url_is_read_leniently(query: dict[str, object], expected: View) -> None:
    assert View.from_query(query) == expected  # type: ignore[arg-type]


def test_clinics_and_physicians_are_checked_against_the_store() -> None:
    query = {"clinic": ["Gone Clinic", "Lakeside"], "physician": ["Dr A"]}
    view = View.from_query(query, clinics=["Lakeside"], physicians=["Dr B"])
    assert view.clinic == ("Lakeside",)
    assert view.physician == ()
    # without a store to check against, names are kept
    assert View.from_query(query).clinic == ("Gone Clinic", "Lakeside")


def test_filters_carry_only_the_sidebar() -> None:
    view = View(cause=("arachnoiditis",), sex=("female",), patient_cause="pseudarthrosis")
    assert view.filters() == Filters(cause=("arachnoiditis",), sex=("female",))


def test_clearing_filters_keeps_the_options() -> None:
    view = View(clinic=("X",), timepoint="6m", unit="clinic")
    assert view.cleared_filters() == View(timepoint="6m", unit="clinic")


@pytest.mark.parametrize(
    ("sidebar", "choices", "expected"),
    [
        (Filters(), {"cause": "arachnoiditis"}, Filters(cause=("arachnoiditis",))),
        (
            Filters(cause=("arachnoiditis", "pseudarthrosis")),
            {"cause": "pseudarthrosis"},
            Filters(cause=("pseudarthrosis",)),
        ),
        # a choice the sidebar excludes leaves nothing, never "everything"
        (Filters(cause=("arachnoiditis",)), {"cause": "pseudarthrosis"}, None),
        (Filters(sex=("male",)), {"sex": "", "cause": ""}, Filters(sex=("male",))),
        (Filters(), {"baseline_severity": "severe"}, Filters(baseline_severity=("severe",))),
    ],
)
def test_narrowing(sidebar: Filters, choices: dict[str, str], expected: Filters | None) -> None:
    assert narrow(sidebar, **choices) == expected


def test_compare_and_focus_filters() -> None:
    view = View(sex=("female",), patient_cause="arachnoiditis", patient_severity="severe")
    assert compare_filters(view) == Filters(
        sex=("female",), cause=("arachnoiditis",), baseline_severity=("severe",)
    )
    focused = View(columns="treatment", focus_cause="pseudarthrosis", focus_group="revision_fusion")
    assert focus_filters(focused) == Filters(
        cause=("pseudarthrosis",), treatment=("revision_fusion",)
    )
    assert focus_filters(View()) == Filters()


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (None, None),
        ({}, None),
        ({"pick": []}, None),
        (
            {"pick": [{"cause": "arachnoiditis", "group": "less_invasive"}]},
            ("arachnoiditis", "less_invasive"),
        ),
        ({"pick": [{"cause": "arachnoiditis"}]}, None),
        ({"other": [{"cause": "a", "group": "b"}]}, None),
    ],
)
def test_focus_from_a_chart_selection(
    selection: dict[str, object] | None, expected: tuple[str, str] | None
) -> None:
    assert focus_from_selection(selection, "pick") == expected


def test_query_equal_treats_a_single_value_as_a_list() -> None:
    assert query_equal({"a": "1"}, {"a": ["1"]})
    assert not query_equal({"a": ["1", "2"]}, {"a": ["2", "1"]})
    assert query_equal({"a": []}, {})

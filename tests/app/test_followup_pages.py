"""Issue 8 on the dashboard: the event-capture rule beside the KM chart and its setting on
the Import page, paired trajectories with an open-cohort option, who is lost and the
out-of-window list on the Data quality page; the charts' specs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics.lost_to_followup import dropout
from dashboard import charts, labels
from pipelines import settings, store
from tests.app.conftest import AppFactory, open_page, texts


def test_compare_page_labels_paired_trajectories_and_the_capture_rule(
    make_app: AppFactory, sample_store: Path
) -> None:
    at = open_page(make_app(sample_store, {"compare_section": "events"}), "Compare pathways")
    assert not at.exception
    assert "Event capture: complete for every clinic." in texts(at)
    # the event table of Causes & pathways says it too (review of the tabs)
    at = open_page(make_app(sample_store, {"causes_section": "events"}), "Causes & pathways")
    assert not at.exception
    assert "Event capture: complete for every clinic." in texts(at)
    at = open_page(make_app(sample_store, {"compare_section": "over_time"}), "Compare pathways")
    assert not at.exception
    assert "Same patients: cases with both a baseline and a value at the timepoint." in texts(at)
    at.toggle(key="compare_open_cohort").set_value(True).run()
    assert not at.exception
    assert "Open cohort: every value recorded at each timepoint" in texts(at)


def test_data_quality_shows_who_is_lost_and_the_window_check(
    make_app: AppFactory, sample_store: Path
) -> None:
    at = open_page(make_app(sample_store, {"quality_section": "lost"}), "Data quality")
    assert not at.exception
    shown = texts(at)
    assert "Who is lost to follow-up at 12 months" in shown
    # which flags show depends on the day (the snapshot is today): the page shows each
    # flag the analytics give (the sample has some)
    flags = [m for m in dropout(sample_store)["message"] if m]
    assert flags
    assert all(f"- {m}" in shown for m in flags)
    at = open_page(make_app(sample_store, {"quality_section": "windows"}), "Data quality")
    assert not at.exception
    assert "Every assessment is dated inside its window." in texts(at)


def test_import_page_sets_a_clinics_event_capture(make_app: AppFactory, store_copy: Path) -> None:
    at = open_page(make_app(store_copy), "Import")
    assert not at.exception
    at.selectbox(key="w_capture_clinic").set_value("Lakeside Back Clinic").run()
    at.radio(key="w_capture_rule_Lakeside Back Clinic").set_value("at_contact").run()
    at.button(key="w_capture_save").click().run()
    assert not at.exception
    with store.reader(store_copy) as con:
        assert settings.event_capture(con) == {"Lakeside Back Clinic": "at_contact"}
    at = open_page(make_app(store_copy, {"compare_section": "events"}), "Compare pathways")
    assert "at_contact for Lakeside Back Clinic; complete for the other clinics" in texts(at)


def test_mean_change_chart_spec_and_empty_frame() -> None:
    frame = pd.DataFrame(
        {
            "pathway": ["less_invasive"] * 2,
            "timepoint": ["baseline", "12m"],
            "n_values": [10, 8],
            "baseline_mean": [50.0, 48.0],
            "mean_change": [0.0, 12.5],
            "change_ci_low": [float("nan"), 8.0],
            "change_ci_high": [float("nan"), 17.0],
            "suppressed": [False, False],
        }
    )
    spec = charts.mean_change(frame, group="pathway", measure="odi").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "errorbar"]
    assert spec["layer"][0]["encoding"]["y"]["field"] == "mean_change"
    # one axis title (the bars' field name used to be appended to it), and the groups in
    # words with the colours of the trajectory chart beside it (review of the tabs)
    assert [layer["encoding"]["y"]["title"] for layer in spec["layer"]] == ["Mean improvement"] * 2
    values = next(iter(spec["datasets"].values()))
    assert {row["group_label"] for row in values} == {labels.PATHWAY["less_invasive"]}
    beside = charts.trajectory(
        frame.assign(mean=[50.0, 35.5], ci_low=[45.0, 30.0], ci_high=[55.0, 41.0]),
        group="pathway",
        measure="odi",
    ).to_dict()
    # the trajectory chart says whom it counts: the frame's cohort (review of the tabs)
    subtitle = beside["title"]["subtitle"]
    assert "Every patient with a value at the timepoint." in subtitle
    paired_spec = charts.trajectory(
        frame.assign(mean=[50.0, 35.5], ci_low=[45.0, 30.0], ci_high=[55.0, 41.0], cohort="paired"),
        group="pathway",
        measure="odi",
    ).to_dict()
    assert (
        "Same patients: those with a baseline and a value at the timepoint."
        in (paired_spec["title"]["subtitle"])
    )
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"] == beside["layer"][0]["encoding"]["color"]["scale"]
    empty = charts.mean_change(frame.iloc[:0], group="pathway", measure="odi")
    assert empty.to_dict()["mark"]["type"] == "text"


def test_the_joint_pain_preset_renders_on_every_outcome_page(
    make_app: AppFactory, sample_store: Path
) -> None:
    # pain_relief_50 is one joint rule now (measure leg_pain+back_pain): the pages chart
    # it, and the funnel takes it as one rule
    for page in ("Causes & pathways", "Compare pathways", "Physicians & clinics"):
        at = open_page(make_app(sample_store, {"responder": "pain_relief_50"}), page)
        assert not at.exception, page
        assert not at.error, page

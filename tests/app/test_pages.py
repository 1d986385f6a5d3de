"""AppTest over every page: sample data, no store, empty store, filters, URL, import (issue 4)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import labels
from pipelines.load import load_paths
from tests.app.conftest import (
    PAGES,
    SAMPLE,
    AppFactory,
    frame_with,
    metric,
    open_page,
    texts,
)

# Charts each page draws on the sample with no filter.
CHARTS_ON_SAMPLE = {
    "Overview": 2,  # its first section: new cases, follow-up by timepoint
    "Causes & pathways": 4,
    "Compare pathways": 3,  # its first section: crude beside adjusted, difference, balance
    "Physicians & clinics": 1,
    "Data quality": 1,  # its first section: follow-up by clinic
    "Import": 0,
}


def charts(at) -> int:  # type: ignore[no-untyped-def]
    return len(at.get("vega_lite_chart"))


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_renders_on_the_sample(
    make_app: AppFactory, sample_store: Path, title: str
) -> None:
    at = open_page(make_app(sample_store), title)
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [title]
    assert charts(at) == CHARTS_ON_SAMPLE[title]


@pytest.mark.parametrize("title", list(PAGES))
@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_every_page_explains_how_to_load_when_there_is_no_data(
    make_app: AppFactory, empty_store: Path, tmp_path: Path, title: str, kind: str
) -> None:
    db = tmp_path / "nothing-here.duckdb" if kind == "missing" else empty_store
    at = open_page(make_app(db), title)
    assert not at.exception, [e.value for e in at.exception]
    assert charts(at) == 0
    if title != "Import":
        assert "fbss load data/sample" in texts(at)
    else:
        assert len(at.file_uploader) == 1


def test_overview_headline_figures_on_the_sample(
    make_app: AppFactory, sample_store: Path, sample_cases: pd.DataFrame
) -> None:
    at = open_page(make_app(sample_store), "Overview")
    assert metric(at, "Cases in view") == f"{len(sample_cases):,}"
    assert "Data last loaded" in texts(at)
    assert at.get("expander")  # tables with their CSV downloads
    # each chart's PNG and SVG buttons are counted in tests/reports; the first section
    # has three tables (headline figures, new cases, follow-up by timepoint)
    others = [b for b in at.get("download_button") if b.proto.label not in ("PNG", "SVG")]
    assert len(others) == 3


def test_overview_follow_up_by_clinic_worst_first_and_the_card_matches_the_chart(
    make_app: AppFactory, sample_store: Path
) -> None:
    """Issue 12: which clinic misses the 12-month target, and by how much, in one step."""
    at = open_page(make_app(sample_store, {"overview_section": "by_unit"}), "Overview")
    by_clinic = frame_with(at, "Gap to 80% (pts)")
    assert list(by_clinic.columns[:3]) == ["Clinic", "Due at 12 months", "Returned"]
    rates = list(by_clinic["Follow-up (%)"])
    assert rates == sorted(rates)  # worst first
    for _, row in by_clinic.iterrows():
        rate = round(100 * row["Returned"] / row["Due at 12 months"], 1)
        assert row["Follow-up (%)"] == pytest.approx(rate)
        assert row["Gap to 80% (pts)"] == pytest.approx(max(0.0, 80 - rate), abs=0.051)
    # the card reads the chart's own frame: the 12-month ODI row
    at = open_page(make_app(sample_store), "Overview")
    chart_rows = frame_with(at, "Below 50% (unusable)")
    twelve = chart_rows[chart_rows["Timepoint"] == "12 months"].iloc[0]
    assert metric(at, "Follow-up") == f"{round(twelve['Follow-up (%)']):.0f}%"


def test_overview_counts_the_follow_ups_due_this_month(
    make_app: AppFactory, sample_store: Path
) -> None:
    """Issue 12: "37 follow-ups due this month", the worklist behind it as a table (its
    most urgent rows: issue 7)."""
    from analytics.worklist import worklist
    from dashboard.followup import WORKLIST_SHOWN

    at = open_page(make_app(sample_store, {"overview_section": "worklist"}), "Overview")
    everything = worklist(sample_store)
    soon = int((everything["days_left"] <= 30).sum())
    assert f"{soon:,} follow-up" in texts(at)
    assert f"of {len(everything):,} open windows" in texts(at)
    table = frame_with(at, "Days left")
    assert list(table["Case"]) == list(everything["case_id"][:WORKLIST_SHOWN])
    assert list(table["Days left"]) == sorted(table["Days left"])


def test_every_page_says_what_it_shows_and_names_downloads_so(
    make_app: AppFactory, sample_store: Path
) -> None:
    at = open_page(make_app(sample_store), "Overview")
    assert "Showing: all cases · data as of" in texts(at)
    at.multiselect(key="w_clinic").set_value(["Lakeside Back Clinic"]).run()
    assert "Showing: clinic Lakeside Back Clinic · data as of" in texts(at)
    assert at.session_state["_fbss_file_suffix"].startswith("clinic-lakeside-back-clinic_")


def test_a_sidebar_filter_changes_the_figures(
    make_app: AppFactory, sample_store: Path, sample_cases: pd.DataFrame
) -> None:
    at = open_page(make_app(sample_store), "Overview")
    before = metric(at, "Responders")
    clinic = "Lakeside Back Clinic"
    at.multiselect(key="w_clinic").set_value([clinic]).run()
    assert not at.exception
    expected = int((sample_cases["clinic"] == clinic).sum())
    assert metric(at, "Cases in view") == f"{expected:,}"
    assert metric(at, "Responders") != before
    assert at.query_params["clinic"] == clinic

    at.multiselect(key="w_cause").set_value(["arachnoiditis"]).run()
    both = (sample_cases["clinic"] == clinic) & (sample_cases["cause"] == "arachnoiditis")
    assert metric(at, "Cases in view") == f"{int(both.sum()):,}"


def test_filters_that_leave_no_case_say_so(make_app: AppFactory, sample_store: Path) -> None:
    at = make_app(sample_store, {"from": "2020-11-03", "to": "2020-11-03", "age": "18-39"})
    at.run()
    assert not at.exception
    assert "match these filters" in texts(at)
    assert charts(at) == 0
    at.button(key="w_clear_all_filters").click().run()
    assert charts(at) == 2
    assert "from" not in at.query_params


def test_the_url_restores_the_view_and_follows_changes(
    make_app: AppFactory, sample_store: Path, sample_cases: pd.DataFrame
) -> None:
    query = {
        "clinic": "Riverside Pain Clinic",
        "cause": ["epidural_fibrosis", "pseudarthrosis"],
        "timepoint": "6m",
        "responder": "odi_scb",
        "from": "2022-01-01",
    }
    at = make_app(sample_store, query)
    at.run()
    assert not at.exception
    assert at.multiselect(key="w_clinic").value == ["Riverside Pain Clinic"]
    assert at.multiselect(key="w_cause").value == ["epidural_fibrosis", "pseudarthrosis"]
    assert at.selectbox(key="w_timepoint").value == "6m"
    assert at.selectbox(key="w_responder").value == "odi_scb"
    assert at.date_input(key="w_dates").value[0].isoformat() == "2022-01-01"
    in_view = (
        (sample_cases["clinic"] == "Riverside Pain Clinic")
        & sample_cases["cause"].isin(["epidural_fibrosis", "pseudarthrosis"])
        & (sample_cases["treatment_date"] >= "2022-01-01")
    )
    assert metric(at, "Cases in view") == f"{int(in_view.sum()):,}"
    # the URL keeps exactly the view (nothing added, nothing lost)
    assert at.query_params == query

    at.selectbox(key="w_timepoint").set_value("24m").run()
    assert at.query_params["timepoint"] == "24m"
    # a new session opened on that URL shows the same view
    again = make_app(sample_store, dict(at.query_params))
    again.run()
    assert again.selectbox(key="w_timepoint").value == "24m"
    assert metric(again, "Cases in view") == metric(at, "Cases in view")


def test_the_url_round_trips_across_pages(make_app: AppFactory, sample_store: Path) -> None:
    at = make_app(sample_store, {"sex": "female", "unit": "clinic"})
    open_page(at, "Physicians & clinics")
    assert at.button_group(key="w_unit").value == "clinic"
    frame = frame_with(at, "Assessed (n)")
    assert list(frame.columns[:3]) == ["Clinic", "Assessed (n)", "Observed responders (O)"]
    at.switch_page(PAGES["Overview"]).run()
    assert at.query_params == {"sex": "female", "unit": "clinic"}


def test_unknown_url_values_are_dropped(make_app: AppFactory, sample_store: Path) -> None:
    at = make_app(
        sample_store,
        {
            "cause": ["nonsense", "arachnoiditis"],
            "timepoint": "99y",
            "clinic": "No Such Clinic",
            "from": "yesterday",
        },
    )
    at.run()
    assert not at.exception
    assert at.multiselect(key="w_cause").value == ["arachnoiditis"]
    assert at.selectbox(key="w_timepoint").value == "12m"
    assert at.query_params == {"cause": "arachnoiditis"}


def test_causes_page_focus_narrows_the_detail_charts(
    make_app: AppFactory, sample_store: Path
) -> None:
    at = make_app(sample_store)
    open_page(at, "Causes & pathways")
    assert "All causes, by pathway" in texts(at)
    everyone = frame_with(at, "Patients with a value")  # mean at each timepoint
    assert set(everyone["Pathway"]) == {"Repeat surgery", "Less invasive options"}

    focused = make_app(
        sample_store, {"focus_cause": "decompression_failure", "focus_group": "repeat_surgery"}
    )
    open_page(focused, "Causes & pathways")
    assert not focused.exception
    assert "Selected: Decompression failure · Repeat surgery" in texts(focused)
    narrowed = frame_with(focused, "Patients with a value")
    assert set(narrowed["Pathway"]) == {"Repeat surgery"}
    baseline = narrowed.loc[narrowed["Timepoint"] == "Baseline", "Patients with a value"]
    assert int(baseline.iloc[0]) < int(
        everyone.loc[
            (everyone["Pathway"] == "Repeat surgery") & (everyone["Timepoint"] == "Baseline"),
            "Patients with a value",
        ].iloc[0]
    )
    focused.button(key="w_clear_focus").click().run()
    assert "focus_cause" not in focused.query_params
    assert "All causes, by pathway" in texts(focused)


def test_a_hidden_cell_keeps_its_details_hidden(make_app: AppFactory, sample_store: Path) -> None:
    # arachnoiditis is too small at 12 months in the sample (a blank cell)
    at = make_app(sample_store, {"focus_cause": "arachnoiditis", "focus_group": "less_invasive"})
    open_page(at, "Causes & pathways")
    assert "hidden as a small group" in texts(at)
    assert charts(at) == 2


def test_causes_page_by_treatment(make_app: AppFactory, sample_store: Path) -> None:
    at = make_app(sample_store)
    open_page(at, "Causes & pathways")
    at.button_group(key="w_columns").set_value("treatment").run()
    assert not at.exception
    assert at.query_params == {"columns": "treatment"}
    table = frame_with(at, "Responders")
    assert "Treatment" in table.columns
    assert set(table["Treatment"]) <= set(labels.TREATMENT.values())


def test_compare_page_profile_narrows_the_cohort(
    make_app: AppFactory, sample_store: Path, sample_cases: pd.DataFrame
) -> None:
    at = make_app(sample_store, {"compare_section": "events"})
    open_page(at, "Compare pathways")
    assert "Observational comparison, not a trial" in texts(at)
    at.selectbox(key="w_patient_cause").set_value("epidural_fibrosis").run()
    at.selectbox(key="w_patient_sex").set_value("female").run()
    assert not at.exception
    assert at.query_params == {
        "patient": "epidural_fibrosis",
        "patient_sex": "female",
        "compare_section": "events",
    }
    at_risk = frame_with(at, "At treatment")
    chosen = sample_cases[
        (sample_cases["cause"] == "epidural_fibrosis") & (sample_cases["sex"] == "female")
    ]
    expected = {
        labels.PATHWAY[p]: n for p, n in chosen["treatment"].map(_pathway).value_counts().items()
    }
    shown = dict(zip(at_risk["Pathway"], at_risk["At treatment"].astype(int), strict=True))
    assert shown == expected


def _pathway(treatment: str) -> str:
    from pipelines.vocabulary import pathway_of

    return pathway_of(treatment)


def spy_on(monkeypatch: pytest.MonkeyPatch, names: Iterable[str]) -> set[str]:
    """Record which of these dashboard.data figures a page run calls (the set returned,
    filled as they are called): follow-up completion with its grouping
    ("followup_completion:clinic"); a call with min_cell 0, the count of cases in view
    (data.count_cases), is not recorded."""
    from dashboard import data

    called: set[str] = set()
    for name in names:
        real = getattr(data, name)

        def spy(*args: object, _real: object = real, _name: str = name, **kw: object) -> object:
            by = kw.get("by")
            if kw.get("min_cell") != 0:
                called.add(f"{_name}:{by[0]}" if by and _name == "followup_completion" else _name)
            return _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(data, name, spy)
    return called


# Compare pathways, one section at a time: the charts it draws on the sample, and the
# dashboard.data functions it may call (every other section's figures are not computed).
COMPARE_SECTIONS = {
    "adjusted": (3, {"count_cases", "compare_adjusted"}),
    "outcomes": (2, {"count_cases", "change_distribution", "summary"}),
    "over_time": (2, {"count_cases", "trajectory"}),
    "events": (1, {"count_cases", "km_curves", "events_summary", "numbers_at_risk"}),
    "similar": (0, set()),  # its own profile: no count of the one above
}
COMPARE_FIGURES = {
    "count_cases", "compare_adjusted", "change_distribution", "summary", "trajectory",
    "km_curves", "events_summary", "numbers_at_risk", "similar_patients",
}  # fmt: skip


@pytest.mark.parametrize("section", list(COMPARE_SECTIONS))
def test_compare_page_computes_only_the_open_section(
    make_app: AppFactory, sample_store: Path, monkeypatch: pytest.MonkeyPatch, section: str
) -> None:
    """Issue 7: after a filter change the page waits only for the open tab's figures."""
    called = spy_on(monkeypatch, COMPARE_FIGURES)
    at = make_app(sample_store, {"compare_section": section})
    at.run()  # the app opens on the Overview
    called.clear()
    at.switch_page(PAGES["Compare pathways"]).run()
    assert not at.exception, [e.value for e in at.exception]
    n_charts, allowed = COMPARE_SECTIONS[section]
    assert charts(at) == n_charts
    assert called == allowed
    # every section has its tab, and the open one is the URL's
    titles = {
        "adjusted": "Adjusted comparison",
        "outcomes": "Outcomes, crude",
        "over_time": "Over time, crude",
        "events": "Reoperations and complications",
        "similar": "Patients like mine",
    }
    assert [t.label for t in at.tabs] == list(titles.values())
    assert at.session_state["w_compare_section"] == titles[section]


# Overview, Causes & pathways and Data quality, one section at a time (below the cards,
# the heat map and the load history): charts on the sample and the dashboard.data
# functions called.
PAGE_SECTIONS = {
    ("Overview", "trends"): (2, {"cases_by_period"}),
    ("Causes & pathways", "outcomes"): (4, {"summary", "trajectory", "change_distribution"}),
    ("Causes & pathways", "events"): (2, {"summary", "events_summary"}),
    ("Overview", "worklist"): (0, {"worklist_head"}),
    ("Overview", "by_unit"): (0, {"followup_completion:clinic", "followup_completion:physician"}),
    ("Data quality", "followup"): (1, {"followup_completion:clinic"}),
    ("Data quality", "completeness"): (1, {"completeness"}),
    ("Data quality", "lost"): (1, {"dropout"}),
    ("Data quality", "windows"): (0, {"out_of_window"}),
}
SECTION_FIGURES = (
    "cases_by_period", "worklist_head", "followup_completion", "completeness", "dropout",
    "out_of_window", "summary", "trajectory", "change_distribution", "events_summary",
)  # fmt: skip
SECTION_FIELDS = {
    "Overview": "overview_section",
    "Causes & pathways": "causes_section",
    "Data quality": "quality_section",
}


@pytest.mark.parametrize(("title", "section"), list(PAGE_SECTIONS))
def test_overview_and_quality_compute_only_the_open_section(
    make_app: AppFactory,
    sample_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    title: str,
    section: str,
) -> None:
    """Issue 7: the figures of the other sections are not computed."""
    called = spy_on(monkeypatch, SECTION_FIGURES)
    at = make_app(sample_store, {SECTION_FIELDS[title]: section})
    at.run()  # the app opens on the Overview
    if title != "Overview":
        called.clear()
        at.switch_page(PAGES[title]).run()
    assert not at.exception, [e.value for e in at.exception]
    n_charts, allowed = PAGE_SECTIONS[(title, section)]
    assert charts(at) == n_charts
    # the Overview's card reads the follow-up completion of every timepoint
    assert called - {"followup_completion"} == allowed
    tabs = [(t, s) for t, s in PAGE_SECTIONS if t == title]
    assert len(at.tabs) == len(tabs)


def _open_section(at: AppTest, section: str) -> None:
    """What a click on a tab does: the view's section changes, and the page reruns."""
    at.session_state["view"] = at.session_state["view"].with_values(compare_section=section)
    at.run()


def test_compare_tabs_keep_the_toggle_and_the_form_while_closed(
    make_app: AppFactory, sample_store: Path
) -> None:
    """Review of the tabs: Streamlit forgets a widget a run does not draw, so switching tabs
    reset the open-cohort toggle and emptied the "Patients like mine" form."""
    at = open_page(make_app(sample_store, {"compare_section": "over_time"}), "Compare pathways")
    at.toggle(key="compare_open_cohort").set_value(True).run()
    _open_section(at, "similar")
    at.number_input(key="similar_age").set_value(60).run()
    at.selectbox(key="similar_cause").set_value("arachnoiditis").run()
    _open_section(at, "outcomes")
    assert not at.exception
    assert not at.toggle  # closed tabs draw no widget
    _open_section(at, "over_time")
    assert at.toggle(key="compare_open_cohort").value is True
    assert "Open cohort: every value recorded at each timepoint" in texts(at)
    _open_section(at, "similar")
    assert at.number_input(key="similar_age").value == 60
    assert at.selectbox(key="similar_cause").value == "arachnoiditis"
    assert "not a prediction for this patient" in texts(at)  # the similar patients shown


def test_patients_like_mine_ignores_the_profile_above(
    make_app: AppFactory, sample_store: Path
) -> None:
    """Review of the tabs: a profile matching fewer than 5 cases hid every tab, though
    "Patients like mine" has its own profile."""
    narrow = {"patient": "epidural_fibrosis", "patient_age": "18-39", "patient_sex": "female",
              "patient_surgery": "fusion"}  # fmt: skip
    at = open_page(make_app(sample_store, narrow), "Compare pathways")
    assert "similar patients** match this profile" in texts(at)
    assert "groups under 5 are hidden — widen the profile" in texts(at)
    assert len(at.tabs) == 5  # every tab can still be opened
    _open_section(at, "similar")
    assert not at.exception
    assert "This tab has its own profile" in texts(at)
    assert "widen the profile" not in texts(at)
    assert "Enter at least one characteristic" in texts(at)


def test_compare_page_opens_its_first_section_for_an_unknown_one(
    make_app: AppFactory, sample_store: Path
) -> None:
    at = open_page(make_app(sample_store, {"compare_section": "nonsense"}), "Compare pathways")
    assert not at.exception
    assert charts(at) == COMPARE_SECTIONS["adjusted"][0]
    assert "compare_section" not in at.query_params


def test_compare_page_profile_outside_the_sidebar_filters(
    make_app: AppFactory, sample_store: Path
) -> None:
    at = make_app(sample_store, {"sex": "male", "patient_sex": "female"})
    open_page(at, "Compare pathways")
    assert not at.exception
    assert "No similar patients** match this profile" in texts(at)


def test_compare_page_widens_a_narrow_profile_in_one_click(
    make_app: AppFactory, sample_store: Path
) -> None:
    """Issue 12: a narrow profile said "No cases to show" although groups were only hidden."""
    at = make_app(
        sample_store,
        {"patient": "pseudarthrosis", "patient_age": "60-74", "patient_severity": "severe"},
    )
    open_page(at, "Compare pathways")
    assert not at.exception
    assert "groups under 5 are hidden — widen the profile" in texts(at)
    at.button(key="w_widen_profile").click().run()
    assert not at.exception
    view = at.session_state["view"]
    assert (view.patient_cause, view.patient_age_band, view.patient_severity) == (
        "pseudarthrosis",
        "60-74",
        "",
    )


def test_data_quality_shows_the_last_rejection(
    make_app: AppFactory, store_copy: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "cases.csv").write_text((SAMPLE / "cases.csv").read_text().replace(",34,", ",7,", 1))
    assert not load_paths([bad], store_copy).accepted
    at = open_page(make_app(store_copy), "Data quality")
    assert not at.exception
    assert "was rejected with 1 problem." in texts(at)
    report = frame_with(at, "problem")
    assert list(report["column"]) == ["age"]
    loads = frame_with(at, "outcome")
    assert list(loads["outcome"]) == ["rejected", "accepted"]


def test_import_rejects_a_bad_file_with_its_report(make_app: AppFactory, store_copy: Path) -> None:
    at = open_page(make_app(store_copy), "Import")
    bad = (SAMPLE / "cases.csv").read_bytes().replace(b",34,", b",7,", 1)
    at.file_uploader(key="w_upload").set_value(("cases.csv", bad, "text/csv")).run()
    assert not at.exception
    assert "1 problem found" in texts(at)
    report = frame_with(at, "problem")
    assert report.iloc[0]["file"] == "cases.csv"
    assert report.iloc[0]["column"] == "age"
    assert at.button(key="w_load").disabled
    assert len(at.get("download_button")) == 2  # the report and the count by kind


def test_import_loads_a_good_batch(make_app: AppFactory, tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    at = open_page(make_app(db), "Import")
    files = [
        (name, (SAMPLE / name).read_bytes(), "text/csv")
        for name in ("cases.csv", "assessments.csv", "events.csv")
    ]
    at.file_uploader(key="w_upload").set_value(files).run()
    assert not at.exception
    assert "No problems found" in texts(at)
    at.button(key="w_load").click().run()
    assert not at.exception
    assert "Loaded" in texts(at)
    assert db.exists()
    at.switch_page(PAGES["Overview"]).run()
    assert metric(at, "Cases in view") == "1,000"

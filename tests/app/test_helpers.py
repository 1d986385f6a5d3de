"""The app's small pure modules: tables, labels, palette, quality readers, uploads, launch."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

from analytics import quality
from analytics.events import numbers_at_risk
from dashboard import importing, labels, palette, tables
from dashboard.launch import add_parser, command
from pipelines import vocabulary as vocab
from pipelines.load import load_paths, validate_paths
from tests.app.conftest import SAMPLE
from tests.app.test_charts import summary_frame
from tests.pipelines.helpers import assessment, batch, case, event

# --- tables -------------------------------------------------------------------------------


def test_outcome_table_labels_percentages_and_hidden_rows() -> None:
    table = tables.outcome_table(summary_frame(), ("cause", "pathway"))
    assert list(table["Cause"]) == ["Epidural fibrosis", "Epidural fibrosis", "Arachnoiditis"]
    assert list(table["Pathway"])[:2] == ["Repeat surgery", "Less invasive options"]
    assert table["Responder rate (%)"].iloc[1] == 40.0
    assert table["95% CI low (%)"].iloc[1] == 30.0
    hidden = table.iloc[2]
    assert hidden["Note"] == tables.SUPPRESSED_NOTE
    assert pd.isna(hidden["Responders"])
    assert pd.isna(hidden["Responder rate (%)"])


def test_at_risk_table_is_one_row_per_group() -> None:
    """From a Kaplan–Meier curve to the table under the chart, worked by hand: a curve
    with steps on days 0, 50 and 200 has, on day 91, the number at risk of day 200 (nobody
    leaves between steps) and, after its last step, nobody."""
    curve = pd.DataFrame(
        [
            {"pathway": p, "event": "reoperation", "day": d, "at_risk": n, "suppressed": False}
            for p, steps in (
                ("repeat_surgery", ((0, 100), (50, 80), (200, 40))),
                ("less_invasive", ((0, 60), (50, 55), (400, 30))),
            )
            for d, n in steps
        ]
    )
    at_risk = numbers_at_risk(curve, by=("pathway",), days=(0, 91, 365))
    table = tables.at_risk_table(at_risk, "pathway")
    assert list(table.columns) == ["Pathway", "At treatment", "3 months", "12 months"]
    assert list(table["Pathway"]) == ["Repeat surgery", "Less invasive options"]
    assert list(table.iloc[0, 1:]) == [100, 40, 0]
    assert list(table.iloc[1, 1:]) == [60, 30, 30]
    assert list(tables.at_risk_table(at_risk.iloc[0:0], "pathway").columns) == ["Pathway"]


@pytest.mark.parametrize(
    ("day", "label"), [(0, "At treatment"), (91, "3 months"), (182, "6 months"), (730, "24 months")]
)
def test_day_labels(day: int, label: str) -> None:
    assert tables.day_label(day) == label


def test_criteria_of_a_definition() -> None:
    assert tables.criterion_text("odi_mic") == "odi:30%"
    # pain_relief_50 is one joint rule (issue 8); a comma still gives separate rules
    assert tables.criterion_text("pain_relief_50") == "leg_pain:50%+back_pain:50%"
    assert tables.criterion_measures("pain_relief_50") == ["leg_pain+back_pain"]
    assert tables.criterion_measures("leg_pain:50%,back_pain:50%") == ["leg_pain", "back_pain"]


def test_is_hidden_cell() -> None:
    rows = summary_frame()
    assert tables.is_hidden_cell(rows, "arachnoiditis", "less_invasive", "pathway")
    assert not tables.is_hidden_cell(rows, "epidural_fibrosis", "less_invasive", "pathway")
    assert tables.is_hidden_cell(rows, "pseudarthrosis", "less_invasive", "pathway")  # absent
    assert tables.suppressed_count(rows) == 1


# --- labels and palette --------------------------------------------------------------------


def test_clinical_labels() -> None:
    assert labels.MEASURE["leg_pain"] == "Leg pain (NRS 0–10)"
    assert labels.MEASURE["odi"] == "Oswestry Disability Index (0–100)"
    assert labels.CAUSE["epidural_fibrosis"] == "Epidural fibrosis"
    assert labels.SEVERITY["moderate"] == "Moderate (ODI 21–40)"
    assert labels.measure_words("leg_pain") == "leg pain"
    assert labels.measure_words("odi") == "Oswestry Disability Index"


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.3698, "37%"), (None, "–"), (float("nan"), "–"), (pd.NA, "–"), (1.0, "100%")],
)
def test_percent(value: object, text: str) -> None:
    assert labels.percent(value) == text


def test_counts_and_intervals() -> None:
    assert labels.n_of(169, 457) == "169 of 457"
    assert labels.n_of(pd.NA, 457) == "–"
    assert labels.interval(0.327, 0.414) == "33–41%"
    assert labels.interval(None, 0.4) == ""
    assert labels.plural(1, "problem") == "1 problem"
    assert labels.plural(1200, "problem") == "1,200 problems"


def test_every_code_has_one_fixed_colour_and_pathway_families() -> None:
    assert set(palette.PATHWAY) == set(vocab.PATHWAYS)
    assert set(palette.TREATMENT) == set(vocab.TREATMENTS)
    assert set(palette.CAUSE) == set(vocab.CAUSES)
    assert len(set(palette.TREATMENT.values())) == len(palette.TREATMENT)
    assert len(set(palette.CAUSE.values())) == len(palette.CAUSE)
    domain, colours = palette.scale("pathway", ["less_invasive", "repeat_surgery"])
    assert domain == ["repeat_surgery", "less_invasive"]  # vocabulary order, not data order
    assert colours == [palette.PATHWAY["repeat_surgery"], palette.PATHWAY["less_invasive"]]


# --- quality readers ------------------------------------------------------------------------


def test_last_rejection_and_load_log(store_copy: Path, tmp_path: Path) -> None:
    assert quality.last_rejection(store_copy).empty
    assert quality.last_rejection(tmp_path / "missing.duckdb").empty
    bad = tmp_path / "bad"
    bad.mkdir()
    text = (SAMPLE / "events.csv").read_text().splitlines()
    (bad / "events.csv").write_text("\n".join([text[0], "C999999" + text[1][7:]]) + "\n")
    assert not load_paths([bad], store_copy).accepted
    report = quality.last_rejection(store_copy)
    assert list(report.columns) == list(quality.REJECTION_COLUMNS)
    assert report.iloc[0]["column"] == "case_id"
    assert report.iloc[0]["kind"] == "unknown case"
    assert report.iloc[0]["load_id"] == 2


def test_describe_loads() -> None:
    history = pd.DataFrame(
        {
            "load_id": [2, 1],
            "started_at": pd.to_datetime(["2026-11-02 10:00:00", "2026-11-01 09:00:00"]),
            "finished_at": pd.to_datetime(["2026-11-02 10:00:03.0", "2026-11-01 09:00:01.5"]),
            "outcome": ["rejected", "accepted"],
            "mode": ["upsert", "upsert"],
            "n_problems": [3, 0],
            "files": [json.dumps([{"path": "x/cases.csv", "rows": 1000}]), "[]"],
            "counts": ["{}", json.dumps({"cases": {"inserted": 1000, "updated": 2}})],
            "dropped_columns": [json.dumps([{"file": "x/cases.csv", "column": "name"}]), "[]"],
        }
    )
    table = quality.describe_loads(history)
    assert list(table["files"]) == ["cases.csv (1,000 rows)", ""]
    assert list(table["records"]) == ["", "cases +1,000 new, 2 updated"]
    assert list(table["columns left out"]) == ["cases.csv: name", ""]
    assert list(table["seconds"]) == [3.0, 1.5]
    assert quality.last_loaded(history) == pd.Timestamp("2026-11-01 09:00:01.5")
    assert quality.describe_loads(history.iloc[0:0]).empty


# --- uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("cases.csv", "cases.csv"),
        ("../../etc/cases.csv", "cases.csv"),
        ("C:\\exports\\assessments.xlsx", "assessments.xlsx"),
        (".hidden.csv", "hidden.csv"),
        ("events; rm -rf.csv", "events_ rm -rf.csv"),
        ("", "upload"),
    ],
)
def test_safe_names(name: str, safe: str) -> None:
    assert importing.safe_name(name) == safe


def test_uploads_keep_their_names_and_report_without_the_folder(tmp_path: Path) -> None:
    good = (SAMPLE / "cases.csv").read_bytes()
    bad = good.replace(b",34,", b",7,", 1)
    paths = importing.save_uploads(
        [importing.Upload("cases.csv", bad), importing.Upload("cases.csv", good)], tmp_path
    )
    assert [p.name for p in paths] == ["cases.csv", "cases (2).csv"]
    result = validate_paths(paths[:1])
    report = importing.report_frame(result, tmp_path)
    assert list(report.columns) == list(importing.REPORT_COLUMNS)
    assert report.iloc[0]["file"] == "cases.csv"
    assert str(tmp_path) not in report.to_csv()
    assert importing.problems_by_kind(result).iloc[0]["problems"] == 1


def test_rows_and_counts_of_a_load(tmp_path: Path) -> None:
    """Two hand-made batches: 2 cases, 3 assessments, 1 event; then C2 changed and C3 new."""
    first = batch(
        tmp_path / "first",
        cases=[case(case_id="C1"), case(case_id="C2")],
        assessments=[
            assessment(case_id="C1"),
            assessment(case_id="C2"),
            assessment(case_id="C1", timepoint="6w", assessment_date="2023-04-15"),
        ],
        events=[event(case_id="C2")],
    )
    db = tmp_path / "s.duckdb"
    result = load_paths([first], db)
    assert importing.rows_by_table(result) == {"cases": 2, "assessments": 3, "events": 1}
    second = batch(
        tmp_path / "second",
        cases=[case(case_id="C1"), case(case_id="C2", age="60"), case(case_id="C3")],
        assessments=[assessment(case_id="C3")],
    )
    result = load_paths([second], db)
    assert importing.rows_by_table(result) == {"cases": 3, "assessments": 1}
    counts = importing.counts_frame(result).set_index("table")
    assert counts.loc["cases"].to_dict() == {"new": 1, "updated": 1, "unchanged": 1}
    assert counts.loc["assessments", "new"] == 1


# --- launch -------------------------------------------------------------------------------------


def test_dashboard_command_line(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["dashboard", "--db", str(tmp_path / "x.duckdb"), "--port", "8600"])
    assert args.port == 8600
    assert args.address == "127.0.0.1"
    argv = command(tmp_path / "x.duckdb", 8600)
    assert argv[1:4] == ["-m", "streamlit", "run"]
    assert Path(argv[4]).name == "streamlit_app.py"
    assert Path(argv[4]).is_file()
    assert argv[argv.index("--server.port") + 1] == "8600"
    assert argv[argv.index("--server.headless") + 1] == "true"
    assert argv[argv.index("--browser.gatherUsageStats") + 1] == "false"
    assert argv[-3:] == ["--", "--db", str(tmp_path / "x.duckdb")]
    with pytest.raises(SystemExit):
        parser.parse_args(["dashboard", "--port", "70000"])


def test_fbss_registers_the_dashboard_command() -> None:
    from fbss.cli import build_parser

    args = build_parser().parse_args(["dashboard", "--port", "8502"])
    assert args.port == 8502
    assert args.func.__module__ == "dashboard.launch"

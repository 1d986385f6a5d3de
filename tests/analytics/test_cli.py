"""`fbss summary` and `fbss events`: the hand-worked figures in JSON, CSV and tables; errors."""

from __future__ import annotations

import csv
import io
import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats as scipy_stats

from analytics.definitions import (
    EVENTS_EXTRA_FIELDS,
    EVENTS_FIELDS,
    SUMMARY_EXTRA_FIELDS,
    SUMMARY_FIELDS,
)
from fbss.cli import main
from tests.analytics.test_summary import wilson

ROOT = Path(__file__).resolve().parents[2]
FBSS = Path(sys.executable).with_name("fbss")


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict]:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_summary_json(outcomes_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(
        capsys, "summary", "--db", str(outcomes_db), "--by", "pathway",
        "--as-of", "2025-01-01", "--min-cell", "3", "--format", "json",
    )  # fmt: skip
    assert [list(r) for r in rows] == [["pathway", *SUMMARY_FIELDS]] * 2
    less, repeat = rows
    assert less["pathway"] == "less_invasive"
    low, high = wilson(4, 5)
    # t interval of the six ODI changes (L1 15, L2 14, L3 20, L4 -10, L8 10, L10 6.06),
    # computed here by scipy rather than read back from the output
    changes = [15, 14, 20, -10, 10, 6.06]
    change_low, change_high = scipy_stats.t.interval(
        0.95, len(changes) - 1, loc=statistics.mean(changes), scale=scipy_stats.sem(changes)
    )
    assert less == {
        "pathway": "less_invasive",
        "timepoint": "12m",
        "measure": "odi",
        "n_cases": 10,
        "n_due": 9,
        "n_followup_returned": 7,  # L9 (no baseline) returned; L6 has no ODI  (issue 8)
        "n_no_baseline": 1,
        "n_assessed": 6,
        "followup_rate": pytest.approx(7 / 9),
        "n_excluded": 1,
        "responders": 4,
        "responder_rate": pytest.approx(0.8),
        "responder_ci_low": pytest.approx(low, abs=1e-6),
        "responder_ci_high": pytest.approx(high, abs=1e-6),
        "baseline_mean": pytest.approx(180.2 / 6),
        "followup_mean": pytest.approx(125.14 / 6),
        "mean_change": pytest.approx(55.06 / 6),
        "mean_change_ci_low": pytest.approx(change_low, abs=1e-6),
        "mean_change_ci_high": pytest.approx(change_high, abs=1e-6),
        "suppressed": False,
    }
    assert (repeat["n_cases"], repeat["n_assessed"], repeat["responders"]) == (3, 3, 2)
    assert repeat["responder_rate"] == pytest.approx(2 / 3)


def test_summary_json_suppressed_values_are_null(
    outcomes_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = run_json(
        capsys, "summary", "--db", str(outcomes_db), "--by", "pathway",
        "--as-of", "2025-01-01", "--format", "json",
    )  # fmt: skip
    for row in rows:
        assert row["suppressed"] is True
        assert all(row[f] is None for f in SUMMARY_FIELDS[2:-1])
        assert row["timepoint"] == "12m"
        assert row["measure"] == "odi"


def test_summary_filters_and_intervals(
    outcomes_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = run_json(
        capsys, "summary", "--db", str(outcomes_db), "--treatment", "revision_fusion",
        "--responder", "odi:30%", "--as-of", "2025-01-01", "--min-cell", "0",
        "--intervals", "--format", "json",
    )  # fmt: skip
    (row,) = rows
    assert list(row) == [*SUMMARY_FIELDS, *SUMMARY_EXTRA_FIELDS]
    assert (row["n_cases"], row["responders"], row["followup_ci_high"]) == (3, 2, 1.0)


def test_summary_csv_and_table(outcomes_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["summary", "--db", str(outcomes_db), "--as-of", "2025-01-01", "--by", "cause"]
    assert main([*args, "--format", "csv"]) == 0
    (row,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert (row["cause"], row["n_assessed"], row["responders"]) == ("epidural_fibrosis", "9", "6")
    assert row["responder_rate"] == "0.75"
    assert row["suppressed"] == "false"
    assert main([*args, "--format", "table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["cause", "timepoint", "measure", "n_cases"]
    assert lines[1].split()[:4] == ["epidural_fibrosis", "12m", "odi", "13"]


def test_events_json(events_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(
        capsys, "events", "--db", str(events_db), "--by", "pathway", "--event", "reoperation",
        "--min-cell", "0", "--format", "json", "--as-of", "2025-08-10",
        "--event-capture", "at_contact",
    )  # fmt: skip
    assert [list(r) for r in rows] == [["pathway", *EVENTS_FIELDS]] * 2
    # at_contact (tests/analytics/test_events.py): only E1's reoperation (day 100) came
    # before its last assessment; F1 was never assessed after treatment
    low, high = wilson(1, 6)
    assert rows[0] == {
        "pathway": "less_invasive",
        "event": "reoperation",
        "event_capture": "at_contact",
        "n_cases": 6,
        "n_with_event": 1,
        "event_rate": pytest.approx(1 / 6),
        "event_ci_low": pytest.approx(low, abs=1e-6),
        "event_ci_high": pytest.approx(high, abs=1e-6),
        "km_free_12m": pytest.approx(0.8),
        "km_free_24m": pytest.approx(0.8),
        "suppressed": False,
    }
    assert rows[1]["n_with_event"] == 0
    assert rows[1]["km_free_12m"] == 1.0
    assert rows[1]["km_free_24m"] is None  # nobody in repeat surgery assessed at 730 days


def test_events_intervals_and_suppression(
    events_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = run_json(
        capsys, "events", "--db", str(events_db), "--event", "reoperation",
        "--intervals", "--format", "json", "--min-cell", "0",
    )  # fmt: skip
    (row,) = rows
    assert list(row) == [*EVENTS_FIELDS, *EVENTS_EXTRA_FIELDS]
    rows = run_json(
        capsys, "events", "--db", str(events_db), "--by", "pathway", "--min-cell", "6",
        "--format", "json",
    )  # fmt: skip
    assert len(rows) == 10
    assert all(r["suppressed"] and r["n_cases"] is None for r in rows)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "--by", "surgeon"], "cannot group by 'surgeon'; choose from cause,"),
        (["summary", "--by", "cause,age"], "cannot group by 'age'"),
        (["summary", "--timepoint", "18m"], "unknown follow-up timepoint '18m'"),
        (["summary", "--timepoint", "baseline"], "unknown follow-up timepoint 'baseline'"),
        (["summary", "--responder", "pain:2"], "unknown measure 'pain'"),
        (["summary", "--responder", "odi"], "is not MEASURE:N or MEASURE:N%"),
        (["summary", "--responder", "odi:-3"], "is not MEASURE:N or MEASURE:N%"),
        (["summary", "--responder", "odi:0"], "must be above 0"),
        (["summary", "--responder", "eq5d:10%"], "percent-of-baseline threshold is not defined"),
        (["summary", "--responder", "odi:150%"], "cannot exceed 100%"),
        (["summary", "--responder", "leg_pain:11"], "larger than the whole leg_pain scale"),
        (["summary", "--responder", "odi:30%,odi:10"], "names a measure twice"),
        (["summary", "--min-cell", "two"], "--min-cell must be a whole number"),
        (["summary", "--as-of", "01/02/2025"], "is not a date; write it as YYYY-MM-DD"),
        (["summary", "--cause", "scar"], "unknown cause 'scar'"),
        (["summary", "--age-band", "18-30"], "unknown age band '18-30'"),
        (["summary", "--from", "2025-01-01", "--to", "2024-01-01"], "date range is empty"),
        (["events", "--event", "death"], "unknown event 'death'; choose from reoperation,"),
        (["events", "--by", "timepoint"], "cannot group by 'timepoint'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    outcomes_db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([*argv, "--db", str(outcomes_db)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert lines[0].startswith(f"fbss {argv[0]}: ")


def test_usage_errors_win_over_a_missing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summary", "--db", str(tmp_path / "none.duckdb"), "--by", "x"]) == 2


@pytest.mark.parametrize("command", ["summary", "events"])
def test_missing_store_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    db = tmp_path / "nothing.duckdb"
    assert main([command, "--db", str(db)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"fbss {command}: no store at {db}: load case records first with "
                   f"`fbss load FILES --db {db}`"]  # fmt: skip


def test_store_from_environment(
    outcomes_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FBSS_DB", str(outcomes_db))
    rows = run_json(capsys, "summary", "--as-of", "2025-01-01", "--format", "json")
    assert rows[0]["n_cases"] == 13


def test_presets_list_their_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--presets"]) == 0
    out = capsys.readouterr().out
    for needle in ("odi_mic", "Ostelo", "pain_relief_50", "Dworkin", "odi_scb", "Glassman",
                   "eq5d_mic", "Parai"):  # fmt: skip
        assert needle in out


def test_installed_command_end_to_end(outcomes_db: Path) -> None:
    proc = subprocess.run(
        [str(FBSS), "summary", "--db", str(outcomes_db), "--by", "pathway",
         "--as-of", "2025-01-01", "--min-cell", "0", "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [(r["pathway"], r["responders"], r["n_excluded"]) for r in rows] == [
        ("less_invasive", 4, 1),
        ("repeat_surgery", 2, 0),
    ]


def test_help_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys; from fbss.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('lifelines', 'statsmodels', 'scipy', 'duckdb', 'pandas') "
        "if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    heavy = proc.stdout.strip()
    assert "lifelines" not in heavy
    assert "statsmodels" not in heavy
    assert "scipy" not in heavy


def test_summary_dropout_flags_in_words(
    outcomes_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 8. Due at 12 months on AS_OF: L1-L6, L8-L10, R1-R3; lost (no 12-month ODI):
    # L5 (baseline ODI 60) and L6 (30), against a followed mean of (50+50+40+0+20+20.2+50
    # +44+30)/9 for those with a baseline: the lost started more disabled
    assert main(["summary", "--db", str(outcomes_db), "--dropout", "--as-of", "2025-01-01",
                 "--min-cell", "0"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "patients lost at 12 months started more disabled" in out
    assert out.splitlines()[0].split()[:4] == ["timepoint", "measure", "characteristic", "level"]
    assert main(["summary", "--db", str(outcomes_db), "--dropout", "--by", "cause"]) == 2
    assert "takes no --by" in capsys.readouterr().err

"""`fbss compare`, `fbss providers`, `fbss similar`: JSON shapes and errors (issue 9)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from analytics.adjust.pathways import DIFFERENCE_FIELDS, PATHWAY_FIELDS, compare
from analytics.adjust.providers import FIELDS
from analytics.filters import Filters
from fbss.cli import main
from tests.analytics.adjust_stores import confounded_rows, fast_store

ISSUE_KEYS = {
    "timepoint",
    "measure",
    "definition",
    "covariates",
    "pathways",
    "difference",
    "balance",
    "extreme_propensity",
    "suppressed",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cases, rows = confounded_rows(400, seed=3)
    return fast_store(tmp_path_factory.mktemp("cli") / "cli.duckdb", cases, rows)


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_compare_json_is_one_object(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, "compare", "--db", str(db), "--format", "json")
    assert isinstance(out, dict)
    assert set(out) >= ISSUE_KEYS
    assert [list(p) for p in out["pathways"]] == [list(PATHWAY_FIELDS)] * 2
    assert list(out["difference"]) == list(DIFFERENCE_FIELDS)
    assert set(out["balance"][0]) == {"covariate", "smd_unadjusted", "smd_adjusted"}
    assert (out["timepoint"], out["measure"], out["definition"]) == ("12m", "odi", "odi_mic")
    assert out["difference"]["adjusted"] == pytest.approx(compare(db)["difference"]["adjusted"])
    assert 0 <= out["pathways"][0]["adjusted_rate"] <= 1


def test_compare_two_treatments_and_filters(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(
        capsys,
        "compare",
        "--db",
        str(db),
        "--format",
        "json",
        "--treatment",
        "spinal_cord_stimulation,revision_fusion",
        "--sex",
        "female",
    )
    assert [p["pathway"] for p in out["pathways"]] == ["revision_fusion", "spinal_cord_stimulation"]
    chosen = Filters(treatment=("revision_fusion", "spinal_cord_stimulation"), sex=("female",))
    assert (
        out["pathways"][0]["n_analysed"] == compare(db, filters=chosen)["pathways"][0]["n_analysed"]
    )


def test_compare_suppressed_when_a_pathway_is_small(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _json(capsys, "compare", "--db", str(db), "--format", "json", "--min-cell", "10000")
    assert out["suppressed"] is True
    assert out["pathways"][0]["adjusted_rate"] is None


def test_compare_table_and_csv(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "balance (standardised mean differences)" in text
    assert "unmeasured confounding remains" in text
    assert main(["compare", "--db", str(db), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["pathway"] for r in rows] == ["repeat_surgery", "less_invasive"]
    assert "difference_adjusted" in rows[0]


@pytest.mark.parametrize("adjusted", [False, True])
def test_providers_one_row_per_unit(
    db: Path, capsys: pytest.CaptureFixture[str], adjusted: bool
) -> None:
    argv = ["providers", "--db", str(db), "--by", "clinic", "--format", "json"]
    rows = _json(capsys, *argv, *(["--adjusted"] if adjusted else []))
    assert isinstance(rows, list)
    assert [list(r) for r in rows] == [["clinic", *FIELDS]] * 2
    assert {r["clinic"] for r in rows} == {"North", "South"}
    assert (rows[0]["expected"] is None) is not adjusted
    assert rows[0]["position_95"] in {"below", "within", "above"}


def test_similar_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(
        capsys,
        "similar",
        "--db",
        str(db),
        "--cause",
        "pseudarthrosis",
        "--age",
        "60",
        "--baseline-odi",
        "55",
        "--smoker",
        "yes",
        "--k",
        "20",
        "--format",
        "json",
    )
    assert set(out) == {"timepoint", "k", "profile", "matched_on", "note", "pathways"}
    assert out["profile"] == {
        "cause": "pseudarthrosis",
        "age": 60.0,
        "baseline_odi": 55.0,
        "smoker": True,
    }
    for pathway in out["pathways"]:
        assert pathway["n"] == 20
        assert [b["band"] for b in pathway["bands"]] == [
            "clearly_better",
            "somewhat_better",
            "unchanged",
            "worse",
        ]
        assert sum(b["n"] for b in pathway["bands"]) == 20


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["compare", "--responder", "pain_relief_50"], 2, "single-measure responder"),
        (["compare", "--timepoint", "7y"], 2, "unknown follow-up timepoint"),
        (["providers", "--adjusted", "--min-cell", "x"], 2, "--min-cell must be"),
        (["similar", "--cause", "pseudarthrosis"], 2, "at least one characteristic"),
        (["compare", "--treatment", "gout"], 2, "unknown treatment 'gout'"),
    ],
)
def test_errors_are_one_line(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    assert main([*argv, "--db", str(db)]) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_a_missing_store_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no store at" in capsys.readouterr().err

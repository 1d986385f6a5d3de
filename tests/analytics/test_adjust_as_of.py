"""`--as-of` in the adjusted figures (issue 9 on issue 8's snapshots): a visit dated after
the as-of day is not yet known, so its case is not analysed, exactly as if the visit
were not in the store at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.adjust.pathways import compare
from analytics.adjust.providers import providers
from analytics.adjust.similar import similar
from fbss.cli import main
from tests.analytics.builders import DAY0, assessment, case, days_after, make_store

AS_OF = days_after(DAY0, 380)  # after every 12-month visit but L5's
LATE = days_after(DAY0, 400)  # L5's 12-month visit: inside the window, after AS_OF

# Baseline ODI 50 for all; at 12 months ODI 30 is a responder (40% better, odi_mic needs
# 30%), ODI 45 is not (10%).
#   repeat surgery R0-R5: ODI 30, 30, 30, 45, 45, 45         -> 3 of 6 respond
#   less invasive  L0-L5: ODI 30, 30, 30, 30, 45, 30 (late)  -> 4 of 5 on AS_OF, 5 of 6 later
REPEAT = {"R0": (40, 30), "R1": (52, 30), "R2": (64, 30), "R3": (46, 45), "R4": (58, 45),
          "R5": (70, 45)}  # fmt: skip
LESS = {"L0": (43, 30), "L1": (55, 30), "L2": (67, 30), "L3": (49, 30), "L4": (61, 45),
        "L5": (73, 30)}  # fmt: skip


def _store(path: Path, *, with_late_visit: bool) -> Path:
    cases, rows = [], []
    for ids, treatment in ((REPEAT, "revision_fusion"), (LESS, "spinal_cord_stimulation")):
        for i, (cid, (age, odi)) in enumerate(ids.items()):
            cases.append(case(cid, treatment=treatment, age=age, physician=f"Dr {'AB'[i % 2]}"))
            rows.append(assessment(cid, "baseline", odi=50))
            if cid != "L5":
                rows.append(assessment(cid, "12m", odi=odi))
            elif with_late_visit:
                rows.append(assessment(cid, "12m", on=LATE, odi=odi))
    return make_store(path, cases, rows)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("asof")
    return (
        _store(folder / "full.duckdb", with_late_visit=True),
        _store(folder / "without.duckdb", with_late_visit=False),
    )


def test_compare_leaves_out_a_visit_dated_after_the_as_of_day(stores: tuple[Path, Path]) -> None:
    full, without = stores
    then = compare(full, as_of=AS_OF, min_cell=0)
    repeat, less = then["pathways"]
    assert (repeat["n_analysed"], repeat["responders"]) == (6, 3)
    assert (less["n_analysed"], less["responders"]) == (5, 4)
    assert then["difference"]["unadjusted"] == pytest.approx(3 / 6 - 4 / 5)
    # Today the late visit is known: L5 is analysed and responded.
    now = compare(full, min_cell=0)
    assert (now["pathways"][1]["n_analysed"], now["pathways"][1]["responders"]) == (6, 5)
    assert now["difference"]["unadjusted"] == pytest.approx(3 / 6 - 5 / 6)
    # Every figure, adjusted ones included, is that of a store without the late visit.
    reference = compare(without, as_of=AS_OF, min_cell=0)
    assert then["pathways"] == reference["pathways"]
    assert then["difference"] == pytest.approx(reference["difference"])
    assert then["balance"] == reference["balance"]


def test_providers_and_similar_use_the_snapshot_too(stores: tuple[Path, Path]) -> None:
    full, _ = stores
    # L5 is the sixth less-invasive case, so Dr B's (i = 1, 3, 5).
    for adjusted in (False, True):
        then = providers(full, as_of=AS_OF, min_cell=0, adjusted=adjusted).set_index("physician")
        now = providers(full, min_cell=0, adjusted=adjusted).set_index("physician")
        assert (then.loc["Dr A", "n"], then.loc["Dr B", "n"]) == (6, 5)
        assert (now.loc["Dr A", "n"], now.loc["Dr B", "n"]) == (6, 6)
        assert then.loc["Dr B", "responders"] == now.loc["Dr B", "responders"] - 1
    profile = {"age": 70}
    then_s = similar(full, profile, as_of=AS_OF, min_cell=0)["pathways"]
    now_s = similar(full, profile, min_cell=0)["pathways"]
    assert [p["n"] for p in then_s] == [6, 5]
    assert [p["n"] for p in now_s] == [6, 6]


def test_the_cli_passes_as_of(
    stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    full, _ = stores
    argv = ["compare", "--db", str(full), "--format", "json", "--min-cell", "0"]
    assert main([*argv, "--as-of", AS_OF.isoformat()]) == 0
    then = json.loads(capsys.readouterr().out)
    assert [p["n_analysed"] for p in then["pathways"]] == [6, 5]
    assert main(argv) == 0
    assert [p["n_analysed"] for p in json.loads(capsys.readouterr().out)["pathways"]] == [6, 6]
    assert main(["similar", "--db", str(full), "--age", "70", "--min-cell", "0",
                 "--format", "json", "--as-of", AS_OF.isoformat()]) == 0  # fmt: skip
    assert [p["n"] for p in json.loads(capsys.readouterr().out)["pathways"]] == [6, 5]


def test_a_bad_as_of_day_is_one_plain_line(
    stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    full, _ = stores
    assert main(["compare", "--db", str(full), "--as-of", "01/11/2026"]) == 2
    err = capsys.readouterr().err
    assert "is not a date; write it as YYYY-MM-DD" in err
    assert "Traceback" not in err

"""Review 5, F7 (second half): a group empty in the data looks like a suppressed small one.

Hand-built store: 12 female cases on each pathway (revision fusion; spinal cord
stimulation) and 3 patients of sex "other", all three given revision fusion. By sex and
pathway, "other x less invasive" has no case: before, its row was simply missing, which
told that the three "other" patients (a suppressed group) all had repeat surgery.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.outcomes import summary
from fbss.cli import main
from tests.analytics.builders import assessment, case, make_store

AS_OF = "2025-01-01"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cases, rows = [], []
    plan = [("female", "revision_fusion")] * 12 + [("female", "spinal_cord_stimulation")] * 12
    plan += [("other", "revision_fusion")] * 3
    for i, (sex, treatment) in enumerate(plan):
        cid = f"C{i:02d}"
        cases.append(case(cid, sex=sex, treatment=treatment))
        rows += [assessment(cid, "baseline", odi=50.0), assessment(cid, "12m", odi=30.0 + i % 3)]
    return make_store(tmp_path_factory.mktemp("f7") / "fbss.duckdb", cases, rows)


def _rows(frame: pd.DataFrame, sex: str) -> dict[str, dict[str, object]]:
    part = frame[frame["sex"] == sex].set_index("pathway")
    return {p: r.drop(labels=["sex"]).to_dict() for p, r in part.iterrows()}


def test_the_empty_group_has_a_suppressed_row_like_the_small_one(store: Path) -> None:
    out = summary(store, by=("sex", "pathway"), as_of=AS_OF)
    # 2 sexes x 2 pathways, one measure and timepoint: four rows, none missing
    assert len(out) == 4
    other = _rows(out, "other")
    assert set(other) == {"less_invasive", "repeat_surgery"}
    small, empty = other["repeat_surgery"], other["less_invasive"]  # 3 cases; none
    assert small["suppressed"]
    assert empty["suppressed"]
    # every figure of the two rows alike: the reader cannot tell 0 cases from 1 to 4
    assert small.keys() == empty.keys()
    for col, value in small.items():
        assert (value == empty[col]) or (value != value and empty[col] != empty[col]), col


def test_the_cli_prints_the_two_rows_identically_but_for_the_pathway(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["summary", "--db", str(store), "--by", "sex,pathway", "--as-of", AS_OF]
    assert main([*argv, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    other = [r for r in rows if r["sex"] == "other"]
    assert sorted(r["pathway"] for r in other) == ["less_invasive", "repeat_surgery"]
    assert other[0] | {"pathway": None} == other[1] | {"pathway": None}
    assert main([*argv, "--format", "csv"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("other,")]
    alike = {line.replace("less_invasive", "P").replace("repeat_surgery", "P") for line in lines}
    assert len(lines) == 2
    assert len(alike) == 1


def test_impossible_combinations_and_exact_output_get_no_rows(store: Path) -> None:
    # a treatment belongs to one pathway: revision fusion x less invasive is no group
    out = summary(store, by=("pathway", "treatment"), as_of=AS_OF)
    pairs = set(zip(out["pathway"], out["treatment"], strict=True))
    assert pairs == {
        ("less_invasive", "spinal_cord_stimulation"),
        ("repeat_surgery", "revision_fusion"),
    }
    # with suppression off (the operator's exact output), no row is added
    exact = summary(store, by=("sex", "pathway"), as_of=AS_OF, min_cell=0)
    assert len(exact) == 3
    assert not exact["suppressed"].any()
    # one key: the output's own values, nothing to add
    assert len(summary(store, by="sex", as_of=AS_OF)) == 2


def test_an_empty_group_is_added_only_where_each_of_its_lines_hides_a_row() -> None:
    """Hand-built frame: cause x sex, empty cells (y, q), (z, p), (w, q). First every
    line holds a hidden row, so all three are added; then (z, q) is shown, and line "q"
    and line "z" hold only shown rows: their totals minus the rows give an empty cell's 0
    back whatever it looks like, so none of the three is added."""
    from analytics.suppression_empty import with_empty_groups

    frame = pd.DataFrame(
        {
            "cause": ["x", "x", "y", "z", "w"],
            "sex": ["p", "q", "p", "q", "p"],
            "n": [20, 30, None, None, None],
            "suppressed": [False, False, True, True, True],
        }
    )
    out = with_empty_groups(frame, ("cause", "sex"))
    added = out.iloc[len(frame) :]
    assert sorted(zip(added["cause"], added["sex"], strict=True)) == [
        ("w", "q"),
        ("y", "q"),
        ("z", "p"),
    ]
    assert added["suppressed"].all()
    assert added["n"].isna().all()
    # (y, q) and (w, q) lie on line q, (z, p) on line z: all shown now
    shown_q = frame.assign(suppressed=[False, False, True, False, True], n=[20, 30, None, 9, None])
    out = with_empty_groups(shown_q, ("cause", "sex"))
    added = out.iloc[len(frame) :]
    assert added.empty

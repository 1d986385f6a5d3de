"""The case-mix adjusted sections on Compare pathways and Physicians & clinics (issue 9)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.adjust.pathways import compare
from pipelines import vocabulary as vocab
from tests.app.conftest import SAMPLE, AppFactory, frame_with, open_page, texts


def test_compare_shows_crude_beside_adjusted(make_app: AppFactory, sample_store: Path) -> None:
    at = open_page(make_app(sample_store), "Compare pathways")
    assert not at.exception
    assert "Crude and case-mix adjusted comparison" in [s.value for s in at.subheader]
    table = frame_with(at, "Adjusted rate (%)").set_index("Pathway")
    expected = compare(sample_store)  # the analytics call the section shows
    for p in expected["pathways"]:
        row = table.loc[vocab.PATHWAYS[p["pathway"]]]
        assert row["Analysed (n)"] == p["n_analysed"]
        assert row["Crude rate (%)"] == round(100 * p["rate"], 1)
        assert row["Adjusted rate (%)"] == round(100 * p["adjusted_rate"], 1)
        assert row["Effective n"] == round(p["effective_n"])
    balance = frame_with(at, "SMD after")
    assert len(balance) == len(expected["balance"])
    words = texts(at)
    assert "unmeasured confounding remains" in words
    assert "What adjustment can and cannot do" in words


def _analysed_at_12m() -> pd.DataFrame:
    """The sample's cases with baseline and 12-month ODI (baseline above 0), by pandas."""
    cases = pd.read_csv(SAMPLE / "cases.csv")
    odi = pd.read_csv(SAMPLE / "assessments.csv").pivot(
        index="case_id", columns="timepoint", values="odi"
    )
    both = odi[odi["baseline"].notna() & odi["12m"].notna() & (odi["baseline"] > 0)]
    out = cases[cases["case_id"].isin(both.index)].copy()
    out["pathway"] = out["treatment"].map(vocab.pathway_of)
    return out


@pytest.mark.parametrize("cause", ["epidural_fibrosis", "arachnoiditis"])
def test_patients_like_mine_counts_and_suppresses(
    make_app: AppFactory, sample_store: Path, cause: str
) -> None:
    at = open_page(make_app(sample_store, {"compare_section": "similar"}), "Compare pathways")
    assert "Enter at least one characteristic" in texts(at)
    at.number_input(key="similar_age").set_value(60).run()
    at.selectbox(key="similar_cause").set_value(cause).run()
    assert not at.exception
    assert "not a prediction for this patient" in texts(at)
    pool = _analysed_at_12m().query("cause == @cause")["pathway"].value_counts()
    shown = frame_with(at, "Similar patients (n)")  # one pathway at least has enough
    for pathway, label in vocab.PATHWAYS.items():
        available = int(pool.get(pathway, 0))
        rows = shown[shown["Pathway"] == label]
        if available < 5:  # the small-cell limit
            assert rows.empty
            assert f"{label}: fewer similar past patients than the small-cell limit" in texts(at)
        else:
            assert set(rows["Similar patients (n)"]) == {min(50, available)}
            assert len(rows) == 4  # the four bands
            assert rows["Patients"].sum() == min(50, available)


def test_providers_default_to_observed_over_expected(
    make_app: AppFactory, sample_store: Path
) -> None:
    at = open_page(make_app(sample_store), "Physicians & clinics")
    assert not at.exception
    assert at.toggle(key="providers_adjusted").value is True
    adjusted = frame_with(at, "O/E")
    assert "unmeasured confounding remains" in texts(at)
    at.toggle(key="providers_adjusted").set_value(False).run()
    assert not at.exception
    crude = frame_with(at, "Responder rate (%)")
    # The same units and the same observed responders by two routes (the crude funnel's
    # summary query and the adjusted case frame).
    both = adjusted.merge(crude, on="Physician")
    shown = both[both["Observed responders (O)"].notna()]
    assert len(shown) >= 10
    assert (shown["Observed responders (O)"] == shown["Responders"]).all()
    assert (shown["Assessed (n)_x"] == shown["Assessed (n)_y"]).all()
    # O/E = O / E as shown (E rounded to one decimal).
    ratio = shown["Observed responders (O)"] / shown["Expected responders (E)"]
    assert (ratio - shown["O/E"]).abs().max() < 0.02

"""The synthetic sample generator: contract properties, realism and reproducibility."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines import sample, schemas
from pipelines import vocabulary as vocab
from pipelines.sample import draw, parameters

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"
SAMPLE_CASES, SAMPLE_SEED, SAMPLE_AS_OF = 1000, 20261101, dt.date(2026, 11, 1)  # see its README
AS_OF = dt.date(2026, 11, 1)
AS_OF_TS = pd.Timestamp(AS_OF)
CORE_MEASURES = ["back_pain", "leg_pain", "odi", "eq5d"]
RISK_FACTORS = ("asa_grade", "symptom_months", "workers_compensation", "litigation", "depression")
ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return sample.generate(2000, 7, AS_OF)


@pytest.fixture(scope="module")
def large() -> dict[str, pd.DataFrame]:
    """Enough cases for rates and group means to be stable (about half a second)."""
    return sample.generate(20_000, 11, AS_OF)


def _followed(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Assessments joined to their case, with days since treatment and nominal days."""
    a = frames["assessments"].merge(frames["cases"], on="case_id", validate="many_to_one")
    a["days_after"] = (a["assessment_date"] - a["treatment_date"]).dt.days
    a["nominal"] = a["timepoint"].map({k: t.days for k, t in vocab.TIMEPOINTS.items()})
    return a


def _odi_gain_12m(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    odi = frames["assessments"].pivot(index="case_id", columns="timepoint", values="odi")
    gain = pd.DataFrame({"gain": odi["baseline"] - odi["12m"], "odi_baseline": odi["baseline"]})
    gain = gain.dropna().reset_index()
    cases = frames["cases"].assign(pathway=frames["cases"]["treatment"].map(vocab.pathway_of))
    return cases.merge(gain, on="case_id")


def _relative_gain(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """_odi_gain_12m with the gain as a share of baseline (baseline ODI above 0)."""
    g = _odi_gain_12m(frames)
    g = g[g["odi_baseline"].astype(float) > 0].copy()
    g["relative"] = g["gain"].astype(float) / g["odi_baseline"].astype(float)
    return g


# --- The committed sample ------------------------------------------------------------------


def test_committed_sample_is_reproduced_byte_for_byte(tmp_path: Path) -> None:
    written = sample.write(tmp_path, SAMPLE_CASES, SAMPLE_SEED, SAMPLE_AS_OF)
    assert sorted(written) == ["assessments", "cases", "events"]
    for name, path in written.items():
        assert path.read_bytes() == (SAMPLE_DIR / f"{name}.csv").read_bytes(), name


def test_sample_readme_states_the_row_counts() -> None:
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert f"--seed {SAMPLE_SEED} --as-of {SAMPLE_AS_OF.isoformat()}" in readme
    for name in ("cases", "assessments", "events"):
        rows = len((SAMPLE_DIR / f"{name}.csv").read_text(encoding="utf-8").splitlines()) - 1
        assert f"{rows:,}" in readme, name


# --- Shape and keys --------------------------------------------------------------------------


def test_columns_are_the_contract_in_order(frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        assert tuple(frame.columns) == schemas.columns(name)


def test_keys_are_unique_and_ids_well_formed(frames: dict[str, pd.DataFrame]) -> None:
    cases, assessments, events = frames["cases"], frames["assessments"], frames["events"]
    assert cases["case_id"].is_unique
    assert cases["patient_id"].is_unique
    assert not assessments.duplicated(["case_id", "timepoint"]).any()
    assert not events.duplicated(["case_id", "event_date", "event"]).any()
    assert cases["case_id"].map(ID.match).notna().all()
    assert cases["patient_id"].str.fullmatch(r"P\d{7}").all()  # pseudonymous, never a name
    assert set(assessments["case_id"]) <= set(cases["case_id"])
    assert set(events["case_id"]) <= set(cases["case_id"])


def test_codes_come_from_the_vocabulary(frames: dict[str, pd.DataFrame]) -> None:
    cases, assessments, events = frames["cases"], frames["assessments"], frames["events"]
    assert set(cases["sex"]) <= set(vocab.SEXES)
    assert set(cases["index_surgery"]) <= set(vocab.INDEX_SURGERIES)
    assert set(cases["cause"]) == set(vocab.CAUSES)  # 2000 cases see every cause
    assert set(cases["treatment"]) <= set(vocab.TREATMENTS)
    assert set(assessments["timepoint"]) == set(vocab.TIMEPOINTS)
    assert set(assessments["satisfaction"].dropna()) <= set(vocab.SATISFACTION)
    assert set(events["event"]) == set(vocab.EVENTS)
    assert events["detail"].dropna().str.len().max() <= 200


def test_index_levels_are_contiguous_lumbar_levels(frames: dict[str, pd.DataFrame]) -> None:
    levels = frames["cases"]["index_levels"]
    assert 0 < levels.isna().mean() < 0.25  # optional, mostly given
    for value in levels.dropna().unique():
        positions = [vocab.LEVELS.index(part) for part in value.split(";")]
        assert positions == list(range(positions[0], positions[0] + len(positions))), value


def test_each_physician_works_at_one_clinic(frames: dict[str, pd.DataFrame]) -> None:
    cases = frames["cases"]
    assert cases.groupby("physician")["clinic"].nunique().max() == 1
    assert 4 <= cases["clinic"].nunique() <= 6
    assert cases["physician"].nunique() >= 12


def test_frames_pass_the_contract_models(frames: dict[str, pd.DataFrame]) -> None:
    from pipelines import schemas

    for name, model in schemas.MODELS.items():
        model.validate(frames[name], lazy=True)


# --- Ranges and dates ------------------------------------------------------------------------


def test_values_lie_in_the_contract_ranges(frames: dict[str, pd.DataFrame]) -> None:
    cases, a = frames["cases"], frames["assessments"]
    assert cases["age"].between(18, 110).all()
    assert cases["bmi"].dropna().between(12, 80).all()
    assert cases["prior_surgeries"].dropna().between(1, 20).all()
    for column in ("back_pain", "leg_pain"):
        assert a[column].dropna().between(0, 10).all()
    assert a["odi"].dropna().between(0, 100).all()
    assert a["eq5d"].dropna().between(-0.6, 1.0).all()
    assert a["opioid_mme"].dropna().between(0, 1000).all()
    assert cases["asa_grade"].dropna().between(1, 5).all()
    assert cases["symptom_months"].dropna().between(0, 600).all()
    # Optional case fields are blank now and then, required ones never.
    optional = ["bmi", "smoker", "diabetes", "prior_surgeries", *RISK_FACTORS]
    assert cases[optional].isna().any().all()
    assert not cases.drop(columns=[*optional, "index_levels"]).isna().any().any()


def test_risk_factors_have_realistic_gaps(large: dict[str, pd.DataFrame]) -> None:
    # Issue 9: each new risk factor blank for 5-15% of cases.
    missing = large["cases"][list(RISK_FACTORS)].isna().mean()
    assert missing.between(0.05, 0.15).all(), missing.to_dict()


def test_dates_are_in_order_and_never_after_as_of(frames: dict[str, pd.DataFrame]) -> None:
    cases, events = frames["cases"], frames["events"]
    assert (cases["index_surgery_date"] <= cases["presentation_date"]).all()
    assert (cases["presentation_date"] <= cases["treatment_date"]).all()
    a = _followed(frames)
    baseline = a["timepoint"] == "baseline"
    assert (a.loc[baseline, "days_after"] <= 0).all()
    assert (a.loc[~baseline, "days_after"] > 0).all()
    e = events.merge(cases[["case_id", "treatment_date"]], on="case_id")
    assert (e["event_date"] >= e["treatment_date"]).all()
    for frame in frames.values():
        for column in frame.select_dtypes("datetime").columns:
            assert (frame[column] <= AS_OF_TS).all(), column
    # Treatment dates spread over years, so recent cases are not yet due for 24 months.
    assert cases["treatment_date"].min() < AS_OF_TS - pd.DateOffset(years=5)


def test_follow_ups_fall_near_their_nominal_day(frames: dict[str, pd.DataFrame]) -> None:
    a = _followed(frames)
    a = a[a["timepoint"] != "baseline"]
    window = a["timepoint"].map(
        {tp: late + 3 * sd for tp, (late, sd) in parameters.DATE_JITTER.items()}
    )
    assert ((a["days_after"] - a["nominal"]).abs() <= window).all()


def test_only_due_timepoints_are_present(frames: dict[str, pd.DataFrame]) -> None:
    a = _followed(frames)
    assert (a["treatment_date"] + pd.to_timedelta(a["nominal"], unit="D") <= AS_OF_TS).all()


def test_every_assessment_carries_a_core_measure(frames: dict[str, pd.DataFrame]) -> None:
    a = frames["assessments"]
    assert a[CORE_MEASURES].notna().any(axis=1).all()
    assert a[CORE_MEASURES].isna().any().all()  # yet single answers go missing


def test_satisfaction_is_asked_only_at_follow_up(frames: dict[str, pd.DataFrame]) -> None:
    a = frames["assessments"]
    assert a.loc[a["timepoint"] == "baseline", "satisfaction"].isna().all()
    assert a.loc[a["timepoint"] != "baseline", "satisfaction"].notna().mean() > 0.9


# --- Realism ---------------------------------------------------------------------------------


def test_twelve_month_completion_is_registry_like(frames: dict[str, pd.DataFrame]) -> None:
    cases, a = frames["cases"], frames["assessments"]
    due = cases.loc[cases["treatment_date"] + pd.Timedelta(days=365) <= AS_OF_TS, "case_id"]
    answered = a.loc[a["timepoint"] == "12m", "case_id"]
    assert len(due) > 1000
    assert 0.6 <= answered.isin(due).sum() / len(due) <= 0.8


def test_completion_falls_with_time(large: dict[str, pd.DataFrame]) -> None:
    cases, a = large["cases"], large["assessments"]
    rates = []
    for code, tp in vocab.TIMEPOINTS.items():
        due = cases["treatment_date"] + pd.Timedelta(days=tp.days) <= AS_OF_TS
        rates.append((a["timepoint"] == code).sum() / due.sum())
    assert rates == sorted(rates, reverse=True)


def test_baselines_look_like_fbss_cohorts(frames: dict[str, pd.DataFrame]) -> None:
    base = frames["assessments"].query("timepoint == 'baseline'")
    assert 35 <= base["odi"].mean() <= 51
    assert 12 <= base["odi"].std() <= 22
    assert 5.5 <= base["back_pain"].mean() <= 7.5
    assert 5.5 <= base["leg_pain"].mean() <= 7.5
    assert 0.25 <= base["eq5d"].mean() <= 0.45
    assert 0.3 <= (base["opioid_mme"] == 0).mean() <= 0.7  # many take no opioids


def test_causes_follow_plausible_index_surgeries(frames: dict[str, pd.DataFrame]) -> None:
    cases = frames["cases"]
    after_fusion = cases["cause"].isin(["adjacent_segment_disease", "pseudarthrosis"])
    assert cases.loc[after_fusion, "index_surgery"].isin(["fusion", "decompression_fusion"]).all()


def test_outcomes_differ_by_cause_and_treatment(large: dict[str, pd.DataFrame]) -> None:
    g = _odi_gain_12m(large).groupby(["cause", "pathway"])["gain"].mean()
    # Surgery does well for a failed decompression or fusion, poorly for scar...
    assert (
        g["decompression_failure", "repeat_surgery"] > g["epidural_fibrosis", "repeat_surgery"] + 8
    )
    assert g["pseudarthrosis", "repeat_surgery"] > g["arachnoiditis", "repeat_surgery"] + 8
    # ...where less invasive care does better, so no pathway wins everywhere.
    assert g["epidural_fibrosis", "less_invasive"] > g["epidural_fibrosis", "repeat_surgery"] + 5
    assert (
        g["decompression_failure", "repeat_surgery"] > g["decompression_failure", "less_invasive"]
    )


def test_case_mix_lowers_improvement(large: dict[str, pd.DataFrame]) -> None:
    gain = _odi_gain_12m(large)
    smoker = gain["smoker"].astype("boolean")
    assert gain.loc[smoker.eq(True), "gain"].mean() < gain.loc[smoker.eq(False), "gain"].mean()
    assert gain.loc[gain["age"] >= 70, "gain"].mean() < gain.loc[gain["age"] < 50, "gain"].mean()


def test_sicker_patients_lean_to_repeat_surgery(large: dict[str, pd.DataFrame]) -> None:
    # Issue 9: treatment choice depends on case mix, so a crude comparison is confounded.
    g = _odi_gain_12m(large).merge(
        large["assessments"].query("timepoint == 'baseline'")[["case_id", "odi"]], on="case_id"
    )
    surgery = g["pathway"] == "repeat_surgery"
    assert g.loc[surgery, "odi"].mean() > g.loc[~surgery, "odi"].mean() + 3
    share = surgery.groupby(g["prior_surgeries"].clip(upper=3)).mean()
    assert share[1] < share[2] < share[3]
    by_cause = surgery.groupby(g["cause"]).mean()
    assert by_cause.idxmax() == "pseudarthrosis"


@pytest.mark.parametrize("factor", ["smoker", "depression", "workers_compensation", "litigation"])
def test_poor_prognosis_factors_lower_improvement(
    large: dict[str, pd.DataFrame], factor: str
) -> None:
    # Issue 9: smoking, depression, compensation and litigation predict a worse result.
    g = _relative_gain(large)
    flag = g[factor].astype("boolean")
    yes, no = flag.eq(True).fillna(False), flag.eq(False).fillna(False)
    assert g.loc[yes, "relative"].mean() < g.loc[no, "relative"].mean() - 0.03


def test_high_baseline_disability_lowers_relative_improvement(
    large: dict[str, pd.DataFrame],
) -> None:
    g = _relative_gain(large)
    high = g["odi_baseline"] >= g["odi_baseline"].quantile(0.75)
    low = g["odi_baseline"] <= g["odi_baseline"].quantile(0.25)
    assert g.loc[high, "relative"].mean() < g.loc[low, "relative"].mean()


def test_event_rates_are_plausible(large: dict[str, pd.DataFrame]) -> None:
    cases, events = large["cases"], large["events"]
    person_years = ((AS_OF_TS - cases["treatment_date"]).dt.days / 365.25).sum()
    per_year = events["event"].value_counts() / person_years
    assert 0.015 <= per_year["reoperation"] <= 0.04
    assert per_year["device_revision"] < per_year["reoperation"]
    assert per_year["readmission"] < per_year["reoperation"]
    treated = events.merge(cases[["case_id", "treatment"]], on="case_id")
    revised = treated.loc[treated["event"] == "device_revision", "treatment"]
    assert revised.isin(["spinal_cord_stimulation", *parameters.HARDWARE_TREATMENTS]).all()
    assert revised.value_counts().idxmax() == "spinal_cord_stimulation"


def test_generator_tables_use_vocabulary_codes() -> None:
    for table in (
        parameters.INDEX_SURGERY_BY_CAUSE,
        parameters.TREATMENT_BY_CAUSE,
        parameters.RELIEF_BY_CAUSE,
    ):
        assert set(table) <= set(vocab.CAUSES)
    assert (
        set(parameters.INDEX_SURGERY_BY_CAUSE)
        == set(parameters.TREATMENT_BY_CAUSE)
        == set(vocab.CAUSES)
    )
    for choices in parameters.INDEX_SURGERY_BY_CAUSE.values():
        assert set(choices) <= set(vocab.INDEX_SURGERIES)
    for table in (*parameters.TREATMENT_BY_CAUSE.values(), *parameters.RELIEF_BY_CAUSE.values()):
        assert set(table) <= set(vocab.TREATMENTS)
    assert set(parameters.RELIEF_BY_TREATMENT) == set(vocab.TREATMENTS)
    assert set(parameters.RESPONSE_RATE) == set(vocab.TIMEPOINTS)
    assert set(parameters.DATE_JITTER) == set(vocab.FOLLOWUP_TIMEPOINTS)


# --- Determinism and arguments ---------------------------------------------------------------


def test_same_seed_gives_equal_frames_and_another_seed_does_not() -> None:
    first, again = sample.generate(300, 5, AS_OF), sample.generate(300, 5, AS_OF)
    other = sample.generate(300, 6, AS_OF)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
        assert not first[name].equals(other[name]), name


def test_a_single_case_still_gives_well_formed_frames() -> None:
    frames = sample.generate(1, 1, AS_OF)
    assert len(frames["cases"]) == 1
    assert tuple(frames["events"].columns) == schemas.columns("events")


@pytest.mark.parametrize(
    ("n_cases", "as_of"),
    [
        (0, AS_OF),  # no cases is not a sample
        (sample.MAX_CASES + 1, AS_OF),
        (10, dt.date(1900, 1, 1)),  # dates would leave pandas' timestamp range
    ],
)
def test_generate_rejects_bad_arguments(n_cases: int, as_of: dt.date) -> None:
    with pytest.raises(ValueError, match=r"."):
        sample.generate(n_cases, 1, as_of)


# --- The files -------------------------------------------------------------------------------


def test_written_files_use_the_plain_csv_format(tmp_path: Path) -> None:
    paths = sample.write(tmp_path / "new", 500, 3, AS_OF)
    patterns = {  # every cell of these columns, as written (blank allowed where optional)
        "age": r"\d+", "bmi": r"(\d+(\.\d)?)?", "smoker": r"(true|false)?",
        "prior_surgeries": r"(\d+)?", "treatment_date": r"\d{4}-\d{2}-\d{2}",
        "back_pain": r"(\d+)?", "odi": r"(\d+(\.\d)?)?", "eq5d": r"(-?\d(\.\d{1,3})?)?",
        "opioid_mme": r"(\d+(\.\d)?)?", "working": r"(true|false)?",
        "event_date": r"\d{4}-\d{2}-\d{2}",
    }  # fmt: skip
    for name, path in paths.items():
        raw = path.read_bytes()
        assert b"\r" not in raw
        assert raw.endswith(b"\n")
        assert raw.split(b"\n", 1)[0].decode() == ",".join(schemas.columns(name))
        text = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in set(patterns) & set(text.columns):
            assert text[column].str.fullmatch(patterns[column]).all(), (name, column)


def _sample_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fbss")
    sample.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_writes_the_files_and_one_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _sample_parser().parse_args(
        ["sample", "--cases", "50", "--seed", "2", "--out", str(tmp_path), "--as-of", "2026-11-01"]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "cases.csv 50 rows" in out
    assert str(tmp_path) in out
    assert (tmp_path / "cases.csv").read_bytes() == (
        sample.write(tmp_path / "again", 50, 2, AS_OF)["cases"].read_bytes()
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cases", "0"], "--cases must be at least 1"),
        (["--cases", "many"], "--cases must be a whole number"),
        (["--cases", "1.5"], "--cases must be a whole number"),
        (["--seed", "-1"], "--seed must be at least 0"),
        (["--as-of", "2026-02-30"], "--as-of must be a date written YYYY-MM-DD"),
        (["--as-of", "01/11/2026"], "--as-of must be a date written YYYY-MM-DD"),
        (["--as-of", "1900-01-01"], "1950 to 2200"),
        (["--out", ""], "--out DIR is required"),
    ],
)
def test_cli_bad_arguments_give_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    args = _sample_parser().parse_args(["sample", "--out", str(tmp_path / "x"), *argv])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_cli_refuses_a_file_as_the_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "cases.csv"
    a_file.write_text("keep me", encoding="utf-8")
    args = _sample_parser().parse_args(["sample", "--cases", "5", "--out", str(a_file)])
    assert args.func(args) == 2
    assert "is a file" in capsys.readouterr().err
    assert a_file.read_text(encoding="utf-8") == "keep me"


def test_ids_are_zero_padded() -> None:
    assert list(draw.ids("C", np.array([1, 42, 999999]), 6)) == ["C000001", "C000042", "C999999"]

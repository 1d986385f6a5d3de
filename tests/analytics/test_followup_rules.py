"""Issue 8: visit windows, as-of snapshots, event capture, joint responders, paired
trajectories and who is lost, each on a small store whose figures are worked out here
(or computed independently with lifelines, scipy and numpy)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from scipy import stats as sps

from analytics.events import events_summary, km_curves
from analytics.lost_to_followup import dropout
from analytics.outcomes import followup_completion, summary
from analytics.trajectories import trajectory
from analytics.windows import out_of_window
from pipelines import vocabulary as vocab
from pipelines.settings import SettingError, set_event_capture
from tests.analytics.builders import DAY0, assessment, case, days_after, event, make_store, row_of


def on(days: int) -> dt.date:
    return days_after(DAY0, days)


# ---- 1. visit windows -----------------------------------------------------------------


@pytest.mark.parametrize("timepoint", list(vocab.VISIT_WINDOWS))
def test_a_timepoint_falls_due_the_day_its_window_closes(tmp_path: Path, timepoint: str) -> None:
    db = make_store(tmp_path / "w.duckdb", [case("A")])
    closes = vocab.VISIT_WINDOWS[timepoint].closes
    for as_of, due in ((on(closes - 1), 0), (on(closes), 1)):
        out = followup_completion(db, timepoints=[timepoint], as_of=as_of, min_cell=0)
        assert out["n_due"].tolist() == [due]


def test_the_issue_windows_are_the_defaults() -> None:
    assert {tp: (w.nominal, w.opens, w.closes) for tp, w in vocab.VISIT_WINDOWS.items()} == {
        "6w": (42, 28, 70), "3m": (91, 63, 140), "6m": (182, 140, 273),
        "12m": (365, 273, 548), "24m": (730, 548, 1095),
    }  # fmt: skip
    assert all(vocab.TIMEPOINTS[tp].days == w.nominal for tp, w in vocab.VISIT_WINDOWS.items())


def test_out_of_window_assessments_are_listed_and_still_counted(tmp_path: Path) -> None:
    # 12m window 273-548: days 272 and 549 are outside, 273 and 548 inside; 6w opens at 28
    days = {"W1": 272, "W2": 273, "W3": 548, "W4": 549}
    rows = [assessment(c, "baseline", odi=50) for c in [*days, "W5"]]
    rows += [assessment(c, "12m", odi=30, on=on(d)) for c, d in days.items()]
    rows += [assessment("W5", "6w", odi=40, on=on(27))]
    db = make_store(tmp_path / "w.duckdb", [case(c) for c in [*days, "W5"]], rows)
    listed = out_of_window(db, as_of=on(1000))
    assert list(zip(listed["case_id"], listed["timepoint"], listed["days_after_treatment"],
                    strict=True)) == [("W1", "12m", 272), ("W4", "12m", 549), ("W5", "6w", 27)]  # fmt: skip
    assert listed.loc[0, ["window_opens", "window_closes"]].tolist() == [273, 548]
    row = summary(db, as_of=on(1000), min_cell=0).iloc[0]
    assert (row["n_followup_returned"], row["n_assessed"]) == (4, 4)  # counted by label
    # a snapshot before W4's visit does not list it
    assert "W4" not in set(out_of_window(db, as_of=on(548))["case_id"])


# ---- 2. as-of snapshots ---------------------------------------------------------------


def test_a_snapshot_leaves_out_later_cases_and_visits(tmp_path: Path) -> None:
    cases = [case("A"), case("B", treatment_date=on(500))]
    rows = [
        assessment("A", "baseline", odi=50),
        assessment("A", "12m", odi=30, on=on(400)),
        assessment("B", "baseline", odi=40, on=on(495)),
    ]
    db = make_store(tmp_path / "s.duckdb", cases, rows)
    before = summary(db, as_of=on(399), min_cell=0).iloc[0]
    # B is not treated yet; A's 12-month visit has not happened and its window is open
    assert (before["n_cases"], before["n_due"], before["n_followup_returned"]) == (1, 0, 0)
    assert np.isnan(before["followup_rate"])
    visit_day = summary(db, as_of=on(400), min_cell=0).iloc[0]
    assert (visit_day["n_cases"], visit_day["n_due"], visit_day["n_assessed"]) == (1, 1, 1)
    assert visit_day["mean_change"] == 20
    assert summary(db, as_of=on(500), min_cell=0).iloc[0]["n_cases"] == 2
    # the open-cohort baseline mean of the snapshot holds A only
    base = trajectory(db, as_of=on(499), paired=False, min_cell=0).iloc[0]
    assert (base["n_values"], base["mean"]) == (1, 50)


# ---- 3. censoring that matches how events are captured ---------------------------------

AS_OF = on(800)
# case: (clinic, follow-up assessment days, reoperation day or None)
CAPTURE_CASES: dict[str, tuple[str, tuple[int, ...], int | None]] = {
    "N1": ("North Spine", (182, 365), 400),  # reoperated after its last assessment
    "N2": ("North Spine", (42,), None),
    "N3": ("North Spine", (365, 730), 200),
    "N4": ("North Spine", (), 50),  # baseline only: at_contact time ends on day 0
    "N5": ("North Spine", (91,), 900),  # reoperated after the as-of date: not known
    "S1": ("South Spine", (365,), None),
    "S2": ("South Spine", (182,), 150),
    "S3": ("South Spine", (730,), 760),
    "S4": ("South Spine", (), None),
}
TP_OF = {w.nominal: tp for tp, w in vocab.VISIT_WINDOWS.items()}


def expected_times(rule_of: dict[str, str]) -> tuple[list[int], list[bool]]:
    """Durations and event flags written out from the rules, for lifelines."""
    durations, observed = [], []
    for clinic, visits, reop in CAPTURE_CASES.values():
        known = 800 if rule_of[clinic] == "complete" else max(visits, default=0)
        counted = reop is not None and reop <= min(known, 800)
        durations.append(reop if counted else known)
        observed.append(counted)
    return durations, observed


@pytest.fixture
def capture_db(tmp_path: Path) -> Path:
    cases = [case(c, clinic=clinic) for c, (clinic, _, _) in CAPTURE_CASES.items()]
    rows = [assessment(c, "baseline", odi=40) for c in CAPTURE_CASES]
    rows += [
        assessment(c, TP_OF[d], odi=30, on=on(d))
        for c, (_, visits, _) in CAPTURE_CASES.items()
        for d in visits
    ]
    events = [event(c, "reoperation", on(r)) for c, (_, _, r) in CAPTURE_CASES.items() if r]
    return make_store(tmp_path / "capture.duckdb", cases, rows, events)


def lifelines_at(durations: list[int], observed: list[bool], days: list[int]) -> list[float]:
    kmf = KaplanMeierFitter().fit(durations, observed)
    return [float(v) for v in kmf.survival_function_at_times(days)]


@pytest.mark.parametrize(
    ("rule", "n_with_event", "km_12m", "km_24m"),
    [
        # followed to day 800: events on days 50, 150, 200, 400, 760 among 9 cases
        ("complete", 5, 6 / 9, 5 / 9),
        # times end at the last assessment: 0c 0c 42c 91c 150e 200e 365c 365c 730c
        ("at_contact", 2, 3 / 5, 3 / 5),
    ],
)
def test_each_capture_rule_matches_lifelines(
    capture_db: Path, rule: str, n_with_event: int, km_12m: float, km_24m: float
) -> None:
    row = events_summary(
        capture_db, events="reoperation", as_of=AS_OF, event_capture=rule, min_cell=0
    ).iloc[0]
    assert (row["event_capture"], row["n_with_event"]) == (rule, n_with_event)
    assert (row["km_free_12m"], row["km_free_24m"]) == pytest.approx((km_12m, km_24m))
    durations, observed = expected_times(dict.fromkeys(("North Spine", "South Spine"), rule))
    assert [row["km_free_12m"], row["km_free_24m"]] == pytest.approx(
        lifelines_at(durations, observed, [365, 730]), abs=1e-12
    )
    curve = km_curves(capture_db, as_of=AS_OF, event_capture=rule, min_cell=0)
    assert curve["survival"].tolist() == pytest.approx(
        lifelines_at(durations, observed, curve["day"].tolist()), abs=1e-12
    )


def test_the_clinic_setting_decides_and_an_override_wins(capture_db: Path) -> None:
    set_event_capture(capture_db, "South Spine", "at_contact")
    overall = events_summary(capture_db, events="reoperation", as_of=AS_OF, min_cell=0).iloc[0]
    assert overall["event_capture"] == "mixed"
    durations, observed = expected_times({"North Spine": "complete", "South Spine": "at_contact"})
    assert [overall["km_free_12m"], overall["km_free_24m"]] == pytest.approx(
        lifelines_at(durations, observed, [365, 730]), abs=1e-12
    )
    by_clinic = events_summary(
        capture_db, by="clinic", events="reoperation", as_of=AS_OF, min_cell=0
    )
    assert by_clinic["event_capture"].tolist() == ["complete", "at_contact"]
    forced = events_summary(
        capture_db, events="reoperation", as_of=AS_OF, event_capture="complete", min_cell=0
    ).iloc[0]
    assert forced["km_free_24m"] == pytest.approx(5 / 9)
    with pytest.raises(SettingError, match="has no cases in the store"):
        set_event_capture(capture_db, "Nowhere", "complete")


def test_an_event_after_the_as_of_date_is_not_known(capture_db: Path) -> None:
    # N5's reoperation on day 900 counts from that day on
    for day, n in ((899, 5), (900, 6)):
        row = events_summary(
            capture_db, events="reoperation", as_of=on(day), event_capture="complete",
            min_cell=0,
        ).iloc[0]  # fmt: skip
        assert row["n_with_event"] == n


# ---- 4. joint responder definitions ------------------------------------------------------


def test_joint_definition_needs_one_patient_to_meet_both(tmp_path: Path) -> None:
    a = assessment
    rows = [
        a("J1", "baseline", leg_pain=8, back_pain=6), a("J1", "12m", leg_pain=4, back_pain=3),
        a("J2", "baseline", leg_pain=8, back_pain=6), a("J2", "12m", leg_pain=2, back_pain=4),
        a("J3", "baseline", leg_pain=6, back_pain=8), a("J3", "12m", leg_pain=6, back_pain=2),
        a("J4", "baseline", leg_pain=0, back_pain=6), a("J4", "12m", leg_pain=0, back_pain=0),
        a("J5", "baseline", leg_pain=5, back_pain=5), a("J5", "12m", leg_pain=2),
        a("J6", "baseline", back_pain=7), a("J6", "12m", leg_pain=3, back_pain=3),
    ]  # fmt: skip
    db = make_store(tmp_path / "j.duckdb", [case(f"J{i}") for i in range(1, 7)], rows)
    (joint,) = summary(db, responder="pain_relief_50", as_of=on(1000), min_cell=0).to_dict(
        "records"
    )
    assert joint["measure"] == "leg_pain+back_pain"
    # returned: both follow-up values (J1-J4, J6); J6 has no leg-pain baseline; assessed
    # on both: J1-J4; J4's leg-pain baseline of 0 leaves no room: excluded; only J1
    # (exactly 50% on each) meets both; J2 (leg only) and J3 (back only) do not
    assert (joint["n_due"], joint["n_followup_returned"], joint["n_no_baseline"]) == (6, 5, 1)
    assert (joint["n_assessed"], joint["n_excluded"], joint["responders"]) == (4, 1, 1)
    assert joint["responder_rate"] == pytest.approx(1 / 3)
    assert np.isnan(joint["mean_change"])  # no mean across two measures
    # a comma: separate rows, each on its own denominator (leg 3 of 4, back 4 of 5)
    leg, back = summary(
        db, responder="leg_pain:50%,back_pain:50%", as_of=on(1000), min_cell=0
    ).to_dict("records")
    assert (leg["responders"], leg["n_assessed"] - leg["n_excluded"]) == (3, 4)
    assert (back["responders"], back["n_assessed"] - back["n_excluded"]) == (4, 5)


# ---- 5 and 6. trajectories of the same patients ---------------------------------------


def test_paired_trajectory_against_the_open_cohort(tmp_path: Path) -> None:
    a = assessment
    rows = [
        a("P1", "baseline", odi=60), a("P1", "12m", odi=40),
        a("P2", "baseline", odi=40), a("P2", "12m", odi=30),
        a("P3", "baseline", odi=50),  # never seen again
        a("P4", "12m", odi=20),  # no baseline
    ]  # fmt: skip
    db = make_store(tmp_path / "t.duckdb", [case(f"P{i}") for i in range(1, 5)], rows)
    paired = trajectory(db, as_of=on(1000), min_cell=0)
    shown = paired[paired["n_values"] > 0]  # an overall result keeps every timepoint
    assert shown["timepoint"].tolist() == ["baseline", "12m"]
    year = row_of(paired, timepoint="12m")
    assert (year["cohort"], year["n_values"]) == ("paired", 2)
    assert (year["baseline_mean"], year["mean"], year["mean_change"]) == (50, 35, 15)
    low, high = sps.t.interval(0.95, df=1, loc=15, scale=sps.sem([20, 10]))
    assert (year["change_ci_low"], year["change_ci_high"]) == pytest.approx((low, high))
    opened = row_of(trajectory(db, as_of=on(1000), paired=False, min_cell=0), timepoint="12m")
    # every value: baseline (60+40+50)/3 = 50, 12 months (40+30+20)/3 = 30
    assert (opened["cohort"], opened["n_values"], opened["mean_change"]) == ("open", 3, 20)


# ---- 7. who is lost --------------------------------------------------------------------


def test_dropout_compares_followed_and_lost_by_smd(tmp_path: Path) -> None:
    people = {  # case: (age, sex, baseline ODI, followed at 12 months)
        "D1": (40, "female", 30, True), "D2": (50, "female", 40, True),
        "D3": (60, "male", 50, True), "D4": (70, "male", 60, True),
        "D5": (60, "female", 50, False), "D6": (80, "female", 70, False),
    }  # fmt: skip
    cases = [case(c, age=age, sex=sex) for c, (age, sex, _, _) in people.items()]
    rows = [assessment(c, "baseline", odi=b) for c, (_, _, b, _) in people.items()]
    rows += [assessment(c, "12m", odi=20) for c, (*_, followed) in people.items() if followed]
    db = make_store(tmp_path / "d.duckdb", cases, rows)
    out = dropout(db, as_of=on(1000), min_cell=0)

    def smd(lost: list[float], followed: list[float]) -> float:
        pooled = np.sqrt((np.var(lost, ddof=1) + np.var(followed, ddof=1)) / 2)
        return float((np.mean(lost) - np.mean(followed)) / pooled)

    odi = row_of(out, characteristic="baseline_odi")
    assert (odi["n_followed"], odi["n_lost"]) == (4, 2)
    assert (odi["followed_value"], odi["lost_value"]) == (45, 60)
    assert odi["smd"] == pytest.approx(smd([50, 70], [30, 40, 50, 60]))
    assert odi["message"] == "patients lost at 12 months started more disabled"
    age = row_of(out, characteristic="age")
    assert age["smd"] == pytest.approx(smd([60, 80], [40, 50, 60, 70]))
    female = row_of(out, characteristic="sex", level="female")
    # shares 1.0 lost against 0.5 followed: (1 - 0.5) / sqrt((0 + 0.25) / 2)
    assert female["smd"] == pytest.approx(0.5 / np.sqrt(0.125))
    assert female["message"] == "patients lost at 12 months were more often female"
    hidden = dropout(db, as_of=on(1000))  # 2 lost < 5: nothing shown
    assert hidden["suppressed"].all()
    assert hidden["smd"].isna().all()


def test_dropout_hides_a_rare_level_and_its_complement(tmp_path: Path) -> None:
    # Review finding: one patient with sex "other" -> "followed share 1/485" told whether
    # that patient answered. 6 followed, 6 lost; sex: 10 female/male split, 1 other.
    sexes = ["female"] * 6 + ["male"] * 5 + ["other"]
    cases = [case(f"R{i}", sex=s) for i, s in enumerate(sexes)]
    rows = [assessment(f"R{i}", "baseline", odi=40) for i in range(12)]
    rows += [assessment(f"R{i}", "12m", odi=20) for i in range(0, 12, 2)]  # evens followed
    db = make_store(tmp_path / "r.duckdb", cases, rows)
    out = dropout(db, as_of=on(1000), min_cell=5)
    sex = out[out["characteristic"] == "sex"].set_index("level")
    # "other" (1) is small; hiding it alone leaves it as 1 - female - male, so the
    # smallest other level (male, 5) is hidden with it: 6 hidden patients >= 5.
    assert sex.loc["other", "suppressed"]
    assert sex.loc["male", "suppressed"]
    assert sex.loc[["other", "male"], "followed_value"].isna().all()
    female = sex.loc["female"]
    assert not female["suppressed"]
    # female: R0, R2, R4 followed (3 of 6), R1, R3, R5 lost (3 of 6)
    assert (female["followed_value"], female["lost_value"]) == (0.5, 0.5)

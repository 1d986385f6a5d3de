"""Synthetic sample data: cases, assessments and events shaped like an FBSS clinic's.

Entirely made up (no real patients), but with the patterns the dashboard exists to
reveal: the cause mix, treatment choice by cause and clinic, baselines like published
FBSS cohorts, relief that differs by cause x treatment and case mix, follow-up that
falls away with time, and reoperations, crossovers, complications and device
revisions. See data/sample/README.md for the numbers modelled.

Frames carry the dtypes `schemas.py` parses text into (str objects, nullable Int64,
Float64 and boolean, datetime64 dates), so they can be validated as they are.

Every column is drawn for all cases at once with numpy (no loop over rows), so a
million cases take seconds. numpy, pandas and pyarrow are imported inside functions
so `fbss --help` stays fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pipelines import vocabulary as vocab

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": (
        "case_id", "patient_id", "clinic", "physician", "sex", "age", "bmi", "smoker",
        "diabetes", "prior_surgeries", "index_surgery", "index_levels", "index_surgery_date",
        "presentation_date", "cause", "treatment", "treatment_date",
    ),
    "assessments": (
        "case_id", "timepoint", "assessment_date", "back_pain", "leg_pain", "odi", "eq5d",
        "opioid_mme", "working", "satisfaction",
    ),
    "events": ("case_id", "event_date", "event", "detail"),
}  # fmt: skip
MAX_CASES = 10_000_000  # about 2 GB of memory per million cases; beyond this is no sample
YEARS_OF_CASES = 6  # treatment dates spread over this many years up to as_of


# --- Who and where: fictional clinics, each with its case mix and surgical leaning --------
class Clinic(NamedTuple):
    name: str
    share: float  # of all cases
    severity_shift: float  # baseline severity, in SD
    age_shift: float  # years
    surgery_preference: float  # multiplies the odds of choosing a repeat surgery


# Northgate is a tertiary referral centre: sicker, older patients and more arachnoiditis,
# so its raw outcomes look worse than its adjusted ones (the NORspine lesson).
CLINICS: tuple[Clinic, ...] = (
    Clinic("Northgate Spine Centre", 0.30, 0.35, 3.0, 1.3),
    Clinic("Riverside Pain Clinic", 0.22, 0.0, 0.0, 0.4),
    Clinic("Harbour Spine Institute", 0.20, 0.1, 0.0, 1.6),
    Clinic("Meadowbrook Orthopaedics", 0.16, -0.2, -2.0, 1.0),
    Clinic("Lakeside Back Clinic", 0.12, -0.1, 1.0, 0.7),
)
REFERRAL_CENTRE = 0  # index in CLINICS


class Physician(NamedTuple):
    name: str
    clinic: int  # index in CLINICS
    volume: float  # relative to colleagues at the same clinic; low volumes test the funnel


PHYSICIANS: tuple[Physician, ...] = tuple(Physician(*p) for p in (
    ("Dr A. Lindqvist", 0, 1.0), ("Dr M. Okafor", 0, 0.8), ("Dr S. Brennan", 0, 0.6),
    ("Dr R. Castellano", 0, 0.2), ("Dr H. Nakamura", 1, 1.0), ("Dr E. Fairweather", 1, 0.7),
    ("Dr J. Moreau", 1, 0.3), ("Dr K. Adeyemi", 2, 1.0), ("Dr L. Haverkamp", 2, 0.9),
    ("Dr T. Sorensen", 2, 0.25), ("Dr P. Varga", 3, 1.0), ("Dr N. Whitlock", 3, 0.5),
    ("Dr D. Ferreira", 3, 0.4), ("Dr C. Halvorsen", 4, 1.0), ("Dr F. Osei", 4, 0.45),
))  # fmt: skip
SEX_SHARES = {"female": 0.52, "male": 0.46, "other": 0.004, "unknown": 0.016}

# --- Cause, index surgery and treatment ----------------------------------------------------
CAUSE_SHARES = {
    "adjacent_segment_disease": 0.16, "iatrogenic_instability": 0.10,
    "epidural_fibrosis": 0.19, "key_structure_damage": 0.09, "decompression_failure": 0.17,
    "pseudarthrosis": 0.10, "arachnoiditis": 0.05, "unknown": 0.14,
}  # fmt: skip
# Presentation by cause: older with adjacent segment disease (years after a fusion),
# sicker with arachnoiditis; back- or leg-dominant pain (NRS points added at baseline).
AGE_SHIFT_BY_CAUSE = {"adjacent_segment_disease": 6, "pseudarthrosis": 3,
                      "epidural_fibrosis": -1, "decompression_failure": -2}  # fmt: skip
SEVERITY_BY_CAUSE = {"arachnoiditis": 0.6, "epidural_fibrosis": 0.2, "key_structure_damage": 0.1,
                     "decompression_failure": 0.1}  # fmt: skip
BACK_PAIN_TILT = {"adjacent_segment_disease": 0.6, "iatrogenic_instability": 0.6,
                  "epidural_fibrosis": -0.3, "key_structure_damage": 0.4,
                  "decompression_failure": -0.4, "pseudarthrosis": 0.6,
                  "arachnoiditis": -0.2}  # fmt: skip
LEG_PAIN_TILT = {"adjacent_segment_disease": -0.4, "iatrogenic_instability": -0.2,
                 "epidural_fibrosis": 0.8, "key_structure_damage": -0.4,
                 "decompression_failure": 0.9, "pseudarthrosis": -0.4,
                 "arachnoiditis": 1.0}  # fmt: skip
# Adjacent segment disease and pseudarthrosis can only follow a fusion.
INDEX_SURGERY_BY_CAUSE = {
    "adjacent_segment_disease": {"fusion": 0.6, "decompression_fusion": 0.4},
    "iatrogenic_instability": {"laminectomy": 0.65, "discectomy": 0.25, "other": 0.1},
    "epidural_fibrosis": {"discectomy": 0.45, "laminectomy": 0.35, "decompression_fusion": 0.1,
                          "fusion": 0.05, "other": 0.05},
    "key_structure_damage": {"fusion": 0.3, "decompression_fusion": 0.25, "laminectomy": 0.3,
                             "discectomy": 0.1, "other": 0.05},
    "decompression_failure": {"discectomy": 0.5, "laminectomy": 0.45, "other": 0.05},
    "pseudarthrosis": {"fusion": 0.55, "decompression_fusion": 0.45},
    "arachnoiditis": {"discectomy": 0.3, "laminectomy": 0.35, "fusion": 0.15,
                      "decompression_fusion": 0.1, "other": 0.1},
    "unknown": {"discectomy": 0.3, "laminectomy": 0.25, "fusion": 0.2,
                "decompression_fusion": 0.15, "other": 0.1},
}  # fmt: skip
# Operated levels: how many, and where the lowest one sits (most at L4-L5 and L5-S1).
N_LEVELS_BY_INDEX_SURGERY = {"discectomy": (0.9, 0.1, 0), "laminectomy": (0.5, 0.35, 0.15),
                             "fusion": (0.55, 0.35, 0.1), "decompression_fusion": (0.45, 0.4, 0.15),
                             "other": (0.7, 0.3, 0)}  # fmt: skip
LOWEST_LEVEL = {"T12-L1": 0.01, "L1-L2": 0.02, "L2-L3": 0.05, "L3-L4": 0.12, "L4-L5": 0.45,
                "L5-S1": 0.35}  # fmt: skip
# Median years from index surgery to presentation, and its log-normal spread: fibrosis
# pain returns within weeks, adjacent segments wear out over years.
YEARS_TO_PRESENTATION = {
    "adjacent_segment_disease": (5.0, 0.6), "iatrogenic_instability": (1.5, 0.7),
    "epidural_fibrosis": (0.6, 0.7), "key_structure_damage": (1.0, 0.7),
    "decompression_failure": (0.5, 0.8), "pseudarthrosis": (1.5, 0.5),
    "arachnoiditis": (2.0, 0.8), "unknown": (2.0, 0.9),
}  # fmt: skip
# Treatment choice by cause, after domain.md's "plausible choices".
TREATMENT_BY_CAUSE = {
    "adjacent_segment_disease": {
        "adjacent_level_fusion": 0.35, "platelet_rich_plasma": 0.2, "ligament_injection": 0.12,
        "radiofrequency_ablation": 0.1, "epidural_steroid_injection": 0.08,
        "physical_therapy": 0.07, "medication_management": 0.05, "spinal_cord_stimulation": 0.03},
    "iatrogenic_instability": {
        "revision_fusion": 0.4, "ligament_injection": 0.18, "platelet_rich_plasma": 0.15,
        "physical_therapy": 0.1, "radiofrequency_ablation": 0.07, "medication_management": 0.05,
        "orthobiologic_injection": 0.05},
    "epidural_fibrosis": {
        "platelet_lysate_hydrodissection": 0.25, "percutaneous_adhesiolysis": 0.22,
        "spinal_cord_stimulation": 0.2, "scar_tissue_removal": 0.07,
        "epidural_steroid_injection": 0.1, "medication_management": 0.1, "physical_therapy": 0.06},
    "key_structure_damage": {
        "orthobiologic_injection": 0.3, "physical_therapy": 0.3, "radiofrequency_ablation": 0.12,
        "medication_management": 0.1, "platelet_rich_plasma": 0.08, "revision_fusion": 0.05,
        "spinal_cord_stimulation": 0.05},
    "decompression_failure": {
        "revision_decompression": 0.45, "epidural_steroid_injection": 0.25,
        "platelet_lysate_hydrodissection": 0.08, "physical_therapy": 0.08,
        "medication_management": 0.07, "spinal_cord_stimulation": 0.04, "revision_fusion": 0.03},
    "pseudarthrosis": {
        "revision_fusion": 0.5, "hardware_revision": 0.25, "orthobiologic_injection": 0.08,
        "platelet_rich_plasma": 0.07, "medication_management": 0.05,
        "spinal_cord_stimulation": 0.05},
    "arachnoiditis": {
        "spinal_cord_stimulation": 0.45, "medication_management": 0.35, "physical_therapy": 0.08,
        "platelet_lysate_hydrodissection": 0.05, "scar_tissue_removal": 0.04,
        "epidural_steroid_injection": 0.03},
    "unknown": {
        "medication_management": 0.2, "physical_therapy": 0.2, "epidural_steroid_injection": 0.15,
        "spinal_cord_stimulation": 0.12, "radiofrequency_ablation": 0.1,
        "revision_decompression": 0.08, "revision_fusion": 0.08, "orthobiologic_injection": 0.07},
}  # fmt: skip

# --- Outcomes -----------------------------------------------------------------------------
# Expected relief: the fraction of baseline disability gone once the treatment has taken
# effect, before case mix. A treatment's usual relief, then overrides where the cause
# changes it, so no pathway wins everywhere.
RELIEF_BY_TREATMENT = {
    "revision_decompression": 0.28, "revision_fusion": 0.28, "adjacent_level_fusion": 0.28,
    "scar_tissue_removal": 0.10, "hardware_revision": 0.28, "platelet_rich_plasma": 0.26,
    "platelet_lysate_hydrodissection": 0.28, "orthobiologic_injection": 0.26,
    "ligament_injection": 0.24, "epidural_steroid_injection": 0.18,
    "percutaneous_adhesiolysis": 0.26, "radiofrequency_ablation": 0.22,
    "spinal_cord_stimulation": 0.30, "medication_management": 0.10, "physical_therapy": 0.16,
}  # fmt: skip
RELIEF_BY_CAUSE = {
    "adjacent_segment_disease": {"adjacent_level_fusion": 0.30, "platelet_rich_plasma": 0.38,
                                 "ligament_injection": 0.34},
    "iatrogenic_instability": {"revision_fusion": 0.40, "ligament_injection": 0.34,
                               "platelet_rich_plasma": 0.32},
    "epidural_fibrosis": {"scar_tissue_removal": 0.02, "revision_decompression": 0.08,
                          "platelet_lysate_hydrodissection": 0.42,
                          "percutaneous_adhesiolysis": 0.36, "spinal_cord_stimulation": 0.38},
    "key_structure_damage": {"orthobiologic_injection": 0.36, "physical_therapy": 0.30,
                             "revision_fusion": 0.10, "radiofrequency_ablation": 0.26},
    "decompression_failure": {"revision_decompression": 0.50, "epidural_steroid_injection": 0.24,
                              "platelet_lysate_hydrodissection": 0.30},
    "pseudarthrosis": {"revision_fusion": 0.50, "hardware_revision": 0.44,
                       "platelet_rich_plasma": 0.18, "orthobiologic_injection": 0.22},
    "arachnoiditis": {"scar_tissue_removal": -0.10, "spinal_cord_stimulation": 0.30,
                      "medication_management": 0.10, "platelet_lysate_hydrodissection": 0.16,
                      "epidural_steroid_injection": 0.05},
}  # fmt: skip
# Repeat surgery where the trouble is scar does worse than its usual relief (scar removal
# makes more scar), unless RELIEF_BY_CAUSE names the treatment.
SURGERY_PENALTY_BY_CAUSE = {"epidural_fibrosis": 0.15, "arachnoiditis": 0.25}
# Share of the full relief reached at 6w, 3m, 6m, 12m, 24m: surgery starts with a
# recovery period; injections act sooner but fade a little more.
RELIEF_CURVE = {
    "repeat_surgery": (0.55, 0.85, 1.0, 1.0, 0.95),
    "less_invasive": (0.75, 0.95, 1.0, 0.95, 0.88),
}
# Chance of answering each timepoint's questionnaire (12 months ~70%, as registries see).
RESPONSE_RATE = {"baseline": 0.96, "6w": 0.86, "3m": 0.82, "6m": 0.77, "12m": 0.70, "24m": 0.62}
# Jitter of an assessment around its nominal day: (mean days late, SD days), cut at 3 SD.
DATE_JITTER = {"6w": (3, 5), "3m": (4, 9), "6m": (5, 14), "12m": (6, 21), "24m": (8, 30)}
# Chance a single answer is missing from a returned questionnaire.
ITEM_MISSING = {"back_pain": 0.02, "leg_pain": 0.02, "odi": 0.04, "eq5d": 0.03,
                "opioid_mme": 0.08, "working": 0.05, "satisfaction": 0.04}  # fmt: skip

EVENT_DETAILS = {
    "reoperation": ("Revision decompression", "Extension of fusion", "Revision fusion",
                    "Removal of hardware", "Repeat discectomy"),
    "crossover_to_surgery": ("Crossed over to repeat surgery",),
    "crossover_from_surgery": ("Crossed over to spinal cord stimulation",
                               "Crossed over to injection therapy",
                               "Crossed over to medication management"),
    "complication_surgery": ("Wound infection", "Dural tear", "Deep vein thrombosis",
                             "New neurological deficit", "Urinary retention"),
    "complication_less_invasive": ("Post-procedure headache", "Local infection",
                                   "Transient numbness", "Vasovagal reaction"),
    "readmission": ("Pain control", "Wound care", "Medical observation"),
    "device_revision_scs": ("Lead repositioning", "Battery replacement", "Device explant"),
    "device_revision_hardware": ("Screw revision", "Rod revision"),
}  # fmt: skip
HARDWARE_TREATMENTS = ("revision_fusion", "adjacent_level_fusion", "hardware_revision")


def _codes(mapping: dict[str, Any], vocabulary: Any) -> list[str]:
    """Check a table's keys against the vocabulary, so a typo fails loudly."""
    unknown = set(mapping) - set(vocabulary)
    if unknown:
        raise KeyError(f"not in the vocabulary: {sorted(unknown)}")
    return list(vocabulary)


def _by_code(mapping: dict[str, Any], vocabulary: Any) -> np.ndarray:
    """A table keyed by codes as an array in vocabulary order (absent codes are 0)."""
    import numpy as np

    return np.array([mapping.get(code, 0.0) for code in _codes(mapping, vocabulary)])


def _pick(
    rng: np.random.Generator, table: np.ndarray, group: np.ndarray | None, n: int
) -> np.ndarray:
    """One category index per row by inverse CDF; `table[group[i]]` holds row i's weights."""
    import numpy as np

    table = np.atleast_2d(table)
    cdf = np.cumsum(table, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(n)
    if group is None:
        return np.searchsorted(cdf[0], u, side="right")
    out = np.empty(n, dtype=np.intp)
    for g in range(len(table)):  # a loop over a handful of groups, not over rows
        rows = group == g
        out[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    return out


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded ids such as C000042 as an object array, built without a Python loop."""
    import numpy as np

    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (numbers[:, None] // powers) % 10 + ord("0")
    raw = np.empty((len(numbers), width + 1), dtype=np.uint8)
    raw[:, 0] = ord(prefix)
    raw[:, 1:] = digits
    return raw.view(f"S{width + 1}").ravel().astype(str).astype(object)


def _days(as_of: dt.date) -> int:
    return (as_of - dt.date(1970, 1, 1)).days


def _check(n_cases: int, as_of: dt.date) -> None:
    if not 1 <= n_cases <= MAX_CASES:
        raise ValueError(f"the number of cases must be from 1 to {MAX_CASES:,}, not {n_cases}")
    if not 1950 <= as_of.year <= 2200:  # keeps every date inside pandas' timestamp range
        raise ValueError(f"the as-of date must lie in the years 1950 to 2200, not {as_of}")


def generate(n_cases: int, seed: int, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Synthetic cases, assessments and events; the same arguments give equal frames."""
    import numpy as np

    _check(n_cases, as_of)
    rng = np.random.default_rng(seed)
    cohort = _draw_cases(rng, n_cases, _days(as_of))
    return {
        "cases": _cases_frame(cohort),
        "assessments": _assessments_frame(rng, cohort, _days(as_of)),
        "events": _events_frame(rng, cohort, _days(as_of)),
    }


def _draw_cases(rng: np.random.Generator, n: int, as_of: int) -> dict[str, np.ndarray]:
    """Every case-level value, plus the hidden ones (severity, relief) outcomes depend on."""
    import numpy as np

    causes, treatments = list(vocab.CAUSES), list(vocab.TREATMENTS)
    c: dict[str, np.ndarray] = {}
    clinics = {
        field: np.array(values)
        for field, values in zip(Clinic._fields, zip(*CLINICS, strict=True), strict=True)
    }
    clinic_of = np.array([p.clinic for p in PHYSICIANS])
    volume = np.array([p.volume for p in PHYSICIANS])
    share = clinics["share"][clinic_of] * volume / np.bincount(clinic_of, weights=volume)[clinic_of]
    c["physician"] = _pick(rng, share, None, n)
    clinic = c["clinic"] = clinic_of[c["physician"]]

    # Cause by clinic: the referral centre sees twice the arachnoiditis.
    cause_table = np.tile(_by_code(CAUSE_SHARES, causes), (len(CLINICS), 1))
    cause_table[REFERRAL_CENTRE, causes.index("arachnoiditis")] *= 2
    cause = c["cause"] = _pick(rng, cause_table, clinic, n)
    c["sex"] = _pick(rng, _by_code(SEX_SHARES, vocab.SEXES), None, n)
    age_shift = clinics["age_shift"][clinic] + _by_code(AGE_SHIFT_BY_CAUSE, causes)[cause]
    age = 57 + age_shift + rng.normal(0, 13, n)
    c["age"] = np.clip(np.rint(age), 18, 95).astype(np.int64)
    c["bmi"] = np.clip(np.round(rng.lognormal(np.log(28.5), 0.17, n), 1), 15, 60)
    c["smoker"] = rng.random(n) < np.clip(0.34 - 0.003 * (c["age"] - 40), 0.08, 0.4)
    c["diabetes"] = rng.random(n) < np.clip(
        0.02 + 0.002 * c["age"] + 0.01 * (c["bmi"] - 28), 0.02, 0.5
    )
    after_fusion = cause == causes.index("adjacent_segment_disease")  # often a second fusion
    c["prior_surgeries"] = np.minimum(1 + rng.poisson(np.where(after_fusion, 0.8, 0.4)), 20)

    # Index surgery and its levels (contiguous, counted up from the lowest level).
    c["index_surgery"] = _pick(
        rng,
        np.array([_by_code(INDEX_SURGERY_BY_CAUSE[k], vocab.INDEX_SURGERIES) for k in causes]),
        cause,
        n,
    )
    n_levels_table = np.array([N_LEVELS_BY_INDEX_SURGERY[k] for k in vocab.INDEX_SURGERIES])
    n_levels = 1 + _pick(rng, n_levels_table, c["index_surgery"], n)
    c["lowest_level"] = _pick(rng, _by_code(LOWEST_LEVEL, vocab.LEVELS), None, n)
    c["n_levels"] = np.minimum(n_levels, c["lowest_level"] + 1)  # no level above T12-L1

    # Dates as days since 1970. More recent years hold more cases (a growing registry).
    span = YEARS_OF_CASES * 365
    u = rng.random(n)
    ago = np.where(rng.random(n) < 0.5, span * u, span * (1 - np.sqrt(u)))
    c["treatment_date"] = as_of - np.floor(ago).astype(np.int64)
    wait = np.minimum(np.rint(rng.lognormal(np.log(45), 0.7, n)), 365).astype(np.int64)
    c["presentation_date"] = c["treatment_date"] - wait
    median, sigma = (np.array([YEARS_TO_PRESENTATION[k][i] for k in causes]) for i in (0, 1))
    years = np.minimum(rng.lognormal(np.log(median[cause]), sigma[cause]), 30)
    c["index_surgery_date"] = c["presentation_date"] - np.maximum(
        np.rint(years * 365.25), 42
    ).astype(np.int64)

    # Treatment by cause, tilted by each clinic's surgical preference.
    is_surgery = np.array([vocab.pathway_of(t) == "repeat_surgery" for t in treatments])
    by_cause = np.array([_by_code(TREATMENT_BY_CAUSE[k], treatments) for k in causes])
    tilt = np.where(is_surgery[None, :], clinics["surgery_preference"][:, None], 1.0)
    table = (by_cause[None, :, :] * tilt[:, None, :]).reshape(-1, len(treatments))
    treatment = c["treatment"] = _pick(rng, table, clinic * len(causes) + cause, n)
    c["is_surgery"] = is_surgery[treatment]

    # Hidden baseline severity (in SD units) drives every baseline measure together.
    shift = clinics["severity_shift"][clinic] + _by_code(SEVERITY_BY_CAUSE, causes)[cause]
    c["severity"] = shift + 0.15 * c["smoker"] + rng.normal(0, 1, n)

    # Hidden relief at full effect: cause x treatment, then case mix, physician and chance.
    relief = np.array(
        [
            [RELIEF_BY_CAUSE.get(k, {}).get(t, RELIEF_BY_TREATMENT[t]) for t in treatments]
            for k in causes
        ]
    )
    for k, penalty in SURGERY_PENALTY_BY_CAUSE.items():
        unnamed = [j for j, t in enumerate(treatments) if t not in RELIEF_BY_CAUSE[k]]
        relief[causes.index(k), unnamed] -= penalty * is_surgery[unnamed]
    physician_effect = rng.normal(0, 0.04, len(PHYSICIANS))
    c["relief"] = np.clip(
        relief[cause, treatment]
        - 0.004 * (c["age"] - 55)
        - 0.08 * c["smoker"]
        - 0.04 * c["diabetes"]
        - 0.006 * np.maximum(c["bmi"] - 28, 0)
        - 0.04 * (c["prior_surgeries"] - 1)
        - 0.05 * c["severity"]
        + physician_effect[c["physician"]]
        + rng.normal(0, 0.22, n),
        -0.6,
        0.95,
    )
    # Optional fields left blank now and then (after the hidden values used them).
    for name, p in (("bmi", 0.08), ("smoker", 0.05), ("diabetes", 0.06), ("prior_surgeries", 0.07)):
        c[f"{name}_missing"] = rng.random(n) < p
    c["levels_missing"] = rng.random(n) < 0.12
    # Pseudonyms: distinct random numbers, unrelated to the case number.
    width = max(6, len(str(n)))
    c["case_id"] = _ids("C", np.arange(1, n + 1), width)
    c["patient_id"] = _ids(
        "P", 1 + rng.choice(10 ** (len(str(n)) + 1) - 1, n, replace=False), width + 1
    )
    return c


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _with_na(values: np.ndarray, missing: np.ndarray, kind: str) -> Any:
    """A pandas nullable array (Int64, Float64 or boolean) blank where `missing`."""
    import numpy as np
    import pandas as pd

    if kind == "Int64":
        return pd.arrays.IntegerArray(values.astype(np.int64), missing.copy())
    if kind == "Float64":
        return pd.arrays.FloatingArray(values.astype(np.float64), missing.copy())
    return pd.arrays.BooleanArray(values.astype(bool), missing.copy())


def _cases_frame(c: dict[str, np.ndarray]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    levels = vocab.LEVELS
    span = np.empty((len(levels), 3), dtype=object)  # lowest level x number of levels
    for low in range(len(levels)):
        for k in range(1, 4):
            span[low, k - 1] = ";".join(levels[max(0, low - k + 1) : low + 1])
    index_levels = span[c["lowest_level"], c["n_levels"] - 1]
    index_levels[c["levels_missing"]] = None
    names = {  # code lists in vocabulary order, indexed by the drawn category numbers
        "clinic": [row[0] for row in CLINICS], "physician": [row[0] for row in PHYSICIANS],
        "sex": vocab.SEXES, "index_surgery": vocab.INDEX_SURGERIES, "cause": vocab.CAUSES,
        "treatment": vocab.TREATMENTS,
    }  # fmt: skip
    label = {col: np.array(list(codes), dtype=object)[c[col]] for col, codes in names.items()}
    frame = pd.DataFrame(
        {
            "case_id": c["case_id"],
            "patient_id": c["patient_id"],
            "clinic": label["clinic"],
            "physician": label["physician"],
            "sex": label["sex"],
            "age": pd.array(c["age"], dtype="Int64"),
            "bmi": _with_na(c["bmi"], c["bmi_missing"], "Float64"),
            "smoker": _with_na(c["smoker"], c["smoker_missing"], "boolean"),
            "diabetes": _with_na(c["diabetes"], c["diabetes_missing"], "boolean"),
            "prior_surgeries": _with_na(
                c["prior_surgeries"], c["prior_surgeries_missing"], "Int64"
            ),
            "index_surgery": label["index_surgery"],
            "index_levels": index_levels,
            "index_surgery_date": _dates(c["index_surgery_date"]),
            "presentation_date": _dates(c["presentation_date"]),
            "cause": label["cause"],
            "treatment": label["treatment"],
            "treatment_date": _dates(c["treatment_date"]),
        }
    )
    return frame


def _assessments_frame(
    rng: np.random.Generator, c: dict[str, np.ndarray], as_of: int
) -> pd.DataFrame:
    from statistics import NormalDist

    import numpy as np
    import pandas as pd

    n, codes = len(c["cause"]), list(vocab.TIMEPOINTS)
    treat = c["treatment_date"]

    # Which questionnaires exist: due (nominal day reached by as_of), answered (a per-case
    # willingness shared across timepoints, so dropout clusters), and returned by as_of.
    nominal = np.array([vocab.TIMEPOINTS[t].days for t in codes])
    threshold = np.array([NormalDist().inv_cdf(RESPONSE_RATE[t]) for t in codes])
    willing = 0.6 * rng.normal(0, 1, (n, 1)) + 0.8 * rng.normal(0, 1, (n, len(codes)))
    late, sd = np.array([DATE_JITTER.get(t, (0, 0)) for t in codes]).T
    jitter = np.rint(late + sd * np.clip(rng.normal(0, 1, (n, len(codes))), -3, 3))
    date = np.maximum(treat[:, None] + nominal + jitter, treat[:, None] + 1).astype(np.int64)
    lead = np.minimum(rng.integers(0, 22, n), treat - c["presentation_date"])  # before treatment
    date[:, 0] = treat - lead
    present = (treat[:, None] + nominal <= as_of) & (willing < threshold) & (date <= as_of)
    case, tp = np.nonzero(present)  # row-major: sorted by case, then timepoint
    m, follow_up = len(case), tp > 0

    # Baselines: one hidden severity moves all measures; back- or leg-dominant causes tilt.
    sev = c["severity"]
    back_tilt = _by_code(BACK_PAIN_TILT, vocab.CAUSES)[c["cause"]]
    leg_tilt = _by_code(LEG_PAIN_TILT, vocab.CAUSES)[c["cause"]]
    odi_0 = 42 + 15 * sev + rng.normal(0, 8, n)
    back_0 = 6.2 + 1.2 * sev + back_tilt + rng.normal(0, 1.3, n)
    leg_0 = 5.8 + 1.2 * sev + leg_tilt + rng.normal(0, 1.6, n)
    eq5d_0 = 0.36 - 0.16 * sev + rng.normal(0, 0.11, n)
    on_opioids_0 = rng.random(n) < np.clip(0.47 + 0.08 * sev, 0.1, 0.9)
    mme_0 = np.where(on_opioids_0, np.clip(rng.lognormal(np.log(35), 0.75, n), 2.5, 600), 0.0)
    working_age = c["age"] < 67
    working_0 = working_age & (rng.random(n) < 0.42 - 0.08 * sev)

    # Relief at this row's timepoint: the case's relief along its pathway's curve, plus noise.
    curve = np.zeros((2, len(codes)))
    curve[0, 1:], curve[1, 1:] = RELIEF_CURVE["less_invasive"], RELIEF_CURVE["repeat_surgery"]
    r = (
        c["relief"][case] * curve[c["is_surgery"][case].astype(int), tp]
        + rng.normal(0, 0.07, m) * follow_up
    )

    def noisy(sd: float) -> np.ndarray:
        return rng.normal(0, sd, m) * follow_up  # baselines are the baselines, no extra noise

    odi_latent = np.clip(odi_0[case] * (1 - r) + noisy(4.5), 0, 100)
    odi = np.round(odi_latent, 1)
    back = np.clip(np.rint(back_0[case] * (1 - 0.9 * r) + noisy(1.0)), 0, 10)
    leg = np.clip(np.rint(leg_0[case] * (1 - r) + noisy(1.1)), 0, 10)
    eq5d = np.clip(eq5d_0[case] + (0.9 - eq5d_0[case]) * 0.75 * r + noisy(0.06), -0.594, 1.0)
    eq5d = np.round(eq5d, 3) + 0.0  # + 0.0 turns -0.0 into 0.0, never written "-0"

    # Opioids: users taper as relief comes (some stop), a few non-users start.
    user = on_opioids_0[case]
    keeps = rng.random(m) < np.clip(0.92 - 0.45 * r, 0.3, 0.98)
    starts = rng.random(m) < 0.04 + 0.1 * np.maximum(-r, 0)
    taper = mme_0[case] * np.clip(1 - 0.5 * r, 0.3, 1.5) * rng.lognormal(0, 0.2, m)
    new_dose = rng.lognormal(np.log(20), 0.5, m)
    mme = np.where(follow_up, np.where(user, keeps * taper, starts * new_dose), mme_0[case])
    mme = np.round(np.clip(mme, 0, 1000), 1)

    p_work = np.where(working_0[case], 0.85 + 0.1 * r, 0.05 + 0.35 * np.maximum(r, 0))
    working = np.where(follow_up & working_age[case], rng.random(m) < p_work, working_0[case])
    gain = (odi_0[case] - odi_latent) / np.maximum(odi_0[case], 10) + rng.normal(0, 0.15, m)
    answers = ("satisfied", "uncertain", "dissatisfied")
    satisfied, uncertain, dissatisfied = (vocab.SATISFACTION.index(k) for k in answers)
    satisfaction = np.where(gain > 0.3, satisfied, np.where(gain < 0.05, dissatisfied, uncertain))

    missing = {name: rng.random(m) < p for name, p in ITEM_MISSING.items()}
    missing["satisfaction"] |= ~follow_up
    core = ("back_pain", "leg_pain", "odi", "eq5d")
    missing["odi"] &= ~np.logical_and.reduce([missing[k] for k in core])  # keep one measure
    satisfaction_codes = np.array([*vocab.SATISFACTION, None], dtype=object)
    return pd.DataFrame(
        {
            "case_id": c["case_id"][case],
            "timepoint": np.array(codes, dtype=object)[tp],
            "assessment_date": _dates(date[case, tp]),
            "back_pain": _with_na(back, missing["back_pain"], "Int64"),
            "leg_pain": _with_na(leg, missing["leg_pain"], "Int64"),
            "odi": _with_na(odi, missing["odi"], "Float64"),
            "eq5d": _with_na(eq5d, missing["eq5d"], "Float64"),
            "opioid_mme": _with_na(mme, missing["opioid_mme"], "Float64"),
            "working": _with_na(working, missing["working"], "boolean"),
            "satisfaction": satisfaction_codes[np.where(missing["satisfaction"], 3, satisfaction)],
        }
    )


def _events_frame(rng: np.random.Generator, c: dict[str, np.ndarray], as_of: int) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    n, treatments = len(c["cause"]), list(vocab.TREATMENTS)
    treat, surgery, treatment = c["treatment_date"], c["is_surgery"], c["treatment"]
    # Poor responders go back to the surgeon: hazards scale with how little relief came.
    poor = np.exp(-3 * (c["relief"] - 0.25))

    def given(*codes: str) -> np.ndarray:
        return np.isin(treatment, [treatments.index(t) for t in codes])

    def after(hazard_per_year: np.ndarray, floor_days: int) -> np.ndarray:
        """Days from treatment to an exponential event time; inf where the hazard is 0."""
        with np.errstate(divide="ignore"):
            years = rng.exponential(1.0, n) / hazard_per_year
        return np.where(hazard_per_year > 0, floor_days + np.floor(years * 365.25), np.inf)

    def detail(options: tuple[str, ...]) -> np.ndarray:
        return np.array(options, dtype=object)[rng.integers(0, len(options), n)]

    # Repeat surgery: reoperation (more after an extended fusion, pseudarthrosis, smoking).
    reop_hazard = (
        0.022 * poor**0.7 * np.where(given("adjacent_level_fusion"), 1.5, 1.0)
        * np.where(c["cause"] == list(vocab.CAUSES).index("pseudarthrosis"), 1.3, 1.0)
        * np.where(c["smoker"], 1.3, 1.0)
    )  # fmt: skip
    reop_days = after(np.where(surgery, reop_hazard, 0), 30)
    # Less invasive care that fails leads to surgery: a crossover and a reoperation that day.
    convert_days = after(np.where(surgery, 0, 0.018 * poor), 60)
    # Surgery that fails may cross over to cord stimulation, injections or medication.
    leave_days = after(np.where(surgery, 0.03 * poor, 0), 60)

    base_risk = {t: 0.09 if vocab.pathway_of(t) == "repeat_surgery" else 0.012 for t in treatments}
    base_risk.update({"percutaneous_adhesiolysis": 0.03, "platelet_lysate_hydrodissection": 0.03,
                      "spinal_cord_stimulation": 0.03, "medication_management": 0.005,
                      "physical_therapy": 0.002})  # fmt: skip
    risk = (
        np.array([base_risk[t] for t in treatments])[treatment]
        * np.where(c["smoker"], 1.3, 1.0) * np.where(c["diabetes"], 1.4, 1.0)
        * np.where(c["age"] > 70, 1.3, 1.0)
    )  # fmt: skip
    complication = rng.random(n) < risk
    complication_days = np.minimum(np.floor(rng.exponential(8, n)), 90)
    readmitted = rng.random(n) < np.where(complication, 0.35, np.where(surgery, 0.03, 0.004))
    readmission_days = np.where(
        complication, complication_days + rng.integers(0, 6, n), 2 + rng.integers(0, 60, n)
    )
    hardware = given(*HARDWARE_TREATMENTS)
    device_days = after(
        np.where(given("spinal_cord_stimulation"), 0.05, np.where(hardware, 0.012, 0)), 30
    )

    def either(first: str, second: str) -> np.ndarray:  # surgical detail, else the other
        return np.where(surgery, detail(EVENT_DETAILS[first]), detail(EVENT_DETAILS[second]))

    never = np.inf
    rows = (  # (event, days after treatment or inf for none, detail)
        ("reoperation", np.where(surgery, reop_days, convert_days),
         detail(EVENT_DETAILS["reoperation"])),
        ("crossover", np.where(surgery, leave_days, convert_days),
         either("crossover_from_surgery", "crossover_to_surgery")),
        ("complication", np.where(complication, complication_days, never),
         either("complication_surgery", "complication_less_invasive")),
        ("readmission", np.where(readmitted, readmission_days, never),
         np.where(complication, "Related to complication", detail(EVENT_DETAILS["readmission"]))),
        ("device_revision", device_days,
         np.where(hardware, detail(EVENT_DETAILS["device_revision_hardware"]),
                  detail(EVENT_DETAILS["device_revision_scs"]))),
    )  # fmt: skip
    event_codes = list(vocab.EVENTS)
    case_idx, day, kind, text = [], [], [], []
    for event, days, details in rows:  # five event types, each at most once per case
        happened = treat + days <= as_of
        case_idx.append(np.flatnonzero(happened))
        day.append((treat + np.where(happened, days, 0).astype(np.int64))[happened])
        kind.append(np.full(happened.sum(), event_codes.index(event)))
        text.append(np.asarray(details, dtype=object)[happened])
    case_i, days_i, kind_i, text_i = (np.concatenate(x) for x in (case_idx, day, kind, text))
    order = np.lexsort((kind_i, days_i, case_i))
    return pd.DataFrame(
        {
            "case_id": c["case_id"][case_i[order]],
            "event_date": _dates(days_i[order]),
            "event": np.array(event_codes, dtype=object)[kind_i[order]],
            "detail": text_i[order],
        }
    )


# --- Writing ------------------------------------------------------------------------------


def write(out_dir: Path, n_cases: int, seed: int, as_of: dt.date) -> dict[str, Path]:
    """Write cases.csv, assessments.csv and events.csv into `out_dir`; returns their paths."""
    return {name: path for name, (path, _) in _write(Path(out_dir), n_cases, seed, as_of).items()}


def _write(out_dir: Path, n_cases: int, seed: int, as_of: dt.date) -> dict[str, tuple[Path, int]]:
    frames = generate(n_cases, seed, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, frame in frames.items():
        path = out_dir / f"{name}.csv"
        _write_csv(frame, path)
        written[name] = (path, len(frame))
    return written


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Plain CSV: no quoting (the generator never emits , " or newlines), ISO dates, LF.

    pyarrow's writer is much faster than pandas' and prints floats in their shortest
    round-trip form, so values rounded to 1 or 3 decimals come out as typed (43.2, 0.345).
    Written to a hidden temporary file and renamed, so a crash never leaves half a file.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.date32())
        elif (
            pa.types.is_string(column.type)
            and pc.any(pc.match_substring_regex(column, '[,"\r\n]')).as_py()
        ):
            raise ValueError(f"{name}: a value would need CSV quoting")
        columns.append(column)
    table = pa.table(columns, names=table.column_names)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write((",".join(table.column_names) + "\n").encode("utf-8"))
            pacsv.write_csv(
                table, out, pacsv.WriteOptions(include_header=False, quoting_style="none")
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- Command line -------------------------------------------------------------------------


class _Usage(Exception):
    """A bad argument; the message is printed on one line."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `fbss sample`."""
    parser = subparsers.add_parser(
        "sample",
        help="write synthetic sample data (no real patients)",
        description="Write cases.csv, assessments.csv and events.csv of made-up FBSS cases. "
        "The same --cases, --seed and --as-of always give byte-identical files.",
    )
    # Plain strings, checked in run(), so a bad value gets one clear line, not argparse's usage.
    parser.add_argument(
        "--cases", default="1000", metavar="N", help="number of cases (default 1000)"
    )
    parser.add_argument("--seed", default="42", metavar="S", help="random seed (default 42)")
    parser.add_argument("--out", metavar="DIR", help="folder to write into (required)")
    parser.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="the day the data are drawn up to (default today)"
    )
    parser.set_defaults(func=run)
    return parser


def _whole_number(text: str, option: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _Usage(f"{option} must be a whole number, not {text!r}") from None
    if value < minimum:
        raise _Usage(f"{option} must be at least {minimum}, not {value}")
    return value


def _date(text: str) -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _Usage(f"--as-of must be a date written YYYY-MM-DD, not {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """`fbss sample`: write the files and print one summary line; 2 on a bad argument."""
    try:
        n_cases = _whole_number(args.cases, "--cases", 1)
        seed = _whole_number(args.seed, "--seed", 0)
        as_of = _date(args.as_of) if args.as_of is not None else dt.date.today()
        if not args.out:
            raise _Usage("--out DIR is required")
        if Path(args.out).exists() and not Path(args.out).is_dir():
            raise _Usage(f"--out must be a folder, and {args.out} is a file")
        _check(n_cases, as_of)
    except (_Usage, ValueError) as exc:
        print(f"fbss sample: {exc}", file=sys.stderr)
        return 2
    try:
        written = _write(Path(args.out), n_cases, seed, as_of)
    except OSError as exc:
        print(f"fbss sample: cannot write to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"fbss sample: not enough memory for {n_cases:,} cases", file=sys.stderr)
        return 1
    files = ", ".join(f"{p.name} {rows:,} rows" for p, rows in written.values())
    print(f"wrote {files} to {args.out} (seed {seed}, as of {as_of.isoformat()})")
    return 0

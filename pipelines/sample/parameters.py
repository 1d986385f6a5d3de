"""The sample's clinical parameters: who comes to which clinic, why, what they are given,
and how they fare. Every number a reader may want to question sits here, with its reason;
data/sample/README.md describes the same model in words.
"""

from __future__ import annotations

from typing import NamedTuple

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

# --- Risk factors for case-mix adjustment (issue 9) -----------------------------------------
# Shares among FBSS patients, after the spine-registry and FBSS literature: depression or
# anxiety is common in chronic back pain (about a third), compensation claims and
# litigation less so; most patients are ASA 2, fewer 3, few 1 or 4.
DEPRESSION_RATE = 0.30  # at average severity; sicker patients more often
WORKERS_COMPENSATION_RATE = 0.14  # of working-age patients (under 67)
LITIGATION_RATE = 0.06  # more often with a compensation claim (x3)
ASA_GRADE_SHARES = (0.14, 0.52, 0.31, 0.03)  # grades 1-4 at age 57, BMI 28.5, no diabetes
# Share of each risk factor left blank (the issue asks for realistic gaps of 5-15%).
RISK_MISSING = {"asa_grade": 0.10, "symptom_months": 0.08, "workers_compensation": 0.06,
                "litigation": 0.12, "depression": 0.14}  # fmt: skip

# Who gets repeat surgery besides the cause table and clinic leaning: log odds added per
# unit (McGirt 2017 and domain.md: the more disabled, the more often operated, the more
# mechanical the cause). Severity is the hidden baseline severity in SD.
SURGERY_LOG_ODDS = {"severity": 0.9, "prior_surgeries": 0.5, "pseudarthrosis": 0.6}

# How much each risk factor lowers the relief (share of baseline disability gone): the
# strong predictors of a poor result after spine surgery (domain.md, "Comparing fairly").
RELIEF_BY_RISK = {"smoker": -0.08, "depression": -0.09, "workers_compensation": -0.10,
                  "litigation": -0.07, "asa_per_grade": -0.02, "severity": -0.12,
                  "symptom_per_year": -0.01}  # fmt: skip

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

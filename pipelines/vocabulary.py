"""The one reference vocabulary: causes, treatments and their pathway, timepoints, measures.

Everything else (pandera models, the DuckDB reference tables, the sample generator,
the analytics and the dashboard labels) reads from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The record tables of the contract, in load order (a case before its assessments and
# events). The pandera models (schemas.MODELS), the readers and the store key on these.
RECORD_TABLES: tuple[str, ...] = ("cases", "assessments", "events")


def load_day() -> dt.date:
    """The day of the load (local date): no record date may lie after it (schemas.py, and
    the fast path's SQL, which has no pandas to import it from)."""
    return dt.date.today()


SEXES: tuple[str, ...] = ("female", "male", "other", "unknown")

INDEX_SURGERIES: dict[str, str] = {
    "discectomy": "Discectomy",
    "laminectomy": "Laminectomy",
    "fusion": "Fusion",
    "decompression_fusion": "Decompression and fusion",
    "other": "Other",
}

CAUSES: dict[str, str] = {
    "adjacent_segment_disease": "Adjacent segment disease (wear above or below a fusion)",
    "iatrogenic_instability": "Iatrogenic instability (level destabilised by the operation)",
    "epidural_fibrosis": "Epidural fibrosis (scarring around nerve roots)",
    "key_structure_damage": "Key structure damage (muscle, nerve or fascia injured in surgery)",
    "decompression_failure": "Decompression failure (nerve not relieved)",
    "pseudarthrosis": "Pseudarthrosis (fusion that never became solid)",
    "arachnoiditis": "Arachnoiditis (inflamed, scarred arachnoid membrane)",
    "unknown": "Unknown cause",
}

PATHWAYS: dict[str, str] = {
    "repeat_surgery": "Repeat surgery",
    "less_invasive": "Less invasive options",
}

# treatment -> (pathway, label)
TREATMENTS: dict[str, tuple[str, str]] = {
    "revision_decompression": ("repeat_surgery", "Revision decompression"),
    "revision_fusion": ("repeat_surgery", "Revision fusion"),
    "adjacent_level_fusion": ("repeat_surgery", "Adjacent-level fusion (extended fusion)"),
    "scar_tissue_removal": ("repeat_surgery", "Scar tissue removal"),
    "hardware_revision": ("repeat_surgery", "Hardware revision"),
    "platelet_rich_plasma": ("less_invasive", "Platelet-rich plasma injection"),
    "platelet_lysate_hydrodissection": ("less_invasive", "Platelet lysate hydrodissection"),
    "orthobiologic_injection": ("less_invasive", "Orthobiologic injection"),
    "ligament_injection": ("less_invasive", "Ligament injection"),
    "epidural_steroid_injection": ("less_invasive", "Epidural steroid injection"),
    "percutaneous_adhesiolysis": ("less_invasive", "Percutaneous adhesiolysis"),
    "radiofrequency_ablation": ("less_invasive", "Radiofrequency ablation"),
    "spinal_cord_stimulation": ("less_invasive", "Spinal cord stimulation"),
    "medication_management": ("less_invasive", "Medication management"),
    "physical_therapy": ("less_invasive", "Physical therapy"),
}


def pathway_of(treatment: str) -> str:
    """The pathway a treatment belongs to (derived, never supplied by a clinic)."""
    return TREATMENTS[treatment][0]


@dataclass(frozen=True)
class Timepoint:
    code: str
    label: str
    days: int  # nominal days after treatment_date; baseline is 0 (on or before treatment)
    order: int


TIMEPOINTS: dict[str, Timepoint] = {
    tp.code: tp
    for tp in (
        Timepoint("baseline", "Baseline", 0, 0),
        Timepoint("6w", "6 weeks", 42, 1),
        Timepoint("3m", "3 months", 91, 2),
        Timepoint("6m", "6 months", 182, 3),
        Timepoint("12m", "12 months", 365, 4),
        Timepoint("24m", "24 months", 730, 5),
    )
}
FOLLOWUP_TIMEPOINTS: tuple[str, ...] = tuple(t for t in TIMEPOINTS if t != "baseline")


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    unit: str
    low: float
    high: float
    higher_is_better: bool


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("back_pain", "Back pain (NRS 0–10)", "points", 0, 10, False),
        Measure("leg_pain", "Leg pain (NRS 0–10)", "points", 0, 10, False),
        Measure("odi", "Oswestry Disability Index (0–100)", "points", 0, 100, False),
        Measure("eq5d", "EQ-5D index (−0.6 to 1)", "index", -0.6, 1.0, True),
        Measure("opioid_mme", "Opioid use (daily morphine mg equivalents)", "MME", 0, 1000, False),
    )
}

SATISFACTION: tuple[str, ...] = ("satisfied", "uncertain", "dissatisfied")

EVENTS: dict[str, str] = {
    "reoperation": "Reoperation",
    "crossover": "Crossover to the other pathway",
    "complication": "Complication",
    "readmission": "Readmission",
    "device_revision": "Device revision",
}

# Lumbar levels allowed in index_levels, T12-L1 ... L5-S1.
LEVELS: tuple[str, ...] = ("T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")


@dataclass(frozen=True)
class VisitWindow:
    """When a follow-up visit counts for its timepoint, in days after the treatment date."""

    timepoint: str
    nominal: int
    opens: int  # first day of the window (inclusive)
    closes: int  # last day of the window (inclusive): the timepoint is due once it has passed


# The default visit windows (docs/analytics.md gives their reasoning): each opens about
# halfway from the previous timepoint and closes about halfway to the next, so that
# windows touch without overlapping much; the 24-month window stays open to 36 months.
VISIT_WINDOWS: dict[str, VisitWindow] = {
    w.timepoint: w
    for w in (
        VisitWindow("6w", 42, 28, 70),
        VisitWindow("3m", 91, 63, 140),
        VisitWindow("6m", 182, 140, 273),
        VisitWindow("12m", 365, 273, 548),
        VisitWindow("24m", 730, 548, 1095),
    )
}

# How a clinic's events reach the store, which decides how event-free time is censored
# (see docs/analytics.md): "complete" = from the clinic's records whatever the follow-up,
# "at_contact" = only through follow-up contacts.
EVENT_CAPTURE_RULES: dict[str, str] = {
    "complete": "Events come from the clinic's records whatever the follow-up: an event-free "
    "case is followed to the as-of date",
    "at_contact": "Events are known only through follow-up contacts: a case is followed to "
    "its last assessment",
}
DEFAULT_EVENT_CAPTURE = "complete"

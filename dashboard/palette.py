"""One colour-blind-safe palette: each pathway, treatment and cause has one colour everywhere.

Pathways use Paul Tol's "vibrant" blue and orange, distinguishable in every common form
of colour blindness. Treatments take shades of their pathway's family: warm for repeat
surgery, cool and neutral for the less invasive options (Tol's "muted", "vibrant" and
"light" schemes), so a treatment chart still reads as two pathways at a glance. Causes use
the Okabe–Ito set. Colours are fixed per code, never by position, so a filter that
removes one group leaves every other group its colour.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pipelines import vocabulary as vocab

PATHWAY: dict[str, str] = {
    "repeat_surgery": "#EE7733",  # orange
    "less_invasive": "#0077BB",  # blue
}

TREATMENT: dict[str, str] = {
    # repeat surgery: warm family
    "revision_decompression": "#EE7733",
    "revision_fusion": "#CC3311",
    "adjacent_level_fusion": "#882255",
    "scar_tissue_removal": "#EE3377",
    "hardware_revision": "#DDAA33",
    # less invasive: cool and neutral family
    "platelet_rich_plasma": "#0077BB",
    "platelet_lysate_hydrodissection": "#33BBEE",
    "orthobiologic_injection": "#009988",
    "ligament_injection": "#117733",
    "epidural_steroid_injection": "#332288",
    "percutaneous_adhesiolysis": "#88CCEE",
    "radiofrequency_ablation": "#44AA99",
    "spinal_cord_stimulation": "#AA4499",
    "medication_management": "#999933",
    "physical_therapy": "#BBBBBB",
}

CAUSE: dict[str, str] = {
    "adjacent_segment_disease": "#E69F00",
    "iatrogenic_instability": "#56B4E9",
    "epidural_fibrosis": "#009E73",
    "key_structure_damage": "#F0E442",
    "decompression_failure": "#0072B2",
    "pseudarthrosis": "#D55E00",
    "arachnoiditis": "#CC79A7",
    "unknown": "#999999",
}

# Sequential scheme for rates in heat maps (perceptually uniform, colour-blind safe).
RATE_SCHEME: Final = "viridis"
SUPPRESSED_STROKE = "#888888"
TARGET = "#117733"  # the 80% follow-up target line
FLOOR = "#CC3311"  # the 50% "unusable" line
NEUTRAL = "#555555"
OTHER = "#BBBBBB"  # merged small groups ("Other (hidden)")
# Three bands, good to poor (Tol "high contrast"): completeness and follow-up heat maps.
BANDS: tuple[str, str, str] = ("#004488", "#DDAA33", "#BB5566")
# A unit's place on a funnel plot (keys of analytics.display_rules.FUNNEL_POSITION_LABEL):
# blues above the limits, reds below, grey within (Tol "light" and "high contrast").
FUNNEL_POSITION: dict[str, str] = {
    "above_998": "#004488",
    "above_95": "#6699CC",
    "within": "#BBBBBB",
    "below_95": "#EE9988",
    "below_998": "#BB5566",
}

_BY_COLUMN: dict[str, dict[str, str]] = {
    "pathway": PATHWAY,
    "treatment": TREATMENT,
    "cause": CAUSE,
}
_VOCAB_ORDER: dict[str, tuple[str, ...]] = {
    "pathway": tuple(vocab.PATHWAYS),
    "treatment": tuple(vocab.TREATMENTS),
    "cause": tuple(vocab.CAUSES),
}
# Fallback for other group columns (clinic, physician, sex, age band): Tol "muted".
_CYCLE: tuple[str, ...] = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#DDDDDD",
)


def ordered(column: str, codes: Iterable[str]) -> list[str]:
    """The codes present, in vocabulary order (or sorted, for free-text columns)."""
    present = list(dict.fromkeys(str(c) for c in codes))
    order = _VOCAB_ORDER.get(column)
    if order is None:
        return sorted(present)
    rank = {code: i for i, code in enumerate(order)}
    return sorted(present, key=lambda c: rank.get(c, len(rank)))


def scale(column: str, codes: Iterable[str]) -> tuple[list[str], list[str]]:
    """(domain, range) for the codes present: fixed colours where the column has them."""
    domain = ordered(column, codes)
    fixed = _BY_COLUMN.get(column)
    if fixed is not None:
        return domain, [fixed.get(code, NEUTRAL) for code in domain]
    return domain, [_CYCLE[i % len(_CYCLE)] for i in range(len(domain))]

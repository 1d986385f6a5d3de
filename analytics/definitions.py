"""What the figures mean: responder definitions with their sources, groups, bands and marks.

Everything user-supplied (a responder definition, a group column, a timepoint, an event)
is checked here against the vocabulary, so the SQL layer only ever sees whitelisted names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipelines import vocabulary as vocab

# Follow-up completion marks (US Quality Outcomes Database target; CMS "unusable" floor).
FOLLOWUP_TARGET = 0.80
FOLLOWUP_UNUSABLE = 0.50

DEFAULT_MIN_CELL = 5
DEFAULT_TIMEPOINT = "12m"
DEFAULT_RESPONDER = "odi_mic"
CONFIDENCE = 0.95

# Days after treatment at which event-free survival is reported (12 and 24 months).
KM_REPORT_DAYS: dict[str, int] = {"12m": 365, "24m": 730}

# (code, lowest age, highest age) — ages at presentation; the contract allows 18-110.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("18-39", 0, 39),
    ("40-59", 40, 59),
    ("60-74", 60, 74),
    ("75+", 75, 200),
)

# Baseline ODI severity (Fairbank): (code, highest ODI in the band). Decimal scores such
# as 20.5 fall in the next band up.
SEVERITY_BANDS: tuple[tuple[str, float], ...] = (
    ("minimal", 20),
    ("moderate", 40),
    ("severe", 60),
    ("crippling", 80),
    ("bed_bound", 100),
)
SEVERITY_MISSING = "no_baseline_odi"

# Columns a result may be grouped by; every one is a plain column of the cohort query.
GROUP_COLUMNS: tuple[str, ...] = (
    "cause",
    "pathway",
    "treatment",
    "index_surgery",
    "clinic",
    "physician",
    "sex",
    "age_band",
    "treatment_year",
    "baseline_severity",
)
FUNNEL_UNITS: tuple[str, ...] = ("physician", "clinic")

SUMMARY_FIELDS: tuple[str, ...] = (
    "timepoint",
    "measure",
    "n_cases",
    "n_due",
    "n_followup_returned",
    "n_no_baseline",
    "n_assessed",
    "followup_rate",
    "n_excluded",
    "responders",
    "responder_rate",
    "responder_ci_low",
    "responder_ci_high",
    "baseline_mean",
    "followup_mean",
    "mean_change",
    "mean_change_ci_low",
    "mean_change_ci_high",
    "suppressed",
)
# Appended after SUMMARY_FIELDS by the API and by `fbss summary --intervals`.
SUMMARY_EXTRA_FIELDS: tuple[str, ...] = ("followup_ci_low", "followup_ci_high")

EVENTS_FIELDS: tuple[str, ...] = (
    "event",
    "event_capture",
    "n_cases",
    "n_with_event",
    "event_rate",
    "event_ci_low",
    "event_ci_high",
    "km_free_12m",
    "km_free_24m",
    "suppressed",
)
EVENTS_EXTRA_FIELDS: tuple[str, ...] = (
    "km_free_12m_ci_low",
    "km_free_12m_ci_high",
    "km_free_24m_ci_low",
    "km_free_24m_ci_high",
)


class AnalyticsError(ValueError):
    """A request the analytics cannot answer as asked (unknown name, malformed definition)."""


@dataclass(frozen=True)
class Criterion:
    """Improvement of at least `threshold` points (or percent of baseline) in one measure."""

    measure: str
    threshold: float
    is_percent: bool

    @property
    def text(self) -> str:
        """The definition as written on the command line, e.g. `odi:30%`."""
        return f"{self.measure}:{self.threshold:g}{'%' if self.is_percent else ''}"

    @property
    def higher_is_better(self) -> bool:
        return vocab.MEASURES[self.measure].higher_is_better

    @property
    def parts(self) -> tuple[Criterion, ...]:
        """The single criteria a patient must all meet (here just this one)."""
        return (self,)


@dataclass(frozen=True)
class JointCriterion:
    """Several criteria the same patient must all meet (written `A+B`): one rate."""

    parts: tuple[Criterion, ...]

    @property
    def measure(self) -> str:
        """The row's measure name, e.g. `leg_pain+back_pain`."""
        return "+".join(p.measure for p in self.parts)

    @property
    def text(self) -> str:
        """The definition as written on the command line, e.g. `leg_pain:50%+back_pain:50%`."""
        return "+".join(p.text for p in self.parts)


Rule = Criterion | JointCriterion


@dataclass(frozen=True)
class ResponderDefinition:
    """One or more rules (a comma between them); each gives its own row and rate."""

    code: str
    label: str
    criteria: tuple[Rule, ...]
    source: str = ""


PRESETS: dict[str, ResponderDefinition] = {
    p.code: p
    for p in (
        ResponderDefinition(
            "odi_mic",
            "Minimal important change: ODI improved by at least 30%",
            (Criterion("odi", 30, True),),
            "Ostelo RW et al. Interpreting change scores for pain and functional status in "
            "low back pain. Spine 2008;33(1):90-94.",
        ),
        ResponderDefinition(
            "pain_relief_50",
            "Substantial pain relief: leg pain and back pain both reduced by at least 50% "
            "in the same patient (one joint rate)",
            (JointCriterion((Criterion("leg_pain", 50, True), Criterion("back_pain", 50, True))),),
            "Dworkin RH et al. (IMMPACT). Interpreting the clinical importance of treatment "
            "outcomes in chronic pain clinical trials. J Pain 2008;9(2):105-121.",
        ),
        ResponderDefinition(
            "odi_scb",
            "Substantial clinical benefit: ODI improved by at least 18.8 points",
            (Criterion("odi", 18.8, False),),
            "Glassman SD et al. Defining substantial clinical benefit following lumbar spine "
            "arthrodesis. Spine J 2008;8(6):968-974.",
        ),
        ResponderDefinition(
            "eq5d_mic",
            "EQ-5D minimal important change: index improved by at least 0.10",
            (Criterion("eq5d", 0.10, False),),
            "Parai C et al. Swespine (Swedish spine register) analysis of the minimal "
            "important change in EQ-5D after lumbar spine surgery. Eur Spine J 2020.",
        ),
    )
}

_CRITERION = re.compile(r"^(?P<measure>[a-z0-9_]+):(?P<number>\d+(?:\.\d+)?)(?P<percent>%?)$")


def parse_responder(text: str | ResponderDefinition | None) -> ResponderDefinition:
    """A preset name or `MEASURE:N[%]` rules separated by commas, checked.

    A comma means separate rows; a `+` joins criteria one patient must all meet
    (`leg_pain:50%+back_pain:50%` is one row with measure `leg_pain+back_pain`).
    """
    if isinstance(text, ResponderDefinition):
        return text
    if text is None or not str(text).strip():
        return PRESETS[DEFAULT_RESPONDER]
    raw = str(text).strip().lower()
    if raw in PRESETS:
        return PRESETS[raw]
    rules = tuple(_parse_rule(item.strip(), text) for item in raw.split(","))
    if len({r.measure for r in rules}) != len(rules):
        raise AnalyticsError(f"responder definition {text!r} names a measure twice")
    return ResponderDefinition(raw, "Custom: " + ", ".join(r.text for r in rules), rules)


def _parse_rule(item: str, text: object) -> Rule:
    parts = tuple(_parse_criterion(part.strip()) for part in item.split("+"))
    if len(parts) == 1:
        return parts[0]
    if len({p.measure for p in parts}) != len(parts):
        raise AnalyticsError(f"responder definition {text!r} joins a measure with itself")
    return JointCriterion(parts)


def _parse_criterion(part: str) -> Criterion:
    match = _CRITERION.match(part.replace(" ", ""))
    if match is None:
        presets = ", ".join(PRESETS)
        raise AnalyticsError(
            f"responder definition {part!r} is not MEASURE:N or MEASURE:N% "
            f"(e.g. odi:30%, odi:18.8) nor a preset ({presets})"
        )
    measure = check_measure(match["measure"])
    threshold = float(match["number"])
    is_percent = match["percent"] == "%"
    info = vocab.MEASURES[measure]
    if threshold <= 0:
        raise AnalyticsError(f"responder threshold in {part!r} must be above 0")
    if is_percent and info.higher_is_better:
        raise AnalyticsError(
            f"{measure} improves upwards, so a percent-of-baseline threshold is not "
            f"defined for it; use points, e.g. {measure}:0.1"
        )
    if is_percent and threshold > 100:
        raise AnalyticsError(f"responder threshold in {part!r} cannot exceed 100%")
    if not is_percent and threshold > info.high - info.low:
        raise AnalyticsError(
            f"responder threshold in {part!r} is larger than the whole {measure} scale "
            f"({info.low:g} to {info.high:g})"
        )
    return Criterion(measure, threshold, is_percent)


def check_measure(name: str) -> str:
    """A measure code from the vocabulary."""
    if name not in vocab.MEASURES:
        raise AnalyticsError(f"unknown measure {name!r}; choose from {', '.join(vocab.MEASURES)}")
    return name


def check_timepoint(name: str) -> str:
    """A follow-up timepoint code (not baseline)."""
    if name not in vocab.FOLLOWUP_TIMEPOINTS:
        raise AnalyticsError(
            f"unknown follow-up timepoint {name!r}; choose from "
            f"{', '.join(vocab.FOLLOWUP_TIMEPOINTS)}"
        )
    return name


def check_events(names: Iterable[str] | None) -> tuple[str, ...]:
    """Event codes from the vocabulary, in vocabulary order; none given means all."""
    chosen = tuple(dict.fromkeys(names or ()))
    unknown = [n for n in chosen if n not in vocab.EVENTS]
    if unknown:
        raise AnalyticsError(f"unknown event {unknown[0]!r}; choose from {', '.join(vocab.EVENTS)}")
    return tuple(e for e in vocab.EVENTS if not chosen or e in chosen)


def check_group_columns(names: Sequence[str] | str | None) -> tuple[str, ...]:
    """Group columns taken from the whitelist (the user's order kept, duplicates dropped)."""
    if names is None:
        return ()
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    out: list[str] = []
    for name in names:
        if name not in GROUP_COLUMNS:
            raise AnalyticsError(
                f"cannot group by {name!r}; choose from {', '.join(GROUP_COLUMNS)}"
            )
        # The identifier handed on is the whitelist's own string, never the user's.
        known = GROUP_COLUMNS[GROUP_COLUMNS.index(name)]
        if known not in out:
            out.append(known)
    return tuple(out)


def check_min_cell(value: int) -> int:
    """A minimum cell size: 0 (off) or more."""
    if int(value) != value or value < 0:
        raise AnalyticsError(f"--min-cell must be a whole number, 0 or more (got {value})")
    return int(value)

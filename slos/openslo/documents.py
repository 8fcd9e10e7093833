"""Shared vocabulary of the OpenSLO import and export: durations, problems, annotation keys."""

import re
from dataclasses import dataclass
from datetime import timedelta

API_VERSION = "openslo/v1"
# OpenSLO has no field for these; they travel as metadata annotations so export/import round-trips.
ANNOTATION_SLI_KIND = "opsportal.io/sli-kind"
ANNOTATION_THRESHOLD_MS = "opsportal.io/threshold-ms"
ANNOTATION_EVALUATION_INTERVAL = "opsportal.io/evaluation-interval"
ANNOTATION_ALERTING = "opsportal.io/burn-rate-alerting"
# Push-sourced SLOs have no query; their ratioMetric names the counts the push API receives.
PUSH_SOURCE_TYPE = "OpsPortalPush"
PROMETHEUS_SOURCE_TYPE = "Prometheus"

# OpenSLO duration shorthand: m minutes, h hours, d days, w weeks, M months, Q quarters, Y years.
DURATION = re.compile(r"^([1-9][0-9]*)([mhdwMQY])$")
FIXED_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
UNIT_NAMES = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks", "M": "months", "Q": "quarters", "Y": "years"}


@dataclass(frozen=True)
class Problem:
    index: int
    name: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"document {self.index} ({self.name or 'unnamed'}): {self.path}: {self.reason}"


class OpenSLOError(Exception):
    """The input is not importable; nothing was written. `problems` lists each one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def parse_duration(value) -> tuple[int, str]:
    """`28d` -> (28, "d"); raises ValueError with the reason (note: `m` is minutes, `M` months)."""
    if not isinstance(value, str) or not DURATION.match(value):
        raise ValueError(
            f"{value!r} is not an OpenSLO duration: a positive whole number and one unit of m (minutes), "
            "h (hours), d (days), w (weeks), M (months), Q (quarters), Y (years), e.g. 28d or 1M"
        )
    match = DURATION.match(value)
    return int(match.group(1)), match.group(2)


def fixed_duration(value) -> timedelta:
    """A duration of fixed length (m, h, d, w); months, quarters and years are calendar lengths."""
    count, unit = parse_duration(value)
    if unit not in FIXED_UNITS:
        raise ValueError(f"{value!r} is {count} {UNIT_NAMES[unit]}, a calendar length; use m, h, d or w here")
    return count * FIXED_UNITS[unit]


def annotation_duration(value) -> timedelta:
    """Our own annotations also take seconds (`90s`), which OpenSLO's shorthand cannot write."""
    if isinstance(value, str) and re.fullmatch(r"[1-9][0-9]*s", value):
        return timedelta(seconds=int(value[:-1]))
    return fixed_duration(value)


def format_duration(duration: timedelta) -> str:
    """The shortest OpenSLO form: 28d, 4w is written 28d; 90s cannot be written (ValueError)."""
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds > 0 and seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise ValueError(f"{duration} is not a whole number of minutes")

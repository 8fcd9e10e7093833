"""Severity and score from CVSS vectors (the `cvss` library), or from a tool's own label when no vector."""

from decimal import Decimal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from dependencies.models import SEVERITY_RANK, Severity

# Tools' words for the same levels (npm says "moderate"; "info" is below low).
LABELS = {
    "critical": Severity.CRITICAL, "high": Severity.HIGH, "important": Severity.HIGH,
    "medium": Severity.MEDIUM, "moderate": Severity.MEDIUM, "low": Severity.LOW, "info": Severity.LOW,
    "none": Severity.LOW, "negligible": Severity.LOW,
}


def from_label(label) -> str:
    return LABELS.get(str(label or "").strip().lower(), Severity.UNKNOWN)


def from_score(score) -> str:
    """CVSS v3/v4 qualitative rating of a base score (0.1-3.9 low ... 9.0-10 critical)."""
    score = float(score)
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW


def score_vector(vector: str) -> tuple[str, Decimal] | None:
    """(severity, base score) of a CVSS v3.x or v4.0 vector; None when the vector is not one."""
    vector = (vector or "").strip()
    try:
        if vector.startswith("CVSS:4.0/"):
            cvss = CVSS4(vector)
            score = Decimal(str(cvss.base_score))
        elif vector.startswith("CVSS:3."):
            score = Decimal(str(CVSS3(vector).scores()[0]))
        else:
            return None
    except (CVSSError, ValueError, KeyError):
        return None
    if score == 0:
        return Severity.LOW, score
    return from_score(score), score


def best_vector(vectors) -> tuple[str, str, Decimal | None]:
    """Of several vectors (v4 preferred over v3, as the newer assessment), the severity, vector and score.
    Without a usable vector: (UNKNOWN, "", None)."""
    scored = []
    for vector in vectors:
        result = score_vector(vector)
        if result:
            scored.append((0 if vector.startswith("CVSS:4.0/") else 1, -result[1], vector, *result))
    if not scored:
        return Severity.UNKNOWN, "", None
    _, _, vector, severity, score = min(scored)
    return severity, vector, score


def worst(*severities) -> str:
    return min(severities, key=lambda s: SEVERITY_RANK.get(s, 9), default=Severity.UNKNOWN)

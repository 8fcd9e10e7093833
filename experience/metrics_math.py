"""The UX formulas, exact (Decimal), with NO_DATA for nothing to measure (docs/experience.md).

- CSAT = responses scoring 4 or 5 / all responses, as a percent.
- NPS = % promoters (9-10) - % detractors (0-6), an integer from -100 to 100, rounded half away from zero.
- CES = the mean score (1-7).
- Apdex_T = (satisfied + tolerating / 2) / total, two decimals.
"""

from decimal import ROUND_HALF_UP, Decimal

NO_DATA = "NO_DATA"
CSAT_GOOD = 4  # CSAT scores 4 and 5 are satisfied
NPS_PROMOTER = 9
NPS_DETRACTOR = 6


def _ratio(numerator, denominator) -> Decimal:
    return Decimal(numerator) / Decimal(denominator)


def csat_percent(good: int, total: int) -> Decimal | None:
    """Share of satisfied (4-5) responses in percent, one decimal; None (NO_DATA) without responses."""
    if not total:
        return None
    return (_ratio(good, total) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def nps_score(promoters: int, detractors: int, total: int) -> int | None:
    """Net promoter score; ROUND_HALF_UP on Decimal rounds half away from zero (-14.5 -> -15)."""
    if not total:
        return None
    return int((_ratio(promoters - detractors, total) * 100).quantize(Decimal("1"), ROUND_HALF_UP))


def ces_mean(score_sum: int, total: int) -> Decimal | None:
    if not total:
        return None
    return _ratio(score_sum, total).quantize(Decimal("0.01"), ROUND_HALF_UP)


def apdex(satisfied: int, tolerating: int, total: int) -> Decimal | None:
    if not total:
        return None
    return _ratio(2 * satisfied + tolerating, 2 * total).quantize(Decimal("0.01"), ROUND_HALF_UP)

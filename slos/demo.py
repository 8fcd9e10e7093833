"""Demo SLOs for the shop: 30 days of measurements with a story the admin can show.

- every service has an availability SLO (99.9%) and a latency SLO (99% under a threshold);
- the last week is quiet; twelve days ago checkout and catalogue had a bad day that burned
  a third of their budget;
- payments has been failing for four hours (a payment provider outage): FAIL, open page alerts
  (four hours, so even at the night-time trough the outage overspends the 30-day budget);
- search latency sits exactly at its objective: the budget is spent to the last request (EXHAUSTED);
- search errors is newly defined and has no data yet (NO_DATA).

Idempotent: SLOs are get-or-create; measurements are appended on a fixed grid from the last
stored interval up to now (hourly, then 5-minute, then 1-minute buckets) when more than 15
minutes are missing, so a re-run the next day brings the story up to date and a re-run right
away changes nothing.
"""

import math
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from opsportal.models import ApprovalDecision, ApprovalKind
from slos.models import SLO, SLIMeasurement
from slos.services import evaluate_all, slo_create
from slos.services.rollups import rollups_rebuild

HOUR, FIVE, MINUTE = timedelta(hours=1), timedelta(minutes=5), timedelta(minutes=1)
WINDOW = timedelta(days=30)
# A re-run appends the intervals missed since the last one, once they amount to this much.
TOP_UP_AFTER = timedelta(minutes=15)

# service slug: requests per minute at the daily peak, latency threshold in ms
TRAFFIC = {"checkout": (900, 300), "payments": (500, 300), "search": (2000, 200), "catalogue": (1500, 300)}
BAD_DAY = {"checkout-availability", "catalogue-latency"}
OUTAGE = "payments-availability"
AT_OBJECTIVE = "search-latency"


def _grid(start: datetime, end: datetime):
    """Hourly buckets while more than 6 hours remain, then 5-minute ones, the last half hour by the minute."""
    t = start
    while t + MINUTE <= end:
        left = end - t
        if left > 6 * HOUR and t.minute == 0:
            step = HOUR
        elif left > 30 * MINUTE and t.minute % 5 == 0:
            step = FIVE
        else:
            step = MINUTE
        yield t, t + step
        t += step


def _counts(slo: SLO, start: datetime, end: datetime, anchor: datetime) -> tuple[int, int]:
    """Deterministic good/total for one interval; `anchor` is when the demo was first seeded."""
    peak, _threshold = TRAFFIC.get(slo.service.slug, (600, 300))
    rng = random.Random(f"{slo.slug}:{start.isoformat()}")
    minutes = int((end - start).total_seconds() // 60)
    daily = 0.65 + 0.35 * math.sin((start.hour - 8) / 24 * 2 * math.pi)  # busy afternoons, quiet nights
    total = max(1, int(peak * minutes * daily * rng.uniform(0.9, 1.1)))
    allowed = float(1 - slo.objective / 100)
    if slo.slug == AT_OBJECTIVE:
        total = max(100, total - total % 100)
        return total - total // 100, total  # exactly 1% slow: the budget is spent to the last request
    ratio = allowed * 0.3  # a normal month burns ~30% of the budget
    if start >= anchor - timedelta(days=7):
        ratio = allowed * 0.1  # the quiet week
    day = anchor - timedelta(days=12)
    if slo.slug in BAD_DAY and day <= start < day + timedelta(days=1):
        ratio = allowed * 10  # burn 10 for a day: a third of the 30-day budget
    if slo.slug == OUTAGE and start >= anchor - 4 * HOUR:
        ratio = 0.4  # the payment provider rejects 40% of payments
    bad = min(total, int(round(total * ratio * rng.uniform(0.6, 1.4))))
    return total - bad, total


def _slo(project, service, owner, *, slug, **fields) -> SLO:
    existing = SLO.objects.filter(project=project, slug=slug).first()
    return existing or slo_create(project=project, service=service, owner=owner, slug=slug, **fields)


def _fill(slo: SLO, now: datetime) -> int:
    last = SLIMeasurement.objects.filter(slo=slo).order_by("-end").values_list("end", flat=True).first()
    if last is not None and now - last < TOP_UP_AFTER:
        return 0  # seeded moments ago: a re-run changes nothing
    first = SLIMeasurement.objects.filter(slo=slo).order_by("start").values_list("start", flat=True).first()
    start = last or (now - WINDOW).replace(minute=0, second=0, microsecond=0)
    anchor = (first + WINDOW) if first else now
    rows = []
    for begin, end in _grid(start, now.replace(second=0, microsecond=0)):
        good, total = _counts(slo, begin, end, anchor)
        rows.append(SLIMeasurement(slo=slo, start=begin, end=end, good=good, total=total))
    SLIMeasurement.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    if rows:
        rollups_rebuild(slo=slo)  # the demo writes raw rows directly: bring its rollups level
    return len(rows)


def seed(context: dict) -> None:
    project, services, users = context["project"], context["services"], context["users"]
    now = timezone.now()
    slos = []
    for slug, service in services.items():
        _peak, threshold = TRAFFIC.get(slug, (600, 300))
        slos.append(_slo(
            project, service, service.owner, slug=f"{slug}-availability", name=f"{service.name} availability",
            objective=Decimal("99.9"), sli_kind="availability",
            description=f"Share of {service.name.lower()} requests answered without a server error (5xx).",
        ))
        slos.append(_slo(
            project, service, service.owner, slug=f"{slug}-latency", name=f"{service.name} latency",
            objective=Decimal("99"), sli_kind="latency", threshold_ms=threshold,
            description=f"Share of {service.name.lower()} requests served in under {threshold} ms.",
        ))
    _slo(project, services["search"], users["operator"], slug="search-errors", name="Search errors",
         objective=Decimal("99.5"), sli_kind="error_rate",
         description="Newly defined: the exporter pushing search error counts is not wired up yet.")
    for slo in slos:
        _fill(slo, now)
    evaluate_all(project=project, now=now)
    _review(project, users)
    context["slos"] = {slo.slug: slo for slo in SLO.objects.filter(project=project)}


def _review(project, users) -> None:
    """A manager's compliance review of checkout availability (owned by the operator: four-eyes holds)."""
    from opsportal.models import Approval
    from opsportal.services import approval_record

    slo = SLO.objects.get(project=project, slug="checkout-availability")
    if Approval.objects.for_subject(slo).exists():
        return
    approval_record(
        subject=slo, kind=ApprovalKind.SLO_REVIEW, decision=ApprovalDecision.APPROVE, approver=users["manager"],
        comment="Weekly SLO review: the bad day 12 days ago is covered by the checkout postmortem; budget is fine.",
    )

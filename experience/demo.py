"""Demo user-experience data for the shop, relative to the seeding clock (idempotent).

- checkout and search get CSAT and NPS answers every 3 hours for 28 days (external ids from the
  hour, so a re-run the same day stores nothing new and a later one tops up); checkout's
  satisfaction sags in the last week (the weekly slo_review drop finding);
- hourly Apdex counts for checkout at T = 300 ms;
- feedback: a burst on payments yesterday (daily alert_triage), old untriaged items, tags;
- "Checkout satisfaction" (85% of CSAT answers 4-5) and "Checkout responsiveness" (90% of requests
  Apdex-satisfied at T = 300 ms), UX objectives fed through the SLO engine.
"""

from datetime import UTC, timedelta
from decimal import Decimal

from django.utils import timezone

from experience.apdex import apdex_samples_ingest
from experience.models import UXObjective
from experience.objectives import ux_objectives_feed_project
from experience.services import feedback_ingest, survey_responses_ingest

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
DAYS = 28
CSAT_CYCLE = [5, 4, 5, 3, 4, 5, 2, 5]
CSAT_SAGGING = [5, 2, 4, 1, 3, 5, 2, 4]
NPS_CYCLE = [10, 9, 8, 10, 7, 9, 6, 10, 3]


def _moments(now):
    """Every third hour on a fixed grid (hours since the epoch divisible by 3), so re-runs hit the same ids."""
    last = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = [last - i * HOUR for i in range(DAYS * 24, 0, -1)]
    return [h for h in hours if int(h.timestamp() // 3600) % 3 == 0]


def _surveys(services, now):
    rows = []
    for slug in ("checkout", "search"):
        if slug not in services:
            continue
        for at in _moments(now):
            key = int(at.timestamp() // 3600)
            sagging = slug == "checkout" and now - at <= 7 * DAY
            csat = (CSAT_SAGGING if sagging else CSAT_CYCLE)[key % 8]
            channel = ["in_app", "email", "support"][key % 3]
            rows.append({"kind": "csat", "score": csat, "submitted_at": at.isoformat(), "source": "demo-survey",
                         "external_id": f"{slug}-csat-{key}", "service": slug, "channel": channel,
                         "tags": ["slow"] if csat <= 2 else []})
            rows.append({"kind": "nps", "score": NPS_CYCLE[key % 9], "submitted_at": at.isoformat(),
                         "source": "demo-survey", "external_id": f"{slug}-nps-{key}", "service": slug,
                         "channel": channel})
    return rows


def _feedback(services, now):
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = []
    if "payments" in services:
        burst = day - DAY + 14 * HOUR
        rows += [{"service": "payments", "source": "support_ticket", "severity": "high", "tags": ["payment"],
                  "text": f"Card payment declined twice, then charged (ticket {i})",
                  "received_at": (burst + i * timedelta(minutes=1)).isoformat(),
                  "external_id": f"burst-{burst:%Y%m%d}-{i}"} for i in range(12)]
    if "checkout" in services:
        rows += [{"service": "checkout", "source": "app_review", "severity": "medium", "tags": ["slow", "checkout"],
                  "text": "Checkout takes ages to load the basket", "received_at": (day - 5 * DAY).isoformat(),
                  "external_id": f"review-{day - 5 * DAY:%Y%m%d}", "external_url": "https://apps.example.com/r/1"},
                 {"service": "checkout", "source": "internal", "severity": "low", "tags": ["ux"],
                  "text": "The coupon field is hard to find", "received_at": (day - 2 * DAY).isoformat(),
                  "external_id": f"internal-{day - 2 * DAY:%Y%m%d}"}]
    return rows


def _apdex(services, now):
    if "checkout" not in services:
        return []
    last = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    rows = []
    for i in range(DAYS * 24, 0, -1):
        start = last - i * HOUR
        key = int(start.timestamp() // 3600)
        rows.append({"service": "checkout", "start": start.isoformat(), "end": (start + HOUR).isoformat(),
                     "threshold_ms": 300, "satisfied": 900 + key % 50, "tolerating": 60 + key % 20,
                     "frustrated": 10 + key % 7})
    return rows


def _objective(project, services):
    from slos.models import SLO
    from slos.services import slo_create

    checkout = services.get("checkout")
    if checkout is None:
        return None
    slo = SLO.objects.filter(project=project, slug="checkout-satisfaction").first() or slo_create(
        project=project, service=checkout, name="Checkout satisfaction", slug="checkout-satisfaction",
        objective=Decimal("85"), description="85% of CSAT answers about checkout score 4 or 5.")
    UXObjective.objects.get_or_create(slo=slo, defaults={"signal": "csat"})
    fast = SLO.objects.filter(project=project, slug="checkout-apdex").first() or slo_create(
        project=project, service=checkout, name="Checkout responsiveness (Apdex)", slug="checkout-apdex",
        objective=Decimal("90"), description="90% of checkout requests satisfied (at or under T = 300 ms).")
    UXObjective.objects.get_or_create(slo=fast, defaults={"signal": "apdex", "threshold_ms": 300})
    return slo


def seed(context):
    project, services = context["project"], context["services"]
    # The hour's start: a re-run within the hour sees, feeds and evaluates exactly the same.
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    survey_responses_ingest(project=project, rows=_surveys(services, now))
    feedback = _feedback(services, now)
    if feedback:
        feedback_ingest(project=project, rows=feedback)
    apdex = _apdex(services, now)
    if apdex:
        apdex_samples_ingest(project=project, rows=apdex)
    slo = _objective(project, services)
    if slo is not None:
        from slos.services import slo_evaluate

        ux_objectives_feed_project(project=project, now=now, since=now - DAYS * DAY)
        for objective in UXObjective.objects.filter(slo__project=project).select_related("slo"):
            slo_evaluate(slo=objective.slo, now=now)  # the status shows at once, not after the worker's run
        from incidents.services.postmortems import postmortems_ensure_required

        # A page burn above opens an incident after the incidents demo ran: its postmortem draft now,
        # not on the next run (a re-run would otherwise add it).
        postmortems_ensure_required()
        context["ux_objective"] = slo

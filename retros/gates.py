"""Quality gate of the retros app: `continuous_improvement`.

PASS when, over the last 90 days, at least 80% of the operational reviews that
fell due were completed on time and at least one retro was held with no retro
missed. Integer arithmetic only.
"""

from datetime import timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from retros.models import OperationalReview, Retrospective, RetroStatus, ReviewStatus

WINDOW = timedelta(days=90)
ON_TIME_PERCENT_REQUIRED = 80


def evaluate(project, *, now=None) -> list[dict]:
    now = now or timezone.now()
    since = now - WINDOW
    reviews = OperationalReview.objects.active().filter(project=project, due__gte=since, due__lt=now).aggregate(
        fell_due=Count("id"),
        on_time=Count("id", filter=Q(status=ReviewStatus.COMPLETED, completed_at__lte=F("due"))),
    )
    retros = Retrospective.objects.filter(
        project=project, scheduled_start__gte=since, scheduled_start__lt=now
    ).aggregate(
        held=Count("id", filter=Q(status=RetroStatus.HELD)),
        missed=Count("id", filter=Q(status=RetroStatus.SCHEDULED, missed_flagged_at__isnull=False)),
    )
    reasons = []
    if reviews["fell_due"] == 0:
        reasons.append("no operational review fell due in the last 90 days")
    elif reviews["on_time"] * 100 < ON_TIME_PERCENT_REQUIRED * reviews["fell_due"]:
        reasons.append(f"only {reviews['on_time']} of {reviews['fell_due']} reviews completed on time "
                       f"(at least {ON_TIME_PERCENT_REQUIRED}% required)")
    if retros["held"] == 0:
        reasons.append("no retro held in the last 90 days")
    if retros["missed"]:
        reasons.append(f"{retros['missed']} retro(s) missed")
    summary = (f"{reviews['on_time']} of {reviews['fell_due']} reviews on time, {retros['held']} retros held, "
               f"{retros['missed']} missed in the last 90 days")
    return [{
        "gate": "continuous_improvement",
        "result": "FAIL" if reasons else "PASS",
        "reason": "; ".join(reasons) + f" ({summary})" if reasons else summary,
    }]


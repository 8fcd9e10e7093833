"""Admin home panels: SLOs failing or out of budget, and burn-rate alerts firing now."""

from django.db.models import Q
from django.urls import reverse

from opsportal.access import scope
from slos.models import SLO, SLOAlert, SLOStatus
from slos.windows import duration_label

MAX_ROWS = 10


def panels(request) -> list[dict]:
    if not request.user.has_perm("slos.view_slo"):
        return []
    failing = (
        scope(SLO.objects.all(), request.user)  # only the user's projects
        .filter(Q(status__in=[SLOStatus.FAIL, SLOStatus.EXHAUSTED]) | Q(exhausted_at__isnull=False))
        .select_related("project").order_by("last_budget_remaining", "name")[:MAX_ROWS]
    )
    alerts = scope(SLOAlert.objects.open(), request.user).select_related("slo", "slo__project").order_by(
        "severity", "-fired_at")[:MAX_ROWS]
    return [
        {
            "title": "SLOs failing or out of error budget",
            "order": 10,
            "empty": "Every SLO is within its objective and budget.",
            "rows": [
                {
                    "label": f"{slo.project.slug}/{slo.slug}",
                    "url": reverse("admin:slos_slo_change", args=[slo.pk]),
                    "detail": f"{slo.status}: SLI {slo.last_sli if slo.last_sli is not None else '-'}%, "
                              f"budget {slo.last_budget_remaining if slo.last_budget_remaining is not None else '-'}%",
                }
                for slo in failing
            ],
        },
        {
            "title": "Open burn-rate alerts",
            "order": 11,
            "empty": "No burn-rate alert is firing.",
            "rows": [
                {
                    "label": f"{alert.severity.upper()} {alert.slo.project.slug}/{alert.slo.slug} {alert.tier_name}",
                    "url": reverse("admin:slos_sloalert_change", args=[alert.pk]),
                    "detail": f"since {alert.fired_at:%Y-%m-%d %H:%M} UTC, {alert.last_long_burn_rate}x over "
                              f"{duration_label(alert.long_window)} (fires above {alert.factor.normalize()}x)",
                }
                for alert in alerts
            ],
        },
    ]

"""Admin home panels: SLOs failing or out of budget, and burn-rate alerts firing now."""

from django.db.models import Q
from django.urls import reverse

from opsportal.access import scope
from slos.models import SLO, SLOAlert, SLOStatus
from slos.windows import duration_label

MAX_ROWS = 10


# A page whose incident could not be opened yet (slos.tasks.retry_page_incidents retries it).
NO_INCIDENT_YET = "; NO INCIDENT YET: opening it failed, retried every minute"


def panels(request) -> list[dict]:
    if not request.user.has_perm("slos.view_slo"):
        return []
    failing = (
        scope(SLO.objects.active(), request.user)  # only the user's projects
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
                              f"{duration_label(alert.long_window)} (fires above {alert.factor.normalize()}x)"
                              + (NO_INCIDENT_YET if alert.severity == "page" and not alert.incident_id else ""),
                }
                for alert in alerts
            ],
        },
    ]


def strip(request) -> list[dict]:
    """Admin home strip: SLOs passing, failing and out of budget (one query)."""
    if not request.user.has_perm("slos.view_slo"):
        return []
    from django.db.models import Count

    from opsportal.dashboards import visible_projects

    counts = dict(SLO.objects.active().filter(project__in=visible_projects(request.user)).values_list("status")
                  .annotate(n=Count("pk")).order_by())
    url = reverse("admin:dashboard", args=["slo"])
    return [
        {"label": "SLOs passing", "value": counts.get(SLOStatus.PASS, 0), "url": url},
        {"label": "SLOs failing", "value": counts.get(SLOStatus.FAIL, 0), "url": url},
        {"label": "SLOs out of budget", "value": counts.get(SLOStatus.EXHAUSTED, 0), "url": url},
    ]


def _dashboards():
    from opsportal.dashboards import Dashboard
    from slos.dashboards import slo_charts, slo_dashboard_data, slo_tables

    return [Dashboard(
        slug="slo", title="SLO dashboard", data=slo_dashboard_data, charts=slo_charts, tables=slo_tables,
        permission="slos.view_slo",
        description="Error budgets, SLIs and burn rates of the project's SLOs, and 13 months of attainment. "
                    "Filter by service or SLO to see one SLO's burn-down, daily SLI and burn rates.",
    )]


DASHBOARDS = _dashboards()

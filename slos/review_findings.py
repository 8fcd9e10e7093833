"""Findings for operational reviews: weekly slo_review; daily metric_review and alert_triage."""

from django.db.models import Q
from django.urls import reverse

from slos.models import SLO, SLOAlert, SLOStatus
from slos.windows import duration_label

LOW_BUDGET_PERCENT = 25


def _slo_link(slo) -> dict:
    return {"label": f"{slo.project.slug}/{slo.slug}", "url": reverse("admin:slos_slo_change", args=[slo.pk])}


def _at_risk(project) -> list[dict]:
    slos = (
        SLO.objects.active().filter(project=project)
        .filter(Q(status__in=[SLOStatus.FAIL, SLOStatus.EXHAUSTED]) | Q(last_budget_remaining__lt=LOW_BUDGET_PERCENT))
        .select_related("project").order_by("last_budget_remaining")
    )
    return [
        {
            "severity": "critical" if slo.status in (SLOStatus.FAIL, SLOStatus.EXHAUSTED) else "warning",
            "text": f"{slo.name}: {slo.status}, SLI {slo.last_sli}% against {slo.target_display}, "
                    f"{slo.last_budget_remaining}% of the error budget left.",
            "links": [_slo_link(slo)],
        }
        for slo in slos
    ]


def _open_alerts(project) -> list[dict]:
    alerts = SLOAlert.objects.open().filter(slo__project=project).select_related("slo", "slo__project")
    return [
        {
            "severity": "critical" if alert.severity == "page" else "warning",
            "text": f"{alert.severity} alert {alert.tier_name} on {alert.slo.name} firing since "
                    f"{alert.fired_at:%Y-%m-%d %H:%M} UTC: {alert.last_long_burn_rate}x over "
                    f"{duration_label(alert.long_window)} (threshold {alert.factor.normalize()}x).",
            "links": [
                {"label": f"alert #{alert.pk}", "url": reverse("admin:slos_sloalert_change", args=[alert.pk])},
                _slo_link(alert.slo),
            ],
        }
        for alert in alerts.order_by("severity", "fired_at")
    ]


def _with_item(item: str, findings: list[dict], all_clear: str) -> list[dict]:
    if not findings:
        findings = [{"severity": "info", "text": all_clear, "links": []}]
    return [{"item": item, **finding} for finding in findings]


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    count = SLO.objects.active().filter(project=project).count()
    if cadence == "weekly":
        return _with_item(
            "slo_review", _at_risk(project) + _open_alerts(project),
            f"All {count} SLOs meet their objective with at least {LOW_BUDGET_PERCENT}% budget; no burn alert open.",
        )
    if cadence == "daily":
        return _with_item("metric_review", _at_risk(project), f"All {count} SLOs within objective and budget.") + \
            _with_item("alert_triage", _open_alerts(project), "No burn-rate alert is open.")
    return []

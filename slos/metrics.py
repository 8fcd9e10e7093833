"""SLO families for /metrics, from the snapshot each evaluation stores on the SLO row and from
open burn-rate alerts (two queries per scrape, whatever the number of SLOs)."""

from prometheus_client.core import GaugeMetricFamily

from slos.models import SLO, SLOAlert, SLOStatus

LABELS = ["project", "service", "slo", "slo_id"]


def _hours(duration) -> str:
    hours = duration.total_seconds() / 3600
    return f"{hours:g}h" if hours >= 1 else f"{duration.total_seconds() / 60:g}m"


def collect(now):
    objective = GaugeMetricFamily("opsportal_slo_objective_percent", "SLO objective (percent good).", labels=LABELS)
    sli = GaugeMetricFamily("opsportal_slo_sli_percent", "SLI at the last evaluation (percent good).", labels=LABELS)
    budget = GaugeMetricFamily(
        "opsportal_slo_error_budget_remaining_percent", "Error budget remaining at the last evaluation.", labels=LABELS
    )
    burn = GaugeMetricFamily(
        "opsportal_slo_burn_rate", "Burn rate at the last evaluation, per window.", labels=[*LABELS, "window"]
    )
    status = GaugeMetricFamily(
        "opsportal_slo_status", "1 for the SLO's current status (PASS, FAIL, EXHAUSTED, NO_DATA).",
        labels=[*LABELS, "status"],
    )
    evaluated = GaugeMetricFamily(
        "opsportal_slo_evaluated_timestamp_seconds", "When the SLO was last evaluated (Unix time).", labels=LABELS
    )
    alerts = GaugeMetricFamily(
        "opsportal_slo_open_burn_alerts", "Open burn-rate alerts per SLO and severity.", labels=[*LABELS, "severity"]
    )
    alert_burn = GaugeMetricFamily(
        "opsportal_slo_alert_burn_rate",
        "Burn rate of each open alert's windows at its last evaluation.",
        labels=[*LABELS, "tier", "severity", "window"],
    )

    slos = SLO.objects.active().select_related("project", "service").order_by("pk")
    labels_of = {}
    for slo in slos:
        labels = [slo.project.slug, slo.service.name, slo.name, str(slo.pk)]
        labels_of[slo.pk] = labels
        objective.add_metric(labels, float(slo.objective))
        if slo.last_sli is not None:
            sli.add_metric(labels, float(slo.last_sli))
        if slo.last_budget_remaining is not None:
            budget.add_metric(labels, float(slo.last_budget_remaining))
        if slo.last_burn_rate_1h is not None:
            burn.add_metric([*labels, "1h"], float(slo.last_burn_rate_1h))
        for value in SLOStatus.values:
            status.add_metric([*labels, value], 1.0 if slo.status == value else 0.0)
        if slo.evaluated_at is not None:
            evaluated.add_metric(labels, slo.evaluated_at.timestamp())

    open_counts: dict[tuple[int, str], int] = {}
    for alert in SLOAlert.objects.open().select_related("tier").order_by("pk"):
        labels = labels_of.get(alert.slo_id)
        if labels is None:
            continue
        open_counts[(alert.slo_id, alert.severity)] = open_counts.get((alert.slo_id, alert.severity), 0) + 1
        if alert.tier is not None:
            for window, value in ((alert.tier.long_window, alert.last_long_burn_rate),
                                  (alert.tier.short_window, alert.last_short_burn_rate)):
                if value is not None:
                    alert_burn.add_metric([*labels, alert.tier_name, alert.severity, _hours(window)], float(value))
    for slo_id, labels in labels_of.items():
        for severity in ("page", "ticket"):
            alerts.add_metric([*labels, severity], open_counts.get((slo_id, severity), 0))
    return [objective, sli, budget, burn, status, evaluated, alerts, alert_burn]

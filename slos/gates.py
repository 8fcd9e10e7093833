"""Quality gates `slo_monitoring` (checkpoint) and `slo_compliance` (success criterion)."""

from datetime import timedelta

from django.utils import timezone

from slos.models import SLO, SLOStatus

# Evaluation runs every minute; older than this means the worker or schedule is not running.
STALE_AFTER = timedelta(minutes=10)


def evaluate(project) -> list[dict]:
    slos = list(SLO.objects.active().filter(project=project).order_by("slug"))
    if not slos:
        return [{"gate": "slo_monitoring", "result": "FAIL", "reason": "No SLO is defined for this project."},
                {"gate": "slo_compliance", "result": "NO_DATA", "reason": "No SLO is defined: nothing to judge."}]
    now = timezone.now()
    monitoring = []
    stale = [s.slug for s in slos if s.evaluated_at is None or now - s.evaluated_at > STALE_AFTER]
    if stale:
        monitoring.append(f"Not evaluated in the last {STALE_AFTER}: {', '.join(stale)} (is the worker running?).")
    no_data = [s.slug for s in slos if s.status == SLOStatus.NO_DATA]
    if no_data:
        monitoring.append(f"No SLI data: {', '.join(no_data)}.")
    if not any(s.alerting_enabled for s in slos):
        monitoring.append("Burn-rate alerting is off for every SLO.")
    findings = [{
        "gate": "slo_monitoring",
        "result": "FAIL" if monitoring else "PASS",
        "reason": " ".join(monitoring) or f"{len(slos)} SLOs with data, evaluated within {STALE_AFTER}, alerting on.",
    }]
    failing = [f"{s.slug} ({s.status})" for s in slos if s.status in (SLOStatus.FAIL, SLOStatus.EXHAUSTED)]
    with_data = [s for s in slos if s.status != SLOStatus.NO_DATA]
    if failing:
        findings.append({"gate": "slo_compliance", "result": "FAIL",
                         "reason": f"Below objective or out of error budget: {', '.join(failing)}."})
    elif with_data and len(with_data) == len(slos):
        findings.append({"gate": "slo_compliance", "result": "PASS",
                         "reason": f"All {len(slos)} SLOs meet their objective with error budget left."})
    elif with_data:
        findings.append({"gate": "slo_compliance", "result": "FAIL",
                         "reason": f"Compliance unknown (no data): {', '.join(no_data)}."})
    else:
        findings.append({"gate": "slo_compliance", "result": "NO_DATA",
                         "reason": f"No SLO has data yet ({', '.join(no_data)}): nothing to judge."})
    return findings

"""Quality gate `incidents_within_target`: the specification's "Incidents resolved within target timeframes"."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from incidents.models import Incident, ProjectResponders, ResponseTarget, Severity, TargetMeasure

GATE = "incidents_within_target"
PROCEDURES_GATE = "incident_procedures"
WINDOW = timedelta(days=90)
REQUIRED_SHARE = Decimal("90")


def evaluate(project) -> list[dict]:
    return [_within_target(project), _procedures(project)]


def _procedures(project) -> dict:
    """The incident side of "Incident response procedures documented": responders to notify and a
    response target for every severity (runbooks are the knowledge base's part of this gate)."""
    missing = []
    responders = ProjectResponders.objects.active().filter(project=project).first()
    if responders is None or not (responders.emails or responders.webhook_url):
        missing.append("no incident responders (emails or chat webhook) are configured")
    defined = set(ResponseTarget.objects.values_list("severity", "measure"))
    gaps = [f"{sev} {measure}" for sev in Severity.values for measure in TargetMeasure.values
            if (sev, measure) not in defined]
    if gaps:
        missing.append(f"response targets missing for {', '.join(gaps)}")
    if missing:
        return {"gate": PROCEDURES_GATE, "result": "FAIL", "reason": "Incident response: " + "; ".join(missing) + "."}
    return {"gate": PROCEDURES_GATE, "result": "PASS",
            "reason": "Incident responders are configured and every severity has response targets."}


def _within_target(project) -> dict:
    """PASS when no open incident is past a response target and at least 90% of the incidents
    resolved in the last 90 days met their resolve target."""
    now = timezone.now()
    counted = Incident.objects.filter(project=project).counted()
    overdue = list(counted.open().target_breached(now).values_list("reference", flat=True)[:10])
    resolved = counted.filter(resolved_at__gte=now - WINDOW)
    total = resolved.count()
    met = resolved.filter(resolved_at__lte=F("resolve_due_at")).count()
    share = (Decimal(met) * 100 / total).quantize(Decimal("0.1")) if total else None
    reasons, result = [], "PASS"
    if overdue:
        result = "FAIL"
        reasons.append(f"Open incidents past a response target: {', '.join(overdue)}.")
    if share is not None and share < REQUIRED_SHARE:
        result = "FAIL"
        reasons.append(f"{share}% of the {total} incidents resolved in the last 90 days met their resolve target "
                       f"(at least {REQUIRED_SHARE}% required).")
    if result == "PASS" and not total:
        # Nothing resolved to measure: NO_DATA, never a PASS.
        return {"gate": GATE, "result": "NO_DATA",
                "reason": "No incidents resolved in the last 90 days; no open incident is past a target."}
    if result == "PASS":
        reasons.append(f"{met} of {total} incidents resolved in the last 90 days met their resolve target; "
                       "no open incident is past a target.")
    return {"gate": GATE, "result": result, "reason": " ".join(reasons)}


# Postmortems and action items (issue 5): postmortem_process, postmortems_for_significant and
# improvements_implemented join the incidents gates.
_incident_gates = evaluate


def evaluate(project) -> list[dict]:  # noqa: F811
    from incidents.postmortem_extensions import postmortem_gates

    return _incident_gates(project) + postmortem_gates(project)

"""The one place the slos app calls the incidents app (lazy import: either app can land first)."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)

# A page-tier burn is customer impact happening now: SEV2 ("significant") unless a human raises it.
PAGE_SEVERITY = "SEV2"


def open_incident_for_page(alert) -> int | None:
    """Open (or attach to) the incident for the alert's SLO; return its id, or None when not possible.

    Group key `slo:<id>` makes every page of one SLO land on the same open incident.
    A failure here never blocks recording the alert: it is logged and the alert stays.
    """
    try:
        from incidents.services import incident_open_or_attach
    except ImportError:
        logger.warning("incidents app not available: page alert %s of SLO %s opens no incident", alert.pk, alert.slo_id)
        return None
    slo = alert.slo
    try:
        with transaction.atomic():  # savepoint: a refusal rolls back only the incident part
            incident, created = incident_open_or_attach(
                project=slo.project,
                source="slo_burn",
                group_key=f"slo:{slo.pk}",
                title=f"SLO burn: {slo.name} ({alert.tier_name})",
                severity=PAGE_SEVERITY,
                services=(slo.service,),
                summary=(
                    f"{slo.name} ({slo.target_display}) is burning its error budget: "
                    f"{alert.long_burn_rate}x over {alert.long_window}, {alert.short_burn_rate}x over "
                    f"{alert.short_window} (page threshold {alert.factor}x)."
                ),
                actor=None,
            )
    except Exception:  # the incident is follow-up work; the alert record must survive
        logger.exception("could not open an incident for page alert %s of SLO %s", alert.pk, slo.pk)
        return None
    logger.info("page alert %s %s incident %s", alert.pk, "opened" if created else "attached to", incident.pk)
    return incident.pk


def retry_missing_page_incidents() -> dict:
    """Open the incident of every open page alert that has none yet (the first attempt
    failed). Idempotent: the group key `slo:<id>` lands every retry, and every page of
    the SLO, on the same open incident. Returns {"opened": n, "failed": [alert ids]}."""
    from slos.models import Severity, SLOAlert

    outcome = {"opened": 0, "failed": []}
    waiting = (
        SLOAlert.objects.open().filter(severity=Severity.PAGE, incident_id__isnull=True)
        .select_related("slo", "slo__project", "slo__service").order_by("pk")
    )
    for alert in waiting:
        incident_id = open_incident_for_page(alert)
        if incident_id is None:
            outcome["failed"].append(alert.pk)
            continue
        alert.incident_id = incident_id
        alert.save(update_fields=["incident_id"])
        outcome["opened"] += 1
    return outcome

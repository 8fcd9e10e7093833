"""Demo incidents for `manage.py seed_demo`: four months of history, one live SEV2 with a busy
timeline, and one opened by Alertmanager. Idempotent: each incident is keyed by its title."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import (
    AlertIntegration,
    Incident,
    IncidentEventKind,
    IncidentRoleAssignment,
    IncidentSource,
    IncidentStatus,
    ProjectResponders,
)
from incidents.services.alert_intake import CHANNEL as ALERT_INTAKE_CHANNEL
from incidents.services.alert_intake import alert_notification_queue
from incidents.services.alerts import alert_integration_create
from incidents.services.lifecycle import _allocate_number
from incidents.services.targets import refresh_due_times
from incidents.services.timeline import record_event
from opsportal.models import EvidenceKind
from opsportal.services import log_evidence
from opsportal.services.outbox import outbox_attempt

# days ago, severity, title, service, commander, minutes from impact start to: detected, acknowledged,
# mitigated, resolved (None = unknown impact start), final status, source, customer impact
HISTORY = [
    (118, "SEV2", "Card payments declined by provider", "payments", "oncall", (4, 12, 55, 140), "closed",
     "alertmanager", "About 30% of card payments failed for two hours."),
    (104, "SEV3", "Search results missing new products", "search", "operator", (45, 70, 300, 600), "closed",
     "manual", "New products did not show up in search for half a day."),
    (96, "SEV1", "Checkout unavailable after deploy", "checkout", "lead", (3, 14, 35, 50), "closed",
     "alertmanager", "Nobody could place an order for 35 minutes."),
    (81, "SEV4", "Catalogue images slow in one region", "catalogue", "oncall", (120, 600, 1500, 2900), "closed",
     "manual", "Product pages loaded slowly for customers in the north."),
    (70, "SEV2", "Payment confirmations delayed", "payments", "oncall", (6, 15, 200, 640), "closed",
     "slo_burn", "Customers waited up to 20 minutes for order confirmation emails."),
    (58, "SEV3", "Autocomplete errors on mobile", "search", "operator", (None, 30, 90, 200), "closed",
     "manual", "Autocomplete failed for some mobile users."),
    (44, "SEV5", "Internal stock dashboard stale", "catalogue", "operator", (60, 900, 1200, 2000), "resolved",
     "manual", "No customer impact."),
    (37, "SEV2", "Checkout latency above SLO", "checkout", "lead", (5, 11, 80, 260), "resolved",
     "slo_burn", "Checkout took over 3 seconds for a third of customers."),
    (23, "SEV3", "Price mismatch between page and cart", "catalogue", "oncall", (180, 200, 400, 1300), "resolved",
     "manual", "Some customers saw a different price in the cart."),
    (15, "SEV1", "Payment provider outage", "payments", "lead", (2, 9, 70, 190), "resolved",
     "alertmanager", "No card payments for over an hour."),
    (9, "SEV4", "Duplicate search suggestions", "search", "operator", (None, 300, 600, 900), "resolved",
     "manual", "Cosmetic."),
    (6, "SEV3", "False alarm: checkout probe misconfigured", "checkout", "oncall", (None, 8, None, None),
     "cancelled", "alertmanager", "None: the probe was wrong."),
]
LIVE_TITLE = "Checkout errors after payment SDK upgrade"


def _assign(incident, role, user, at, by=None):
    IncidentRoleAssignment.objects.get_or_create(
        incident=incident, role=role, user=user, defaults={"assigned_at": at, "assigned_by": by},
    )
    if role == "commander":
        Incident.objects.filter(pk=incident.pk).update(commander=user)
    record_event(incident, kind=IncidentEventKind.ROLE_CHANGE, occurred_at=at, actor=by,
                 text=f"{user.get_full_name() or user.get_username()} is {role}.",
                 data={"role": role, "user": user.get_username()})


def _historic(project, services, users, spec, now):
    days, severity, title, service, commander, minutes, final, source, impact = spec
    detected = now - timedelta(days=days)
    to_detect, to_ack, to_mitigate, to_resolve = minutes
    impact_start = detected - timedelta(minutes=to_detect) if to_detect is not None else None
    origin = impact_start or detected

    def at(offset):
        return origin + timedelta(minutes=offset) if offset is not None else None

    number, reference = _allocate_number(project)
    incident = Incident(
        project=project, number=number, reference=reference, title=title, severity=severity, source=source,
        summary=f"{title}. See the timeline for the response.", customer_impact=impact,
        status=final, impact_started_at=impact_start, detected_at=detected,
        declared_at=detected + timedelta(minutes=1),
        acknowledged_at=max(at(to_ack), detected),
        mitigated_at=at(to_mitigate), resolved_at=at(to_resolve),
        closed_at=at(to_resolve) + timedelta(days=3) if final == IncidentStatus.CLOSED else None,
        created_by=users[commander],
    )
    refresh_due_times(incident)
    for measure, done in (("acknowledge", incident.acknowledged_at), ("resolve", incident.resolved_at)):
        due = getattr(incident, f"{measure}_due_at")
        if done is not None and done > due:
            setattr(incident, f"{measure}_breach_recorded_at", due)
    incident.save()
    incident.services.set([services[service]])
    record_event(incident, kind=IncidentEventKind.DECLARED, occurred_at=incident.declared_at,
                 actor=users[commander],
                 text=f"{reference} declared as {severity} ({incident.get_source_display()}): {title}")
    _assign(incident, "commander", users[commander], incident.declared_at + timedelta(minutes=1))
    steps = [("investigating", incident.acknowledged_at), ("monitoring", incident.mitigated_at),
             ("resolved", incident.resolved_at), ("closed", incident.closed_at)]
    previous = "triage"
    if final == IncidentStatus.CANCELLED:
        steps = [("cancelled", incident.acknowledged_at + timedelta(minutes=5))]
    for status, when in steps:
        if when is None:
            continue
        record_event(incident, kind=IncidentEventKind.STATUS_CHANGE, occurred_at=when, actor=users[commander],
                     text=f"Status moved: {previous} -> {status}.", data={"from": previous, "to": status})
        previous = status
    if incident.acknowledge_breach_recorded_at:
        record_event(incident, kind=IncidentEventKind.TARGET_BREACH, occurred_at=incident.acknowledge_due_at,
                     text=f"{severity} acknowledge target breached.", data={"measure": "acknowledge"})
    if incident.resolve_breach_recorded_at:
        record_event(incident, kind=IncidentEventKind.TARGET_BREACH, occurred_at=incident.resolve_due_at,
                     text=f"{severity} resolve target breached.", data={"measure": "resolve"})
    if incident.resolved_at:
        log_evidence(project=project, kind=EvidenceKind.INCIDENT, actor=users[commander],
                     summary=f"{reference} resolved ({severity}): {title}",
                     payload={"incident_id": incident.pk, "reference": reference, "severity": severity,
                              "resolved_at": incident.resolved_at.isoformat()})


def _live(project, services, users, now):
    """A SEV2 in progress: commander, deputy and scribe, raised from SEV3, a lively timeline."""
    start = now - timedelta(minutes=52)
    number, reference = _allocate_number(project)
    incident = Incident(
        project=project, number=number, reference=reference, title=LIVE_TITLE, severity="SEV2",
        source=IncidentSource.MANUAL, status=IncidentStatus.IDENTIFIED,
        summary="Card payments through the new SDK fail with 'invalid merchant session' for some browsers.",
        customer_impact="About 8% of checkouts fail at the payment step; customers can retry with PayPal.",
        impact_started_at=start, detected_at=start + timedelta(minutes=4), declared_at=start + timedelta(minutes=6),
        acknowledged_at=start + timedelta(minutes=9), created_by=users["oncall"],
        runbook_url="https://runbooks.shop.example/payments/provider-errors",
    )
    refresh_due_times(incident)
    incident.save()
    incident.services.set([services["checkout"], services["payments"]])
    events = [
        (4, IncidentEventKind.ALERT_FIRED, None, "Alert fired: CheckoutPaymentErrors (payment step 5xx above 5%)"),
        (6, IncidentEventKind.DECLARED, "oncall", f"{reference} declared as SEV3 (Declared by a person): {LIVE_TITLE}"),
        (9, IncidentEventKind.STATUS_CHANGE, "oncall", "Status moved: triage -> investigating. Acknowledged."),
        (12, IncidentEventKind.NOTE, "oncall", "Errors only on the payment step; cart and login are fine."),
        (15, IncidentEventKind.SEVERITY_CHANGE, "lead", "Severity raised: SEV3 -> SEV2. 8% of checkouts fail."),
        (19, IncidentEventKind.NOTE, "operator", "Errors started with deploy 2026.11.3 (payment SDK 4.2)."),
        (24, IncidentEventKind.RUNBOOK_LINK, "oncall", "Runbook: payment provider errors."),
        (27, IncidentEventKind.NOTE, "lead", "Status page updated: 'Some card payments fail; PayPal works.'"),
        (31, IncidentEventKind.STATUS_CHANGE, "lead", "Status moved: investigating -> identified. SDK 4.2 rejects "
                                                      "sessions from Safari 16."),
        (38, IncidentEventKind.NOTE, "operator", "Rollback of the checkout frontend to 2026.11.2 started."),
        (46, IncidentEventKind.NOTE, "oncall", "Rollback at 60% of pods; error rate down to 3%."),
    ]
    for minute, kind, author, text in events:
        record_event(incident, kind=kind, occurred_at=start + timedelta(minutes=minute),
                     actor=users[author] if author else None, text=text)
    _assign(incident, "commander", users["lead"], start + timedelta(minutes=14), users["oncall"])
    _assign(incident, "deputy", users["oncall"], start + timedelta(minutes=14), users["lead"])
    _assign(incident, "scribe", users["operator"], start + timedelta(minutes=16), users["lead"])
    _assign(incident, "communications", users["manager"], start + timedelta(minutes=26), users["lead"])


def _from_alertmanager(project, now):
    """One incident through the real ingestion path: fired 40 minutes ago, alerts resolved 10 minutes ago."""
    if AlertIntegration.objects.filter(project=project, name="demo-alertmanager").exists():
        return
    integration, _token = alert_integration_create(project=project, name="demo-alertmanager")
    alert = {
        "status": "firing",
        "labels": {"alertname": "SearchLatencyHigh", "severity": "warning", "service": "search",
                   "instance": "search-2"},
        "annotations": {"summary": "p99 search latency above 1.5 s",
                        "runbook_url": "https://runbooks.shop.example/search/latency"},
        "startsAt": now - timedelta(minutes=40), "endsAt": None, "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "5e4c7d9a1b2f3e40",
    }
    payload = {"version": "4", "status": "firing", "receiver": "opsportal",
               "groupKey": '{}:{alertname="SearchLatencyHigh"}', "groupLabels": {"alertname": "SearchLatencyHigh"},
               "commonLabels": dict(alert["labels"]),
               "commonAnnotations": dict(alert["annotations"]), "externalURL": "http://alertmanager:9093",
               "truncatedAlerts": 0, "alerts": [alert]}
    _through_the_queue(integration, payload)
    resolved = {**payload, "status": "resolved",
                "alerts": [{**alert, "status": "resolved", "endsAt": now - timedelta(minutes=10)}]}
    _through_the_queue(integration, resolved)


def _through_the_queue(integration, payload):
    """As the webhook does with OPSPORTAL_ALERT_INTAKE=queued (bin/run-prod): validated, stored as an
    alert notification, applied (here at once, by a worker in production), so the demo's *Alert
    notifications* admin shows what applying did."""
    from incidents.api.alertmanager import AlertmanagerPayloadSerializer

    checked = AlertmanagerPayloadSerializer(data=payload)
    checked.is_valid(raise_exception=True)
    notification = alert_notification_queue(integration=integration, body=checked.data,
                                             group_key=checked.validated_data["groupKey"])
    outbox_attempt(ALERT_INTAKE_CHANNEL, notification.pk)


def seed(context: dict) -> None:
    project, services, users = context["project"], context["services"], context["users"]
    now = timezone.now()
    with transaction.atomic():
        ProjectResponders.objects.get_or_create(
            project=project, defaults={"number_prefix": "SHOP", "emails": ["oncall@shop.example"]},
        )
        existing = set(Incident.objects.filter(project=project).values_list("title", flat=True))
        for spec in HISTORY:
            if spec[2] not in existing:
                _historic(project, services, users, spec, now)
        if LIVE_TITLE not in existing:
            _live(project, services, users, now)
        _from_alertmanager(project, now)
    context["incidents"] = {i.title: i for i in Incident.objects.filter(project=project)}


# Postmortems and action items (issue 5) build on the incidents above.
_seed_incidents = seed


def seed(context: dict) -> None:  # noqa: F811
    from incidents.demo_postmortems import seed_postmortems

    _seed_incidents(context)
    seed_postmortems(context)

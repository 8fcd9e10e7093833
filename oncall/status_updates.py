"""Stakeholder status updates: templates, posting to subscribers, cadence reminders, missed updates.

Cadence per severity (default SEV1 every 30 minutes, SEV2 every 60; setting
OPSPORTAL_STATUS_UPDATE_MINUTES) from the declaration until resolution. An update posted exactly
at its due time is on time. Missed updates are counted from the updates' times (nothing stored):
each due time that passed before the next update (or resolution, or now) is one missed update.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q

from oncall.models import Audience, StatusSubscriber, StatusUpdate

DEFAULT_CADENCE_MINUTES = {"SEV1": 30, "SEV2": 60}
MAX_BODY = 10_000

TEMPLATES = {
    "investigating": "We are investigating {title}. Affected: {services}. Next update within {cadence} minutes.",
    "identified": "We have identified the cause of {title} and are working on a fix. "
                  "Next update within {cadence} minutes.",
    "monitoring": "A fix for {title} is in place; we are monitoring the results.",
    "resolved": "{title} is resolved. Thank you for your patience; a postmortem follows for significant incidents.",
}


def cadence_for(severity: str) -> timedelta | None:
    minutes = getattr(settings, "OPSPORTAL_STATUS_UPDATE_MINUTES", DEFAULT_CADENCE_MINUTES).get(severity)
    return timedelta(minutes=minutes) if minutes else None


def template_text(incident, name: str) -> str:
    if name not in TEMPLATES:
        raise ValidationError({"template": f"template must be one of {', '.join(TEMPLATES)}."})
    cadence = cadence_for(incident.severity)
    services = ", ".join(s.name for s in incident.services.all()) or incident.project.name
    return TEMPLATES[name].format(title=f"{incident.reference} ({incident.title})", services=services,
                                  cadence=int(cadence.total_seconds() // 60) if cadence else 60)


def _recipients(incident, audience: str):
    subscribers = StatusSubscriber.objects.filter(project_id=incident.project_id).filter(
        Q(service__isnull=True) | Q(service__in=incident.services.all())).select_related("user")
    if audience == Audience.INTERNAL:
        subscribers = subscribers.filter(audience=Audience.INTERNAL)
    return subscribers


def status_update_post(*, incident, audience: str, body: str = "", template: str = "", actor=None,
                       now: datetime) -> StatusUpdate:
    """Post an update: stored with the incident's state, on the timeline, and one email per subscriber."""
    from incidents.models import IncidentEventKind
    from incidents.services.timeline import record_event
    from knowledgebase.markdown import render_markdown
    from opsportal.services.notifications import notify_once

    if audience not in Audience.values:
        raise ValidationError({"audience": f"audience must be one of {', '.join(Audience.values)}."})
    if template:
        body = body or template_text(incident, template)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "An update needs a text (or a template)."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"At most {MAX_BODY} characters."})
    update = StatusUpdate(incident=incident, audience=audience, state=incident.status, template=template,
                          body=body, body_html=render_markdown(body), author=actor, posted_at=now)
    if actor is not None and not actor.has_perm("oncall.add_statusupdate", update):
        raise PermissionDenied("oncall.add_statusupdate is needed in this project.")
    with transaction.atomic():
        update.save()
        subject = f"[{incident.severity}] {incident.reference} update: {incident.title}"
        text = f"{body}\n\nStatus: {incident.get_status_display()} · {now:%Y-%m-%d %H:%M %Z}\n"
        for subscriber in _recipients(incident, audience):
            # One email per subscriber: external addresses never see each other.
            notify_once(key=f"status-update:{update.pk}:{subscriber.pk}", subject=subject, body=text,
                        users=[subscriber.user] if subscriber.user else (),
                        emails=[subscriber.email] if subscriber.email else (), project=incident.project)
        record_event(incident, kind=IncidentEventKind.CUSTOM, actor=actor, occurred_at=now,
                     text=f"{update.get_audience_display()} status update posted ({incident.status}).",
                     data={"oncall": "status_update", "update": update.pk, "audience": audience},
                     dedup_key=f"status-update:{update.pk}")
    return update


def missed_updates(incident, update_times: list[datetime], *, until: datetime) -> list[datetime]:
    """Due times that passed without an update, from declaration to resolution (or `until`)."""
    cadence = cadence_for(incident.severity)
    if cadence is None:
        return []
    end = min(incident.resolved_at, until) if incident.resolved_at else until
    marks = [incident.declared_at] + sorted(t for t in update_times if incident.declared_at <= t <= end) + [end]
    missed = []
    for last, following in zip(marks, marks[1:], strict=False):
        count = max(math.ceil((following - last) / cadence) - 1, 0)
        missed += [last + cadence * k for k in range(1, count + 1)]
    return missed


def updates_due(*, now: datetime) -> int:
    """Remind the commander (or, without one, the project's Managers) of each update that is due, once
    per due time. Returns how many reminders were queued."""
    from incidents.models import OPEN_STATUSES, Incident, IncidentEventKind
    from incidents.services.timeline import record_event
    from opsportal.access.selectors import project_managers
    from opsportal.services.notifications import notify_once

    severities = [s for s in ("SEV1", "SEV2", "SEV3", "SEV4", "SEV5") if cadence_for(s)]
    incidents = (Incident.objects.filter(status__in=OPEN_STATUSES, severity__in=severities)
                 .select_related("project", "commander").annotate(last_update=Max("status_updates__posted_at")))
    sent = 0
    for incident in incidents:
        cadence = cadence_for(incident.severity)
        base = max(incident.last_update or incident.declared_at, incident.declared_at)
        due = base + cadence
        if due > now:
            continue
        key = f"status-due:{incident.pk}:{due.isoformat()}"
        people = [incident.commander] if incident.commander else list(project_managers(incident.project))
        with transaction.atomic():
            event = record_event(incident, kind=IncidentEventKind.CUSTOM, occurred_at=now,
                                 text=f"Stakeholder update due since {due:%H:%M %Z} (every "
                                      f"{int(cadence.total_seconds() // 60)} min for {incident.severity}).",
                                 data={"oncall": "status_update_due", "due": due.isoformat()}, dedup_key=key)
            if event is not None:
                notify_once(key=key, users=people,
                            subject=f"[{incident.severity}] {incident.reference}: stakeholder update due",
                            body=f"A status update for {incident.reference} {incident.title} was due at "
                                 f"{due:%Y-%m-%d %H:%M %Z}. Post one (templates: {', '.join(TEMPLATES)}).\n",
                            project=incident.project)
                sent += 1
    return sent

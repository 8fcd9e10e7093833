"""Writing timeline entries. Every incident service calls `record_event` inside its transaction."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident, IncidentEvent, IncidentEventKind
from opsportal.actors import recorded_person
from opsportal.services.chain import chain_append_record


def record_event(
    incident: Incident, *, kind: str, text: str, actor=None, data: dict | None = None,
    occurred_at=None, dedup_key: str | None = None,
) -> IncidentEvent | None:
    """Append a timeline entry. With `dedup_key`, a second entry with the same key is
    refused by the database and None is returned (replayed automation)."""
    event = IncidentEvent(
        incident=incident, kind=kind, text=text, author=recorded_person(actor), data=data or {},
        occurred_at=occurred_at or timezone.now(), dedup_key=dedup_key,
    )
    if dedup_key is None:
        with transaction.atomic():
            event.save()
            chain_append_record(event, actor=actor)
        return event
    if IncidentEvent.objects.filter(dedup_key=dedup_key).exists():
        return None
    try:
        with transaction.atomic():
            event.save()
            chain_append_record(event, actor=actor)
    except IntegrityError:
        return None
    return event


def incident_add_note(*, incident: Incident, text: str, actor=None, occurred_at=None) -> IncidentEvent:
    """Add a note to the timeline. Notes may be back-dated (a scribe catching up) but not future-dated."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "A note needs some text."})
    now = timezone.now()
    if occurred_at is not None and occurred_at > now + timedelta(minutes=1):
        raise ValidationError({"occurred_at": "A note cannot be dated in the future."})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        return record_event(incident, kind=IncidentEventKind.NOTE, text=text, actor=actor, occurred_at=occurred_at)

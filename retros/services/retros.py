"""Retro life cycle: agenda, reminders, missed-retro flags, held / cancelled, notes."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from knowledgebase.markdown import render_markdown
from opsportal.links import absolute_url, admin_change_url
from opsportal.services import log_evidence
from opsportal.services.notifications import notify_once
from retros.agenda import build_agenda
from retros.models import Retrospective, RetroStatus
from retros.models.retros import MISSED_AFTER

logger = logging.getLogger(__name__)
DEFAULT_REMINDER_HOURS = 24


def reminder_lead() -> timedelta:
    """How long before a retro its facilitator is reminded (settings.OPSPORTAL["RETRO_REMINDER_HOURS"])."""
    hours = getattr(settings, "OPSPORTAL", {}).get("RETRO_REMINDER_HOURS", DEFAULT_REMINDER_HOURS)
    return timedelta(hours=int(hours))


def _locked(retro: Retrospective) -> Retrospective:
    return Retrospective.objects.select_for_update(of=("self",)).select_related("project", "series", "facilitator").get(
        pk=retro.pk
    )


def _locked_for_transition(retro: Retrospective, target: str) -> tuple[Retrospective, bool]:
    """Lock the retro for a status change. Only a scheduled retro moves (to held or cancelled);
    returns `(retro, True)` when it already has the target status (nothing to do)."""
    retro = _locked(retro)
    if retro.status == target:
        return retro, True
    if retro.status != RetroStatus.SCHEDULED:
        raise ValidationError({"status": f"A {retro.status} retro cannot become {target}."})
    return retro, False


def retro_generate_agenda(retro: Retrospective, *, now=None) -> Retrospective:
    """(Re)build the retro's agenda from current data and store it with its time."""
    now = now or timezone.now()
    with transaction.atomic():
        retro = _locked(retro)
        retro.agenda_markdown = build_agenda(retro)
        retro.agenda_generated_at = now
        retro.save(update_fields=["agenda_markdown", "agenda_generated_at", "updated_at"])
    return retro



def retro_checks(*, now=None) -> dict:
    """The scheduled retro check.

    - A retro starting within the reminder lead time gets its agenda built (if
      it has none) and its facilitator is reminded, once (`notify_once`).
    - A retro not marked held within two days of its start is flagged missed,
      once, and its facilitator told.
    Each retro is handled on its own: one failure is logged, the rest still run.
    """
    now = now or timezone.now()
    lead = reminder_lead()
    result = {"agendas": 0, "reminders": 0, "missed": 0, "failed": 0}
    upcoming = Retrospective.objects.scheduled().filter(
        scheduled_start__lte=now + lead, scheduled_start__gt=now - MISSED_AFTER
    )
    for retro in upcoming.select_related("project", "series", "facilitator"):
        try:
            with transaction.atomic():
                # An agenda built before the reminder window (e.g. on demand, weeks ago) is rebuilt once.
                if retro.agenda_generated_at is None or retro.agenda_generated_at < retro.scheduled_start - lead:
                    retro = retro_generate_agenda(retro, now=now)
                    result["agendas"] += 1
                if retro.facilitator_id and retro.scheduled_start > now:
                    local = retro.scheduled_start.astimezone(retro.series.zone)
                    sent = notify_once(
                        key=f"retros.reminder:{retro.pk}",
                        users=[retro.facilitator],
                        subject=f"Reminder: you facilitate the {retro.project.name} retro on {local:%a %d %b %H:%M}",
                        body=f"Agenda ({absolute_url(admin_change_url(retro))}):\n\n{retro.agenda_markdown}",
                        project=retro.project,
                    )
                    result["reminders"] += sent is not None
        except Exception:
            logger.exception("retro check failed for retro %s", retro.pk)
            result["failed"] += 1
    for retro in Retrospective.objects.missed(now).filter(missed_flagged_at__isnull=True).select_related(
        "project", "series", "facilitator"
    ):
        try:
            with transaction.atomic():
                # The filtered update is the "once": a second worker updates nothing.
                flagged = Retrospective.objects.filter(pk=retro.pk, missed_flagged_at__isnull=True,
                                                       status=RetroStatus.SCHEDULED).update(missed_flagged_at=now)
                if not flagged:
                    continue
                result["missed"] += 1
                notify_once(
                    key=f"retros.missed:{retro.pk}",
                    users=[retro.facilitator] if retro.facilitator_id else [],
                    subject=f"Missed retro: {retro}",
                    body=f"The retro was not marked held within two days of its start. "
                         f"Mark it held or cancelled: {absolute_url(admin_change_url(retro))}",
                    project=retro.project,
                )
        except Exception:
            logger.exception("missed-retro check failed for retro %s", retro.pk)
            result["failed"] += 1
    return result


def retro_mark_held(retro: Retrospective, *, actor, held_at=None, attendees=None, notes=None) -> Retrospective:
    """Record that a scheduled retro took place. Only a scheduled retro can be marked held;
    marking a held retro again changes nothing."""
    with transaction.atomic():
        retro, unchanged = _locked_for_transition(retro, RetroStatus.HELD)
        if unchanged:
            return retro
        now = timezone.now()
        held_at = held_at or now
        if held_at > now + timedelta(hours=1):
            raise ValidationError({"held_at": "held_at cannot be in the future."})
        if held_at < retro.scheduled_start - timedelta(days=1):
            raise ValidationError({"held_at": "A retro cannot be held more than a day before its scheduled start."})
        retro.status = RetroStatus.HELD
        retro.held_at = held_at
        fields = ["status", "held_at", "updated_at"]
        if notes is not None:
            retro.notes, retro.notes_html = notes, render_markdown(notes)
            fields += ["notes", "notes_html"]
        retro.save(update_fields=fields)
        if attendees is not None:
            retro.attendees.set(attendees)
        log_evidence(
            project=retro.project, kind="retrospective", actor=actor,
            summary=f"Retro #{retro.sequence} held ({retro.series.cadence})",
            payload={"retro": retro.pk, "series": retro.series_id, "held_at": held_at.isoformat(),
                     "attendees": sorted(u.get_username() for u in retro.attendees.all())},
        )
    return retro


def retro_cancel(retro: Retrospective, *, actor, reason: str) -> Retrospective:
    """Cancel a scheduled retro; the reason is required and kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the retro is cancelled."})
    with transaction.atomic():
        retro, unchanged = _locked_for_transition(retro, RetroStatus.CANCELLED)
        if unchanged:
            return retro
        retro.status = RetroStatus.CANCELLED
        retro.cancel_reason = reason
        retro.save(update_fields=["status", "cancel_reason", "updated_at"])
        log_evidence(
            project=retro.project, kind="retrospective", actor=actor,
            summary=f"Retro #{retro.sequence} cancelled: {reason}"[:500],
            payload={"retro": retro.pk, "series": retro.series_id, "reason": reason},
        )
    return retro


def retro_update_notes(retro: Retrospective, *, actor, notes: str) -> Retrospective:
    """Replace the retro's notes (Markdown); the HTML is rendered and sanitized here, once."""
    if notes is None:
        raise ValidationError({"notes": "notes are required (send an empty string to clear them)."})
    with transaction.atomic():
        retro = _locked(retro)
        if retro.status == RetroStatus.CANCELLED:
            raise ValidationError({"notes": "A cancelled retro takes no notes."})
        retro.notes, retro.notes_html = notes, render_markdown(notes)
        retro.save(update_fields=["notes", "notes_html", "updated_at"])
    return retro

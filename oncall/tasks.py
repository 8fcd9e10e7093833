"""Scheduled work of the on-call app (oncall/schedules.py)."""

from django.utils import timezone

from oncall.escalation import fire_due


def escalations_tick() -> int:
    """Fire every escalation step that is due (each exactly once, whatever the number of workers)."""
    return fire_due(now=timezone.now())


def status_updates_due() -> int:
    """Remind incident commanders of stakeholder updates that are due."""
    from oncall.status_updates import updates_due

    return updates_due(now=timezone.now())

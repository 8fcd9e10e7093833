"""Idempotent registration of every app's django-q2 schedules."""

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from opsportal.registry import OPSPORTAL_APPS, app_modules

ALLOWED_KEYS = {"name", "func", "schedule_type", "minutes", "cron", "kwargs", "args", "repeats", "cluster"}


def collect_schedules() -> list[dict]:
    entries: list[dict] = []
    seen: set[str] = set()
    for module in app_modules("schedules"):
        for entry in getattr(module, "SCHEDULES", []):
            unknown = set(entry) - ALLOWED_KEYS
            if unknown or "name" not in entry or "func" not in entry:
                raise ImproperlyConfigured(f"{module.__name__}: bad schedule entry {entry!r}")
            if entry["name"] in seen:
                raise ImproperlyConfigured(f"Schedule name {entry['name']!r} is declared twice")
            seen.add(entry["name"])
            entries.append(entry)
    return entries


def register_schedules() -> list[tuple[str, bool]]:
    """Upsert one Schedule row per entry, keyed by name. Returns (name, created) pairs.

    An existing row keeps its next_run so re-running does not shift the cadence.
    """
    results = []
    with transaction.atomic():
        for entry in collect_schedules():
            defaults = {
                "func": entry["func"],
                "schedule_type": entry.get("schedule_type", Schedule.MINUTES),
                "minutes": entry.get("minutes"),
                "cron": entry.get("cron"),
                "kwargs": repr(entry.get("kwargs", {})) if entry.get("kwargs") else "",
                "args": repr(tuple(entry["args"])) if entry.get("args") else "",
                "repeats": entry.get("repeats", -1),
                "cluster": entry.get("cluster"),
            }
            schedule, created = Schedule.objects.update_or_create(name=entry["name"], defaults=defaults)
            if created:
                schedule.next_run = timezone.now()
                schedule.save(update_fields=["next_run"])
            results.append((entry["name"], created))
    return results


def is_ours(name: str | None) -> bool:
    """A schedule name in an OpsPortal app's namespace (`<app>.<job>`), i.e. one only
    `setup_schedules` manages. Unnamed and other schedules (made by hand) are left alone."""
    return bool(name) and name.split(".", 1)[0] in OPSPORTAL_APPS and "." in name


def remove_undeclared_schedules() -> list[str]:
    """Delete the named schedules of OpsPortal apps that no app declares any more
    (a job renamed or dropped), so a removed function is not called every few minutes
    and failing. Returns the names removed."""
    declared = {entry["name"] for entry in collect_schedules()}
    stale = [
        schedule for schedule in Schedule.objects.exclude(name__in=declared).exclude(name=None).exclude(name="")
        if is_ours(schedule.name)
    ]
    for schedule in stale:
        schedule.delete()
    return sorted(schedule.name for schedule in stale)

"""Idempotent registration of every app's django-q2 schedules."""

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from opsportal.registry import app_modules

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

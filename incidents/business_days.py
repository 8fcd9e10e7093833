"""Business-day arithmetic in a project's time zone (Monday to Friday; no holiday calendar yet)."""

import zoneinfo
from datetime import datetime, time, timedelta

SATURDAY = 5


def add_business_days(start: datetime, days: int, time_zone: str) -> datetime:
    """`days` business days after `start`, at the same local time, returned in `start`'s zone.

    A start on a weekend counts from Monday 00:00 local time, so an incident
    reported on Saturday with a one-business-day target is due Tuesday 00:00.
    """
    zone = zoneinfo.ZoneInfo(time_zone or "UTC")
    local = start.astimezone(zone)
    if local.weekday() >= SATURDAY:
        monday = local.date() + timedelta(days=7 - local.weekday())
        local = datetime.combine(monday, time(0, 0), tzinfo=zone)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < SATURDAY:
            remaining -= 1
    # Re-attach the wall-clock time in the zone (DST-safe), then convert back.
    due = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return due.astimezone(start.tzinfo)

"""Time windows: the SLO's full window (rolling, calendar month or quarter) and the alert windows."""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from slos.models import WindowKind

# The burn-rate windows of the Workbook's multi-window alerts, keyed as the API shows them.
ALERT_WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
}


def duration_label(duration: timedelta) -> str:
    """`5m`, `1h`, `3d`; other lengths in the largest unit that divides them, down to seconds."""
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class SLOWindow:
    """The SLO's full window at `end` (now): data from `start` to `end`.

    `length` is the whole period (30 days, or the full calendar month/quarter even
    while it is still running); the burn-rate factors scale with it.
    """

    label: str
    start: datetime
    end: datetime
    length: timedelta


def _calendar_start(local: datetime, months: int) -> tuple[datetime, datetime]:
    first_month = local.month if months == 1 else 3 * ((local.month - 1) // 3) + 1
    start = datetime(local.year, first_month, 1, tzinfo=local.tzinfo)
    month_after = first_month + months
    year_after = local.year + (month_after - 1) // 12
    month_after = (month_after - 1) % 12 + 1
    return start, datetime(year_after, month_after, 1, tzinfo=local.tzinfo)


def slo_window(slo, now: datetime) -> SLOWindow:
    """The full window of `slo` at `now`; calendar windows start at local midnight in the SLO's zone."""
    if slo.window_kind == WindowKind.ROLLING:
        length = timedelta(days=slo.window_days)
        return SLOWindow(slo.window_label, now - length, now, length)
    zone = zoneinfo.ZoneInfo(slo.zone_name)
    months = 1 if slo.window_kind == WindowKind.CALENDAR_MONTH else 3
    start, period_end = _calendar_start(now.astimezone(zone), months)
    # Subtract in UTC so a DST change inside the period counts its real hours.
    length = period_end.astimezone(zoneinfo.ZoneInfo("UTC")) - start.astimezone(zoneinfo.ZoneInfo("UTC"))
    return SLOWindow(slo.window_label, start, now, length)

"""Calendar arithmetic for retro cadences and review periods, in a project's time zone.

Pure functions (no database), so the rules are easy to test:
- a retro keeps its local wall time across DST changes (10:00 stays 10:00;
  the UTC offset changes instead);
- monthly and quarterly retros fall on the start's day of month, clamped to
  the month's end but anchored on the start day (Jan 31 -> Feb 28/29 -> Mar 31);
- review periods are the local day, ISO week (Monday), month and quarter.
"""

import calendar
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime

# A start given as a date only means this local time.
DEFAULT_RETRO_TIME = time(10, 0)
MAX_COUNT = 260
# Series far outside this range are typos; they would also overflow the calendar.
MIN_YEAR, MAX_YEAR = 1970, 2200
CADENCES = ("weekly", "biweekly", "monthly", "quarterly")
REVIEW_CADENCES = ("daily", "weekly", "monthly", "quarterly")


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """`day` moved by `months`, on `anchor_day` (default: day.day) clamped to the month's last day."""
    anchor_day = anchor_day or day.day
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def localize(day: date, wall_time: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The aware instant of a local date and wall time.

    Ambiguous times (autumn fall-back) take the first occurrence; a time that
    does not exist (spring gap) is moved forward by the gap, as clocks do.
    """
    naive = datetime.combine(day, wall_time)
    aware = naive.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC: a non-existent wall time comes back shifted.
    return aware.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)


def retro_occurrences(first: datetime, cadence: str, count: int) -> list[datetime]:
    """`count` local start times from `first` (aware, in the project's zone) on `cadence`."""
    zone = first.tzinfo
    first_day, wall_time = first.date(), first.timetz().replace(tzinfo=None)
    result = []
    for index in range(count):
        if cadence == "weekly":
            day = first_day + timedelta(weeks=index)
        elif cadence == "biweekly":
            day = first_day + timedelta(weeks=2 * index)
        elif cadence == "monthly":
            day = add_months(first_day, index, anchor_day=first_day.day)
        elif cadence == "quarterly":
            day = add_months(first_day, 3 * index, anchor_day=first_day.day)
        else:
            raise ValidationError({"cadence": f"cadence must be one of {', '.join(CADENCES)}."})
        result.append(localize(day, wall_time, zone))
    return result


def previous_occurrence(first: datetime, cadence: str) -> datetime:
    """The start one step before `first` (the window a first retro looks back over)."""
    day = first.date()
    if cadence == "weekly":
        day -= timedelta(weeks=1)
    elif cadence == "biweekly":
        day -= timedelta(weeks=2)
    elif cadence == "monthly":
        day = add_months(day, -1)
    else:
        day = add_months(day, -3)
    return localize(day, first.timetz().replace(tzinfo=None), first.tzinfo)


def parse_start(value, zone: zoneinfo.ZoneInfo) -> datetime:
    """A date (`2026-01-31`, meaning 10:00 local) or date-time in the project's zone, as an aware datetime.

    A date-time with an explicit offset is converted into the project's zone.
    """
    if isinstance(value, datetime):
        parsed, parsed_date = value, None
    elif isinstance(value, date):
        parsed, parsed_date = None, value
    else:
        raw = str(value or "").strip()
        try:
            parsed_date = parse_date(raw)
            parsed = None if parsed_date else parse_datetime(raw)
        except ValueError:
            parsed_date = parsed = None
        if parsed_date is None and parsed is None:
            raise ValidationError(
                {"start": f"start must be a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM), got {raw!r}."}
            )
    if parsed_date is not None:
        return localize(parsed_date, DEFAULT_RETRO_TIME, zone)
    if parsed.tzinfo is None:
        return localize(parsed.date(), parsed.time(), zone)
    return parsed.astimezone(zone)


def validate_start_range(first: datetime) -> datetime:
    if not MIN_YEAR <= first.year <= MAX_YEAR:
        raise ValidationError({"start": f"start must be between {MIN_YEAR} and {MAX_YEAR}, got {first.date()}."})
    return first


def validate_count(value) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = None
    if count is None or isinstance(value, bool) or not 1 <= count <= MAX_COUNT or str(count) != str(value).strip():
        raise ValidationError({"count": f"count must be a whole number from 1 to {MAX_COUNT}, got {value!r}."})
    return count


def validate_cadence(value) -> str:
    if value not in CADENCES:
        raise ValidationError({"cadence": f"cadence must be one of {', '.join(CADENCES)}, got {value!r}."})
    return value


# --- review periods ------------------------------------------------------------

def period_containing(cadence: str, day: date) -> tuple[date, date]:
    """(first day, day after the last day) of the review period containing `day`."""
    if cadence == "daily":
        return day, day + timedelta(days=1)
    if cadence == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(weeks=1)
    if cadence == "monthly":
        start = day.replace(day=1)
        return start, add_months(start, 1)
    if cadence == "quarterly":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return start, add_months(start, 3)
    raise ValueError(f"unknown review cadence {cadence!r}")


def previous_period(cadence: str, period_start: date) -> tuple[date, date]:
    return period_containing(cadence, period_start - timedelta(days=1))


def next_period(cadence: str, period_start: date) -> tuple[date, date]:
    return period_containing(cadence, period_containing(cadence, period_start)[1])


def local_midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return localize(day, time(0, 0), zone)


def project_zone(project) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(project.time_zone or "UTC")

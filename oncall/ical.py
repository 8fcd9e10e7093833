"""iCalendar feeds of on-call shifts and import of shifts from PagerDuty/Opsgenie exports and shared calendars.

Import: each VEVENT is a shift of one person, found by the event's ATTENDEE (mailto: or a bare
address, matched case-insensitively to an active user's email) or, without one, by SUMMARY:
`On Call - <name or username> - ...` (PagerDuty's shape), or a title that is the person's username,
full name or email (a shared Google calendar, as Grafana OnCall's iCal schedules read). Each becomes
an override of the schedule (the exported shifts are who actually covers). All-day events span
local midnight to midnight in the schedule's zone. Recurring events (RRULE) are refused: both tools
export each shift as its own event. All events are imported or none; problems name the event.
"""

import zoneinfo
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from icalendar import Calendar, Event

from oncall.models import ScheduleOverride
from oncall.rotation import Shift, local_to_aware

MAX_EVENTS = 5000


def shifts_calendar(shifts: list[Shift], *, name: str, uid_prefix: str, stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//OpsPortal//On-call//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for shift in shifts:
        if shift.user is None:
            continue
        event = Event()
        who = shift.user.get_username()
        event.add("uid", f"{uid_prefix}-{who}-{shift.start:%Y%m%dT%H%M%SZ}@opsportal")
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        source = "override" if shift.override else (shift.layer or "")
        event.add("summary", f"On call - {who} - {name}" + (f" ({source})" if source else ""))
        calendar.add_component(event)
    return calendar.to_ical()


def _instant(value, zone) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else local_to_aware(value, zone)  # floating time: the schedule's zone
    if isinstance(value, date):
        return local_to_aware(datetime.combine(value, datetime.min.time()), zone)
    raise ValueError("not a date or date-time")


def _person(event, users_by_email, users_by_name):
    attendee = event.get("attendee")
    if isinstance(attendee, list):
        attendee = attendee[0] if attendee else None
    if attendee:
        address = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:").strip().lower()
        return users_by_email.get(address), address
    summary = str(event.get("summary", "")).strip()
    parts = [p.strip() for p in summary.split(" - ")]
    if len(parts) >= 2 and parts[0].lower() == "on call":  # PagerDuty: On Call - <name> - <schedule>
        return users_by_name.get(parts[1].lower()), parts[1]
    # A shared calendar (Google Calendar, as Grafana OnCall's iCal schedules use): the title is the
    # person, by username, full name or email address.
    if "@" in summary:
        return users_by_email.get(summary.lower()), summary
    return users_by_name.get(summary.lower()), summary


@transaction.atomic
def import_shifts(*, schedule, data: bytes, actor=None) -> list[ScheduleOverride]:
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValidationError({"file": f"Not an iCalendar file: {exc}"}) from exc
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise ValidationError({"file": "The calendar has no events."})
    if len(events) > MAX_EVENTS:
        raise ValidationError({"file": f"At most {MAX_EVENTS} events per import."})
    users = get_user_model().objects.filter(is_active=True)
    users_by_email = {u.email.lower(): u for u in users.exclude(email="")}
    users_by_name = {}
    for user in users.filter(~Q(username="")):
        users_by_name[user.get_username().lower()] = user
        full = user.get_full_name().strip().lower()
        if full:
            users_by_name.setdefault(full, user)
    problems, overrides = [], []
    for index, event in enumerate(events):
        label = f"event {index + 1} ({event.get('uid', 'no UID')})"
        if event.get("rrule"):
            problems.append(f"{label}: recurring events are not imported; export each shift.")
            continue
        try:
            start = _instant(event.decoded("dtstart"), zone)
            end_value = event.decoded("dtend") if event.get("dtend") else None
            if end_value is None and event.get("duration"):
                end = start + event.decoded("duration")
            elif end_value is not None:
                end = _instant(end_value, zone)
            else:
                end = start + timedelta(days=1) if not isinstance(event.decoded("dtstart"), datetime) else start
        except (KeyError, ValueError) as exc:
            problems.append(f"{label}: no readable start/end ({exc}).")
            continue
        user, who = _person(event, users_by_email, users_by_name)
        if user is None:
            problems.append(f"{label}: no active user for {who!r}.")
            continue
        if end <= start:
            problems.append(f"{label}: ends before it starts.")
            continue
        overrides.append(ScheduleOverride(schedule=schedule, user=user, start=start, end=end, created_by=actor,
                                          reason=f"Imported: {str(event.get('summary', ''))[:250]}"))
    if problems:
        raise ValidationError({"file": problems})
    return ScheduleOverride.objects.bulk_create(overrides)

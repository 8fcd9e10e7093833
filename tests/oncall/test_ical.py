"""iCalendar: feeds per schedule and per person (parsed back with icalendar), import of an export."""

from datetime import UTC, datetime
from pathlib import Path

import time_machine
from icalendar import Calendar

from oncall.models import ScheduleOverride

SAMPLE = Path(__file__).parent / "samples" / "pagerduty_shape_generated.ics"
URL = "/api/v1/schedules/"


def events(response):
    assert response["Content-Type"].startswith("text/calendar")
    return [(str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend"))
            for e in Calendar.from_ical(response.content).walk("VEVENT")]


def test_schedule_feed_lists_shifts(api_as, viewer, weekly_berlin):
    with time_machine.travel(datetime(2026, 4, 8, tzinfo=UTC), tick=False):
        response = api_as(viewer).get(f"{URL}{weekly_berlin.pk}/calendar/")
    assert response.status_code == 200
    found = events(response)
    # From a week back (1 April, inside bob's week) to twelve weeks ahead (1 July, carol's week).
    assert found[0] == ("On call - bob - Primary (Primary)", datetime(2026, 4, 1, tzinfo=UTC),
                        datetime(2026, 4, 6, 7, tzinfo=UTC))
    assert found[1][1:] == (datetime(2026, 4, 6, 7, tzinfo=UTC), datetime(2026, 4, 13, 7, tzinfo=UTC))
    assert [who.split(" - ")[1] for who, *_ in found] == ["bob", "carol", "alice"] * 4 + ["bob", "carol"]
    assert found[-1][2] == datetime(2026, 7, 1, tzinfo=UTC)


def test_person_feed_has_only_their_shifts(api_as, project, weekly_berlin, people):
    from tests.memberships import member
    member(people["bob"], project, "viewer")
    with time_machine.travel(datetime(2026, 4, 8, tzinfo=UTC), tick=False):
        found = events(api_as(people["bob"]).get(f"{URL}my-calendar/"))
    assert len(found) == 5 and all(" - bob - " in summary for summary, *_ in found)


def test_import_of_an_export_creates_overrides(api_as, manager, operator, weekly_berlin, people):
    people["alice"].first_name, people["alice"].last_name = "Alice", "A"
    people["alice"].save()
    with SAMPLE.open("rb") as handle:
        assert api_as(operator).post(f"{URL}{weekly_berlin.pk}/import/", {"file": handle}).status_code == 403
    with SAMPLE.open("rb") as handle:
        response = api_as(manager).post(f"{URL}{weekly_berlin.pk}/import/", {"file": handle})
    assert response.status_code == 201, response.json()
    assert response.json()["imported"] == 3
    rows = list(ScheduleOverride.objects.order_by("start").values_list("user__username", "start", "end"))
    assert rows == [
        ("alice", datetime(2026, 4, 6, 7, tzinfo=UTC), datetime(2026, 4, 13, 7, tzinfo=UTC)),
        ("bob", datetime(2026, 4, 13, 7, tzinfo=UTC), datetime(2026, 4, 20, 7, tzinfo=UTC)),  # BOB@: any case
        ("carol", datetime(2026, 4, 20, 7, tzinfo=UTC), datetime(2026, 4, 21, 7, tzinfo=UTC)),  # from SUMMARY
    ]


def test_import_with_an_unknown_person_writes_nothing(api_as, manager, weekly_berlin, people, tmp_path):
    people["carol"].delete()
    with SAMPLE.open("rb") as handle:
        response = api_as(manager).post(f"{URL}{weekly_berlin.pk}/import/", {"file": handle})
    assert response.status_code == 400
    assert any("carol" in problem for problem in response.json()["file"])
    assert not ScheduleOverride.objects.exists()


def test_import_refuses_garbage_and_recurring_events(api_as, manager, weekly_berlin, tmp_path):
    junk = tmp_path / "junk.ics"
    junk.write_bytes(b"this is not a calendar")
    with junk.open("rb") as handle:
        response = api_as(manager).post(f"{URL}{weekly_berlin.pk}/import/", {"file": handle})
    assert response.status_code == 400 and "file" in response.json()
    recurring = tmp_path / "rrule.ics"
    recurring.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x//EN\r\nBEGIN:VEVENT\r\nUID:r1\r\n"
                          b"DTSTAMP:20260401T000000Z\r\nDTSTART:20260406T070000Z\r\nDTEND:20260407T070000Z\r\n"
                          b"RRULE:FREQ=WEEKLY\r\nATTENDEE:mailto:alice@example.com\r\nSUMMARY:On Call\r\n"
                          b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    with recurring.open("rb") as handle:
        response = api_as(manager).post(f"{URL}{weekly_berlin.pk}/import/", {"file": handle})
    assert response.status_code == 400 and "recurring" in response.json()["file"][0]
    assert not ScheduleOverride.objects.exists()


GOOGLE_QUALITY = Path(__file__).parent / "samples" / "google_calendar_grafana_oncall_quality.ics"
GOOGLE_EMAIL = Path(__file__).parent / "samples" / "google_calendar_grafana_oncall_email_case.ics"


def test_import_of_a_shared_google_calendar_titled_by_username(api_as, manager, weekly_berlin):
    """A real Google Calendar export (from Grafana OnCall's tests): 26 events titled user1, user2, test or
    wrong, timed (UTC) and all-day (midnight to midnight in the schedule's zone, Berlin)."""
    from tests.factories import UserFactory

    for name in ("user1", "user2", "test", "wrong"):
        UserFactory(username=name)
    with GOOGLE_QUALITY.open("rb") as handle:
        response = api_as(manager).post(f"{URL}{weekly_berlin.pk}/import/", {"file": handle})
    assert response.status_code == 201, response.json()
    assert response.json()["imported"] == 26
    rows = ScheduleOverride.objects.filter(schedule=weekly_berlin)
    assert {name: rows.filter(user__username=name).count() for name in ("user1", "user2", "test", "wrong")} == {
        "user1": 15, "user2": 5, "test": 1, "wrong": 5}
    first = rows.order_by("start").first()
    assert (first.user.username, first.start, first.end) == (
        "user1", datetime(2022, 8, 1, 12, 30, tzinfo=UTC), datetime(2022, 8, 1, 13, 30, tzinfo=UTC))
    all_day = rows.get(start=datetime(2022, 9, 1, 22, tzinfo=UTC))  # 2 September, Berlin summer time
    assert (all_day.user.username, all_day.end) == ("user1", datetime(2022, 9, 2, 22, tzinfo=UTC))
    four_days = rows.get(start=datetime(2022, 9, 11, 22, tzinfo=UTC))  # 12-16 September, all day
    assert four_days.end == datetime(2022, 9, 15, 22, tzinfo=UTC)


def test_import_matches_a_title_that_is_an_email_in_any_case(api_as, manager, weekly_berlin):
    from tests.factories import UserFactory

    tester = UserFactory(username="tester", email="test@test.test")
    with GOOGLE_EMAIL.open("rb") as handle:  # SUMMARY:Test@TEST.test
        response = api_as(manager).post(f"{URL}{weekly_berlin.pk}/import/", {"file": handle})
    assert response.status_code == 201, response.json()
    override = ScheduleOverride.objects.get(schedule=weekly_berlin)
    assert (override.user, override.start, override.end) == (
        tester, datetime(2023, 2, 6, 11, tzinfo=UTC), datetime(2023, 2, 6, 12, tzinfo=UTC))


def test_a_google_calendar_naming_someone_unknown_imports_nothing(api_as, manager, weekly_berlin):
    from tests.factories import UserFactory

    for name in ("user1", "user2", "test"):  # nobody called "wrong"
        UserFactory(username=name)
    with GOOGLE_QUALITY.open("rb") as handle:
        response = api_as(manager).post(f"{URL}{weekly_berlin.pk}/import/", {"file": handle})
    assert response.status_code == 400
    problems = response.json()["file"]
    assert len(problems) == 5 and all("'wrong'" in problem for problem in problems)
    assert not ScheduleOverride.objects.exists()

"""Worked examples of who is on call (issue #19): DST, overrides, restrictions, gaps."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall.models import Rotation
from oncall.rotation import ScheduleClock, oncall_user
from oncall.services import override_create, schedule_create
from tests.oncall.conftest import layer

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def who(schedule, at):
    user = oncall_user(schedule, at)
    return user.username if user else None


def final(schedule, start, end):
    return [(s.user.username if s.user else None, s.start, s.end, s.layer, s.override)
            for s in ScheduleClock(schedule, start=start, end=end).final(start, end)]


def test_weekly_handoff_stays_at_0900_local_across_march_dst(weekly_berlin):
    # Alice: Mon 23 Mar 09:00 CET (08:00 UTC) .. Mon 30 Mar 09:00 CEST (07:00 UTC): 167 hours.
    assert who(weekly_berlin, utc(2026, 3, 23, 7, 59)) is None  # before the first handoff
    assert who(weekly_berlin, utc(2026, 3, 23, 8, 0)) == "alice"
    assert who(weekly_berlin, utc(2026, 3, 30, 6, 59, 59)) == "alice"
    assert who(weekly_berlin, utc(2026, 3, 30, 7, 0)) == "bob"
    assert who(weekly_berlin, berlin(2026, 4, 6, 8, 59)) == "bob"
    assert who(weekly_berlin, berlin(2026, 4, 6, 9, 0)) == "carol"
    assert who(weekly_berlin, berlin(2026, 4, 13, 9, 0)) == "alice"  # round again
    shifts = [(s[0], s[1], s[2]) for s in final(weekly_berlin, utc(2026, 3, 23, 8), utc(2026, 4, 6, 7))]
    assert shifts == [("alice", utc(2026, 3, 23, 8), utc(2026, 3, 30, 7)),
                      ("bob", utc(2026, 3, 30, 7), utc(2026, 4, 6, 7))]
    assert shifts[0][2] - shifts[0][1] == timedelta(hours=167)


def test_weekly_handoff_stays_at_0900_local_across_october_dst(weekly_berlin):
    # 30 weeks after the first handoff: Mon 19 Oct (k=30, alice) .. Mon 26 Oct 09:00 CET (08:00 UTC): 169 hours.
    assert who(weekly_berlin, berlin(2026, 10, 19, 9, 0)) == "alice"
    assert who(weekly_berlin, utc(2026, 10, 26, 7, 30)) == "alice"  # 08:30 local: still alice
    assert who(weekly_berlin, utc(2026, 10, 26, 8, 0)) == "bob"  # 09:00 CET
    clock = ScheduleClock(weekly_berlin, start=utc(2026, 10, 20), end=utc(2026, 10, 21))
    shift = clock.oncall_at(utc(2026, 10, 20))["layers"][0][1]
    assert (shift.start, shift.end) == (utc(2026, 10, 19, 7), utc(2026, 10, 26, 8))
    assert shift.end - shift.start == timedelta(hours=169)


def test_override_inside_a_shift_splits_it(weekly_berlin, people):
    override_create(schedule=weekly_berlin, user=people["dave"], start=berlin(2026, 4, 1, 18),
                    end=berlin(2026, 4, 1, 22), reason="Bob at the dentist")
    assert who(weekly_berlin, berlin(2026, 4, 1, 17, 59)) == "bob"
    assert who(weekly_berlin, berlin(2026, 4, 1, 18)) == "dave"
    assert who(weekly_berlin, berlin(2026, 4, 1, 21, 59)) == "dave"
    assert who(weekly_berlin, berlin(2026, 4, 1, 22)) == "bob"
    answer = ScheduleClock(weekly_berlin, start=berlin(2026, 4, 1, 19), end=berlin(2026, 4, 1, 20)).oncall_at(
        berlin(2026, 4, 1, 19))
    assert answer["layers"][0][1].user.username == "bob"  # the layer still says bob; the override answers
    assert answer["override"].user.username == "dave"
    assert final(weekly_berlin, berlin(2026, 4, 1), berlin(2026, 4, 2)) == [
        ("bob", berlin(2026, 4, 1), berlin(2026, 4, 1, 18), "Primary", False),
        ("dave", berlin(2026, 4, 1, 18), berlin(2026, 4, 1, 22), "", True),
        ("bob", berlin(2026, 4, 1, 22), berlin(2026, 4, 2), "Primary", False),
    ]


def test_newest_overlapping_override_wins(weekly_berlin, people):
    override_create(schedule=weekly_berlin, user=people["dave"], start=berlin(2026, 4, 1, 8),
                    end=berlin(2026, 4, 1, 20))
    override_create(schedule=weekly_berlin, user=people["carol"], start=berlin(2026, 4, 1, 12),
                    end=berlin(2026, 4, 1, 14))
    assert [who(weekly_berlin, berlin(2026, 4, 1, h)) for h in (7, 9, 12, 14, 20)] == [
        "bob", "dave", "carol", "dave", "bob"]


def test_business_hours_restriction_leaves_nights_and_weekends_to_the_next_layer(project, people):
    schedule = schedule_create(project=project, name="Follow the sun", time_zone="Europe/Berlin", layers=[
        layer("Office hours", [people["alice"], people["bob"]], weekdays="12345", start=time(9), end=time(17)),
        layer("Nights", [people["night1"], people["night2"]]),
    ])
    # Week of 30 March: office layer k=1 (bob), night layer k=1 (night2).
    assert who(schedule, berlin(2026, 4, 1, 8, 59)) == "night2"
    assert who(schedule, berlin(2026, 4, 1, 9)) == "bob"
    assert who(schedule, berlin(2026, 4, 1, 16, 59)) == "bob"
    assert who(schedule, berlin(2026, 4, 1, 17)) == "night2"
    assert who(schedule, berlin(2026, 4, 4, 12)) == "night2"  # Saturday
    assert [(u, s, e) for u, s, e, *_ in final(schedule, berlin(2026, 4, 2), berlin(2026, 4, 3))] == [
        ("night2", berlin(2026, 4, 2), berlin(2026, 4, 2, 9)),
        ("bob", berlin(2026, 4, 2, 9), berlin(2026, 4, 2, 17)),
        ("night2", berlin(2026, 4, 2, 17), berlin(2026, 4, 3)),
    ]
    clock = ScheduleClock(schedule, start=berlin(2026, 4, 4), end=berlin(2026, 4, 6))
    office = clock.layer_shifts(berlin(2026, 4, 4), berlin(2026, 4, 6))[0][1]
    assert office == []  # the weekend has no office hours


def test_restriction_window_wrapping_midnight(project, people):
    schedule = schedule_create(project=project, name="Nights only", time_zone="Europe/Berlin", layers=[
        layer("Night", [people["night1"]], rotation=Rotation.DAILY, weekdays="5", start=time(22), end=time(6)),
    ])
    # Friday 3 April 22:00 .. Saturday 06:00 (the weekday is the window's start day).
    assert who(schedule, berlin(2026, 4, 3, 21, 59)) is None
    assert who(schedule, berlin(2026, 4, 3, 23)) == "night1"
    assert who(schedule, berlin(2026, 4, 4, 5, 59)) == "night1"
    assert who(schedule, berlin(2026, 4, 4, 6)) is None
    assert who(schedule, berlin(2026, 4, 4, 23)) is None  # Saturday night is not restricted in
    assert final(schedule, berlin(2026, 4, 3, 20), berlin(2026, 4, 4, 8)) == [
        (None, berlin(2026, 4, 3, 20), berlin(2026, 4, 3, 22), "", False),
        ("night1", berlin(2026, 4, 3, 22), berlin(2026, 4, 4, 6), "Night", False),
        (None, berlin(2026, 4, 4, 6), berlin(2026, 4, 4, 8), "", False),
    ]


def test_hours_rotation_counts_elapsed_hours_across_dst(project, people):
    schedule = schedule_create(project=project, name="12h", time_zone="Europe/Berlin", layers=[
        layer("Halves", [people["alice"], people["bob"]], rotation=Rotation.HOURS, shift_hours=12,
              first=(date(2026, 3, 28), time(9))),
    ])
    assert who(schedule, berlin(2026, 3, 28, 9)) == "alice"
    assert who(schedule, berlin(2026, 3, 28, 21)) == "bob"
    # 24 elapsed hours after Saturday 09:00 CET is Sunday 10:00 CEST.
    assert who(schedule, berlin(2026, 3, 29, 9, 30)) == "bob"
    assert who(schedule, berlin(2026, 3, 29, 10)) == "alice"


def test_daily_handoff_inside_the_dst_gap_uses_the_offset_before_it(project, people):
    schedule = schedule_create(project=project, name="Odd", time_zone="Europe/Berlin", layers=[
        layer("Daily", [people["alice"], people["bob"]], rotation=Rotation.DAILY,
              first=(date(2026, 3, 27), time(2, 30))),
    ])
    # 02:30 does not exist on 29 March: the handoff is at 01:30 UTC (03:30 CEST).
    assert who(schedule, utc(2026, 3, 29, 1, 29)) == "bob"
    assert who(schedule, utc(2026, 3, 29, 1, 30)) == "alice"
    assert who(schedule, berlin(2026, 3, 30, 2, 30)) == "bob"


def test_final_timeline_and_instant_answers_agree_over_a_year(weekly_berlin, people):
    override_create(schedule=weekly_berlin, user=people["dave"], start=berlin(2026, 4, 1, 18), end=berlin(2026, 4, 2))
    start = utc(2026, 3, 20)
    clock = ScheduleClock(weekly_berlin, start=start, end=start + timedelta(days=400))
    timeline = clock.final(start, start + timedelta(days=400))
    for hours in range(0, 24 * 400, 37):
        at = start + timedelta(hours=hours, minutes=17)
        covering = [s.user for s in timeline if s.start <= at < s.end]
        assert covering == [clock.oncall_at(at)["user"]], at


def test_gap_is_listed_with_nobody(weekly_berlin):
    found = final(weekly_berlin, utc(2026, 3, 22), utc(2026, 3, 24))
    assert found[0] == (None, utc(2026, 3, 22), utc(2026, 3, 23, 8), "", False)
    assert found[1][0] == "alice"

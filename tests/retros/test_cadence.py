"""Cadence arithmetic: month ends, leap years, DST in the project's zone, review periods."""

import zoneinfo
from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError

from retros.cadence import (
    add_months,
    local_midnight,
    parse_start,
    period_containing,
    previous_period,
    retro_occurrences,
    validate_count,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = zoneinfo.ZoneInfo("UTC")


def test_monthly_clamps_to_month_end_and_returns_to_the_start_day():
    first = datetime(2027, 1, 31, 10, 0, tzinfo=UTC)
    days = [moment.date() for moment in retro_occurrences(first, "monthly", 5)]
    assert days == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)]


def test_monthly_in_a_leap_year_uses_february_29():
    first = datetime(2028, 1, 31, 10, 0, tzinfo=UTC)
    days = [moment.date() for moment in retro_occurrences(first, "monthly", 3)]
    assert days == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]


def test_monthly_from_the_30th_does_not_drift_after_february():
    first = datetime(2027, 1, 30, 10, 0, tzinfo=UTC)
    days = [moment.date() for moment in retro_occurrences(first, "monthly", 4)]
    assert days == [date(2027, 1, 30), date(2027, 2, 28), date(2027, 3, 30), date(2027, 4, 30)]


def test_quarterly_from_feb_29_clamps_and_returns():
    first = datetime(2028, 2, 29, 10, 0, tzinfo=UTC)
    days = [moment.date() for moment in retro_occurrences(first, "quarterly", 5)]
    assert days == [date(2028, 2, 29), date(2028, 5, 29), date(2028, 8, 29), date(2028, 11, 29), date(2029, 2, 28)]


def test_quarterly_across_year_end():
    first = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    days = [moment.date() for moment in retro_occurrences(first, "quarterly", 2)]
    assert days == [date(2026, 11, 30), date(2027, 2, 28)]


def test_weekly_keeps_local_wall_time_across_spring_forward():
    # Europe/Berlin moves to summer time on 2027-03-28.
    first = parse_start("2027-03-22T10:00", BERLIN)
    a, b = retro_occurrences(first, "weekly", 2)
    assert (a.hour, b.hour) == (10, 10)
    assert a.utcoffset().total_seconds() == 3600 and b.utcoffset().total_seconds() == 7200
    assert a.isoformat() == "2027-03-22T10:00:00+01:00"
    assert b.isoformat() == "2027-03-29T10:00:00+02:00"
    assert (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() == 7 * 24 * 3600 - 3600  # an hour shorter


def test_biweekly_keeps_local_wall_time_across_fall_back_in_new_york():
    # America/New_York returns to standard time on 2026-11-01.
    first = parse_start("2026-10-26T10:00", NEW_YORK)
    moments = retro_occurrences(first, "biweekly", 3)
    assert [m.isoformat() for m in moments] == [
        "2026-10-26T10:00:00-04:00", "2026-11-09T10:00:00-05:00", "2026-11-23T10:00:00-05:00",
    ]


def test_nonexistent_local_time_moves_forward_by_the_gap():
    moment = parse_start("2027-03-28T02:30", BERLIN)
    assert moment.isoformat() == "2027-03-28T03:30:00+02:00"


def test_ambiguous_local_time_takes_the_first_occurrence():
    moment = parse_start("2026-10-25T02:30", BERLIN)
    assert moment.utcoffset().total_seconds() == 7200


def test_date_only_start_means_ten_local():
    assert parse_start("2027-01-31", BERLIN).isoformat() == "2027-01-31T10:00:00+01:00"


def test_start_with_an_offset_is_converted_to_the_project_zone():
    assert parse_start("2027-06-01T08:00:00+00:00", BERLIN).isoformat() == "2027-06-01T10:00:00+02:00"


@pytest.mark.parametrize("raw", ["", "tomorrow", "2027-02-30", "2027-13-01", "31/01/2027", "2027-01-01T25:00"])
def test_invalid_start_is_refused_naming_the_field(raw):
    with pytest.raises(ValidationError) as exc:
        parse_start(raw, BERLIN)
    assert "start" in exc.value.message_dict


@pytest.mark.parametrize("raw", [0, 261, -1, "abc", "2.5", None, True])
def test_invalid_count_is_refused(raw):
    with pytest.raises(ValidationError) as exc:
        validate_count(raw)
    assert "count" in exc.value.message_dict


@pytest.mark.parametrize("raw, expected", [(1, 1), ("260", 260), (12, 12)])
def test_valid_count(raw, expected):
    assert validate_count(raw) == expected


def test_add_months_negative_and_clamped():
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 15), -2) == date(2026, 11, 15)


@pytest.mark.parametrize("cadence, day, expected", [
    ("daily", date(2027, 3, 28), (date(2027, 3, 28), date(2027, 3, 29))),
    ("weekly", date(2027, 3, 28), (date(2027, 3, 22), date(2027, 3, 29))),  # a Sunday: ISO week from Monday
    ("monthly", date(2028, 2, 29), (date(2028, 2, 1), date(2028, 3, 1))),
    ("quarterly", date(2027, 12, 31), (date(2027, 10, 1), date(2028, 1, 1))),
    ("quarterly", date(2027, 4, 1), (date(2027, 4, 1), date(2027, 7, 1))),
])
def test_review_periods(cadence, day, expected):
    assert period_containing(cadence, day) == expected


def test_previous_period():
    assert previous_period("quarterly", date(2027, 1, 1)) == (date(2026, 10, 1), date(2027, 1, 1))
    assert previous_period("weekly", date(2027, 3, 22)) == (date(2027, 3, 15), date(2027, 3, 22))


def test_local_midnight_on_a_dst_day_is_a_23_hour_day():
    start, end = local_midnight(date(2027, 3, 28), BERLIN), local_midnight(date(2027, 3, 29), BERLIN)
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 23 * 3600
    assert start.timetz().replace(tzinfo=None) == time(0, 0)

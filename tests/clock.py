"""Awkward instants for tests that must hold on any day.

The same kinds of day as the CI faketime pass (.ci/faketime-pass): month ends,
a leap day, year end, just before and after midnight UTC, the days daylight-
saving time changes in Europe/Berlin, America/New_York and Australia/Sydney, a
Monday and a Sunday. Date-dependent tests parametrize over these and travel
there with time-machine, so they check every kind of day on every run instead
of only on the day CI happens to run.
"""

from datetime import UTC, datetime

import pytest
import time_machine

AWKWARD_INSTANTS = {
    "month-end-monday": datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
    "month-end-31st": datetime(2027, 1, 31, 22, 10, tzinfo=UTC),
    "month-end-30th": datetime(2027, 4, 30, 12, 0, tzinfo=UTC),
    "leap-day": datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    "before-leap-day-midnight": datetime(2028, 2, 28, 23, 55, tzinfo=UTC),
    "year-end": datetime(2026, 12, 31, 23, 58, tzinfo=UTC),
    "after-midnight-new-year": datetime(2027, 1, 1, 0, 3, tzinfo=UTC),
    "after-midnight-new-month": datetime(2027, 3, 1, 0, 1, tzinfo=UTC),
    "berlin-spring-forward": datetime(2027, 3, 28, 0, 59, tzinfo=UTC),
    "berlin-fall-back": datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    "new-york-spring-forward": datetime(2027, 3, 14, 7, 30, tzinfo=UTC),
    "new-york-fall-back": datetime(2026, 11, 1, 5, 45, tzinfo=UTC),
    "sydney-spring-forward": datetime(2026, 10, 3, 16, 30, tzinfo=UTC),
    "sydney-fall-back": datetime(2027, 4, 3, 15, 30, tzinfo=UTC),
    "monday": datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
    "sunday-before-midnight": datetime(2026, 12, 6, 23, 50, tzinfo=UTC),
}

awkward_instants = pytest.mark.parametrize(
    "awkward_now", list(AWKWARD_INSTANTS.values()), ids=list(AWKWARD_INSTANTS)
)


def frozen_at(instant: datetime):
    """`with frozen_at(awkward_now):` the clock stands still at that instant."""
    return time_machine.travel(instant, tick=False)


def clock_runs_from(instant: datetime):
    """An autouse fixture for a module whose samples carry fixed dates (Alertmanager payloads of
    November 2026, incidents detected on 1 November): the clock runs on from `instant`, a moment
    after every sample, so they are in the past on whatever day the suite runs (the faketime pass
    also picks days before them). `clock = clock_runs_from(...)` at module level."""

    @pytest.fixture(autouse=True)
    def clock(time_machine):
        time_machine.move_to(instant, tick=True)

    return clock

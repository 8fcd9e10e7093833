"""The retros demo and review periods hold on every awkward kind of day (tests/clock.py).

The demo's weekly review once had no findings on the last day of a month that
was also a Monday; these run the retros demo at each awkward instant instead of
only on the day CI happens to run.
"""

from datetime import timedelta

from opsportal import demo as core_demo
from retros import demo as retros_demo
from retros.cadence import next_period, period_containing, previous_period, project_zone
from retros.models import OperationalReview, Retrospective, ReviewStatus
from tests.clock import awkward_instants, frozen_at


def seed():
    context: dict = {}
    core_demo.seed(context)
    retros_demo.seed(context)
    return context


def counts():
    return Retrospective.objects.count(), OperationalReview.objects.count()


@awkward_instants
def test_retros_demo_tells_its_story_on_any_day(db, awkward_now):
    with frozen_at(awkward_now):
        context = seed()
        first = counts()
        seed()
    assert counts() == first  # idempotent, also at this instant
    project = context["project"]
    today = awkward_now.astimezone(project_zone(project)).date()
    current = OperationalReview.objects.filter(period_start__lte=today, period_end__gt=today)
    assert sorted(current.values_list("cadence", flat=True)) == ["daily", "monthly", "quarterly", "weekly"]
    # This week's review shows the missed retro, whatever the weekday (it once did not on Mondays).
    weekly = current.get(cadence="weekly").items.get(key="incident_review")
    missed = [f for f in weekly.findings if f["source"] == "retros" and "not held" in f["text"]]
    assert len(missed) == 1, weekly.findings
    assert Retrospective.objects.filter(missed_flagged_at__isnull=False).count() == 1
    completed = OperationalReview.objects.get(status=ReviewStatus.COMPLETED)
    assert completed.cadence == "weekly" and completed.decisions
    assert completed.period_end == current.get(cadence="weekly").period_start  # last week's, right before this one
    series = context["retro_series"]
    assert awkward_now - timedelta(days=400) < series.start


@awkward_instants
def test_review_periods_tile_the_calendar_around_any_day(awkward_now):
    day = awkward_now.date()
    for cadence in ("daily", "weekly", "monthly", "quarterly"):
        start, end = period_containing(cadence, day)
        assert start <= day < end
        assert previous_period(cadence, start)[1] == start  # no gap, no overlap
        assert next_period(cadence, start)[0] == end

"""Lists run a constant number of queries: the same count for 5 rows and for 100."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from retros import dashboard
from retros.models import CHECKLISTS, ChecklistItem, OperationalReview, RetroSeries, Retrospective
from retros.services import schedule_retros
from tests.factories import ProjectFactory, UserFactory


def make_rows(n: int, suffix: str):
    """n series (one retro each, held, with an attendee) and n daily reviews with checklists, in bulk."""
    project = ProjectFactory(slug=f"q-{suffix}")
    lead = UserFactory(username=f"lead-{suffix}")
    starts = [datetime(2020, 1, 6, 9, tzinfo=UTC) + timedelta(weeks=2 * i) for i in range(n)]
    series = RetroSeries.objects.bulk_create(
        RetroSeries(project=project, cadence="weekly", start=t, last_start=t, count=1, time_zone="UTC",
                    facilitator=lead) for t in starts
    )
    retros = Retrospective.objects.bulk_create(
        Retrospective(project=project, series=s, sequence=1, scheduled_start=s.start, facilitator=lead,
                      status="held", held_at=s.start) for s in series
    )
    Retrospective.attendees.through.objects.bulk_create(
        Retrospective.attendees.through(retrospective_id=r.pk, user_id=lead.pk) for r in retros
    )
    days = [date(2020, 1, 1) + timedelta(days=i) for i in range(n)]
    reviews = OperationalReview.objects.bulk_create(
        OperationalReview(project=project, cadence="daily", period_start=d, period_end=d + timedelta(days=1),
                          due=datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(days=1)) for d in days
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(review=r, key=key, position=i, done=True, done_by=lead,
                      findings=[{"severity": "info", "text": "x", "links": []}])
        for r in reviews for i, (key, _t, _h) in enumerate(CHECKLISTS["daily"])
    )
    return project


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [
    "/admin/retros/retroseries/", "/admin/retros/retrospective/", "/admin/retros/operationalreview/",
    "/admin/retros/operationalreview/?overdue=yes",
])
def test_admin_changelists_are_constant(url, client, manager, contributors):
    client.force_login(manager)
    make_rows(5, "a")
    client.get(url)  # warm the session
    small = count_queries(lambda: client.get(url))
    make_rows(95, "b")
    large = count_queries(lambda: client.get(url))
    assert small == large


@pytest.mark.parametrize("url", ["/api/v1/retro-series/", "/api/v1/retros/", "/api/v1/reviews/"])
def test_api_lists_are_constant(url, manager, api_as, contributors):
    client = api_as(manager)
    make_rows(5, "a")
    client.get(url)  # warm the token/session caches
    small = count_queries(lambda: client.get(url, {"page_size": 200}))
    make_rows(95, "b")
    large = count_queries(lambda: client.get(url, {"page_size": 200}))
    assert small == large
    assert len(client.get(url, {"page_size": 200}).json()["results"]) == 100


def test_series_detail_page_and_dashboard_are_constant(client, manager, contributors):
    client.force_login(manager)
    project = ProjectFactory(slug="big")
    series, _ = schedule_retros(project=project, start="2020-01-06", cadence="weekly", count=5)
    client.get(f"/admin/retros/retroseries/{series.pk}/change/")  # warm the session
    small = count_queries(lambda: client.get(f"/admin/retros/retroseries/{series.pk}/change/"))
    big, _ = schedule_retros(project=project, start="2021-01-04", cadence="weekly", count=100)
    large = count_queries(lambda: client.get(f"/admin/retros/retroseries/{big.pk}/change/"))
    assert small == large
    request = RequestFactory().get("/admin/")
    request.user = manager
    make_rows(5, "a")
    dashboard.panels(request)  # warm the permission cache
    small = count_queries(lambda: dashboard.panels(request))
    make_rows(95, "b")
    dashboard.panels(request)  # new projects changed memberships: warm the role cache again
    large = count_queries(lambda: dashboard.panels(request))
    assert small == large
    assert RetroSeries.objects.count() > 100 and Retrospective.objects.count() > 200

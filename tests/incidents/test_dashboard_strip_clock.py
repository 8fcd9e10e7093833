"""The admin home strip judges "overdue" at the page's one clock reading, not the machine's date."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from incidents import dashboard
from incidents.services.action_items import action_item_create
from opsportal.home_strip import home_strip
from tests.clock import awkward_instants, frozen_at


def overdue_figure(figures):
    return next(f["value"] for f in figures if f["label"] == "overdue action items")


@pytest.mark.django_db
@awkward_instants
def test_overdue_counts_items_due_before_the_given_day(project, manager, awkward_now):
    request = RequestFactory().get("/admin/")
    request.user = manager
    today = timezone.localdate(awkward_now)
    with frozen_at(awkward_now):
        action_item_create(project=project, title="Late", owner=manager, actor=manager,
                           due_date=today - timedelta(days=1))
        action_item_create(project=project, title="Due today", owner=manager, actor=manager, due_date=today)
    # The real clock is elsewhere: only the `now` handed in decides.
    assert overdue_figure(dashboard.strip(request, now=awkward_now)) == 1
    assert overdue_figure(dashboard.strip(request, now=awkward_now + timedelta(days=1))) == 2
    assert overdue_figure(dashboard.strip(request, now=awkward_now - timedelta(days=1))) == 0
    assert overdue_figure(home_strip(request, now=awkward_now)) == 1


@pytest.mark.django_db
def test_home_strip_reads_the_clock_once_for_every_app(project, manager):
    request = RequestFactory().get("/admin/")
    request.user = manager
    late = datetime(2031, 5, 1, 12, tzinfo=UTC)
    action_item_create(project=project, title="Late", owner=manager, actor=manager, due_date=late.date())
    with frozen_at(late + timedelta(days=2)):
        assert overdue_figure(home_strip(request)) == 1
    with frozen_at(late - timedelta(days=2)):
        assert overdue_figure(home_strip(request)) == 0

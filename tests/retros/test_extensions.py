"""The retros app's extension modules: gates, phase evidence, admin home, schedules, demo."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from opsportal.selectors import get_evidence
from retros import gates
from retros.cadence import period_containing
from retros.models import OperationalReview, RetroSeries, Retrospective
from retros.services import (
    retro_mark_held,
    review_complete,
    review_create_for_period,
    review_update_item,
    schedule_retros,
)
from tests.factories import ProjectFactory


def complete(review, operator, manager, *, decisions, now):
    for item in review.items.all():
        review_update_item(review, key=item.key, actor=operator, done=True)
    return review_complete(review, actor=manager, decisions=decisions, now=now)


@pytest.fixture
def shop(db):
    return ProjectFactory(slug="gate-shop")


def test_continuous_improvement_gate(shop, operator, manager, contributors):
    now = timezone.now()
    [result] = gates.evaluate(shop, now=now)
    assert result["gate"] == "continuous_improvement" and result["result"] == "FAIL"
    assert "no operational review fell due" in result["reason"] and "no retro held" in result["reason"]
    today = now.date()
    days = [today - timedelta(days=d) for d in range(2, 7)]  # five daily reviews that fell due
    reviews = [review_create_for_period(project=shop, cadence="daily", period_start=d, now=now)[0] for d in days]
    for review in reviews[:4]:  # four on time
        complete(review, operator, manager, decisions="", now=review.due - timedelta(hours=1))
    series, _ = schedule_retros(project=shop, start=str(today - timedelta(days=20)), cadence="weekly", count=1)
    retro_mark_held(series.retros.get(), actor=operator)
    [result] = gates.evaluate(shop, now=now)
    assert result["result"] == "PASS", result
    assert result["reason"].startswith("4 of 5 reviews on time, 1 retros held, 0 missed")
    complete(reviews[4], operator, manager, decisions="", now=now)  # late: 4 of 5 is still 80%
    extra = review_create_for_period(project=shop, cadence="daily", period_start=today - timedelta(days=8), now=now)[0]
    assert extra.due < now  # a sixth, open and overdue: 4 of 6 < 80%
    [result] = gates.evaluate(shop, now=now)
    assert result["result"] == "FAIL" and "only 4 of 6 reviews completed on time" in result["reason"]


def test_phase_evidence_lists_review_decisions_and_held_retros(shop, operator, manager, contributors):
    today = timezone.now().date()
    review, _ = review_create_for_period(project=shop, cadence="weekly",
                                         period_start=period_containing("weekly", today)[0])
    complete(review, operator, manager, decisions="Move the capacity review to Mondays.", now=timezone.now())
    series, _ = schedule_retros(project=shop, start=str(today - timedelta(days=1)), cadence="weekly", count=2)
    retro_mark_held(series.retros.get(sequence=1), actor=operator, attendees=[operator], notes="Good sprint.")
    improvements = get_evidence(shop, "phase6")["improvements"]
    kinds = {item["kind"]: item for item in improvements if item.get("kind") in {"operational_review", "retrospective"}}
    assert kinds["operational_review"]["decisions"] == "Move the capacity review to Mondays."
    assert kinds["operational_review"]["on_time"] is True
    assert kinds["retrospective"]["attendees"] == 1 and kinds["retrospective"]["notes"] == "Good sprint."
    assert {e["kind"] for e in get_evidence(shop, "phase6")["evidence"]} >= {"review", "retro_cadence"}


def test_admin_home_shows_this_weeks_reviews_retros_and_overdue(shop, client, viewer, contributors):
    now = timezone.now()
    today = timezone.localtime(now).date()
    review_create_for_period(project=shop, cadence="weekly", period_start=period_containing("weekly", today)[0])
    overdue, _ = review_create_for_period(project=shop, cadence="daily", period_start=today - timedelta(days=3))
    schedule_retros(project=shop, start=str(today), cadence="weekly", count=1)
    Retrospective.objects.update(scheduled_start=now)
    client.force_login(viewer)
    page = client.get("/admin/").content.decode()
    assert "This week&#x27;s reviews and retros" in page or "This week's reviews and retros" in page
    assert f"Gate Shop: weekly review {period_containing('weekly', today)[0]}" in page
    assert "Gate Shop: retro #1" in page
    assert "Overdue operational reviews" in page
    assert f"/admin/retros/operationalreview/{overdue.pk}/change/" in page


def test_admin_home_hides_panels_from_users_without_permission(shop, client, nobody):
    client.force_login(nobody)
    page = client.get("/admin/").content.decode()
    assert "Overdue operational reviews" not in page


def test_setup_schedules_registers_the_cadence_checks(db):
    call_command("setup_schedules")
    call_command("setup_schedules")
    schedules = Schedule.objects.filter(name__startswith="retros.")
    assert sorted(schedules.values_list("name", "func", "minutes")) == [
        ("retros.retro_checks", "retros.tasks.run_retro_checks", 10),
        ("retros.review_checks", "retros.tasks.run_review_checks", 10),
    ]


def test_scheduled_task_creates_reviews(shop, contributors):
    from retros.tasks import run_review_checks

    result = run_review_checks()
    assert result["created"] == 4 and OperationalReview.objects.filter(project=shop).count() == 4


def test_demo_seed_is_idempotent_and_realistic(db, contributors):
    call_command("seed_demo")
    counts = (RetroSeries.objects.count(), Retrospective.objects.count(), OperationalReview.objects.count())
    call_command("seed_demo")
    assert counts == (RetroSeries.objects.count(), Retrospective.objects.count(), OperationalReview.objects.count())
    series = RetroSeries.objects.get()
    assert series.cadence == "biweekly" and series.project.slug == "shop"
    assert Retrospective.objects.filter(status="held").exclude(notes_html="").exists()
    assert Retrospective.objects.filter(missed_flagged_at__isnull=False).count() == 1
    today = timezone.now().astimezone(series.zone).date()
    current = OperationalReview.objects.filter(period_start__lte=today, period_end__gt=today)
    assert sorted(current.values_list("cadence", flat=True)) == ["daily", "monthly", "quarterly", "weekly"]
    weekly = current.get(cadence="weekly")
    assert any(item.findings for item in weekly.items.all())
    assert OperationalReview.objects.filter(status="completed").exclude(decisions="").count() == 1
    assert timezone.now() - timedelta(days=400) < series.start

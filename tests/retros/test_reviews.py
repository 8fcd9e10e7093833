"""Operational reviews: once per project and period, findings, isolation, catch-up, completion."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from opsportal.models import EvidenceRecord
from retros.models import CHECKLISTS, OperationalReview, Retrospective, ReviewStatus
from retros.services import (
    review_checks,
    review_complete,
    review_create_for_period,
    review_update_item,
    reviews_ensure_for_project,
    schedule_retros,
)
from retros.services import reviews as review_services
from tests.factories import ProjectFactory

# Monday 2027-03-01 00:20 in Berlin (23:20 UTC the day before).
NOW = datetime(2027, 2, 28, 23, 20, tzinfo=UTC)


@pytest.fixture
def berlin(db):
    return ProjectFactory(slug="berlin", time_zone="Europe/Berlin")


def test_each_project_gets_one_review_per_cadence_for_the_current_period(berlin, contributors):
    tokyo = ProjectFactory(slug="tokyo", time_zone="Asia/Tokyo")
    ProjectFactory(slug="retired", active=False)
    result = review_checks(now=NOW)
    assert result == {"created": 8, "failed": []}
    berlin_periods = dict(OperationalReview.objects.filter(project=berlin).values_list("cadence", "period_start"))
    assert berlin_periods == {"daily": date(2027, 3, 1), "weekly": date(2027, 3, 1), "monthly": date(2027, 3, 1),
                              "quarterly": date(2027, 1, 1)}
    # 08:20 on 1 March in Tokyo as well.
    assert OperationalReview.objects.get(project=tokyo, cadence="daily").period_start == date(2027, 3, 1)
    daily = OperationalReview.objects.get(project=berlin, cadence="daily")
    assert daily.due == datetime(2027, 3, 1, 23, 0, tzinfo=UTC)  # local midnight at the period's end
    assert list(daily.items.values_list("key", flat=True)) == [k for k, _t, _h in CHECKLISTS["daily"]]
    assert not OperationalReview.objects.filter(project__slug="retired").exists()


def test_duplicate_firing_creates_each_review_exactly_once(berlin, contributors):
    review_checks(now=NOW)
    second = review_checks(now=NOW + timedelta(minutes=10))
    assert second["created"] == 0
    assert OperationalReview.objects.filter(project=berlin).count() == 4
    review, created = review_create_for_period(project=berlin, cadence="weekly", period_start=date(2027, 3, 1))
    assert not created and review.items.count() == 4


def test_losing_the_insert_race_returns_the_winners_review(berlin, contributors, monkeypatch):
    winner, _ = review_create_for_period(project=berlin, cadence="weekly", period_start=date(2027, 3, 1), now=NOW)

    real = OperationalReview.objects

    # Simulate a second worker that checked before the winner committed: its lookup sees nothing.
    class Blind:
        def filter(self, **kwargs):
            return self

        def first(self):
            return None

        def create(self, **kwargs):
            raise IntegrityError("duplicate key value violates unique constraint")

        def get(self, **kwargs):
            return real.get(**kwargs)

    monkeypatch.setattr(review_services.OperationalReview, "objects", Blind())
    review, created = review_create_for_period(project=berlin, cadence="weekly", period_start=date(2027, 3, 1))
    assert (review.pk, created) == (winner.pk, False)


def test_the_database_refuses_a_second_review_of_the_same_period(berlin):
    OperationalReview.objects.create(project=berlin, cadence="daily", period_start=date(2027, 3, 1),
                                     period_end=date(2027, 3, 2), due=NOW)
    with pytest.raises(IntegrityError):
        OperationalReview.objects.create(project=berlin, cadence="daily", period_start=date(2027, 3, 1),
                                         period_end=date(2027, 3, 2), due=NOW)


def test_period_start_must_be_a_period_boundary(berlin):
    with pytest.raises(ValidationError) as exc:
        review_create_for_period(project=berlin, cadence="weekly", period_start=date(2027, 3, 3))
    assert "period_start" in exc.value.message_dict


def test_one_projects_failure_is_logged_and_the_others_still_run(berlin, contributors, monkeypatch, caplog):
    ProjectFactory(slug="healthy")
    original = review_services.reviews_ensure_for_project

    def flaky(project, *, now=None):
        if project.slug == "berlin":
            raise RuntimeError("bad time zone data")
        return original(project, now=now)

    monkeypatch.setattr(review_services, "reviews_ensure_for_project", flaky)
    result = review_checks(now=NOW)
    assert result == {"created": 4, "failed": ["berlin"]}
    assert OperationalReview.objects.filter(project__slug="healthy").count() == 4
    assert "operational review check failed for project berlin" in caplog.text


def test_a_failing_contributor_does_not_stop_the_review(berlin, contributors):
    def broken(**kwargs):
        raise RuntimeError("prometheus unreachable")

    contributors(findings=[broken])
    review, created = review_create_for_period(project=berlin, cadence="daily", period_start=date(2027, 3, 1))
    assert created
    first = review.items.get(key="health_checks")
    assert first.findings[0]["severity"] == "warning" and "fake0" in first.findings[0]["text"]


def test_catch_up_is_off_and_missed_periods_are_created_once_capped(berlin, contributors):
    assert settings.Q_CLUSTER["catch_up"] is False
    reviews_ensure_for_project(berlin, now=NOW)
    # Ten days of downtime: the next run creates the last 3 missed days (the cap) and today, once.
    later = NOW + timedelta(days=10)
    created = reviews_ensure_for_project(berlin, now=later)
    daily = sorted(r.period_start for r in created if r.cadence == "daily")
    assert daily == [date(2027, 3, 8), date(2027, 3, 9), date(2027, 3, 10), date(2027, 3, 11)]
    assert sorted(r.period_start for r in created if r.cadence == "weekly") == [date(2027, 3, 8)]
    assert reviews_ensure_for_project(berlin, now=later + timedelta(minutes=10)) == []


def test_findings_are_prefilled_per_item_with_links(berlin, contributors):
    seen = []

    def slos_app(*, project, cadence, period_start, period_end, now):
        seen.append((cadence, period_start, period_end))
        return [
            {"item": "slo_review", "severity": "critical", "text": "Checkout availability failing (budget -80%)",
             "links": [{"label": "Checkout availability", "url": "/admin/slos/slo/1/change/"}]},
            {"item": "health_checks", "severity": "warning", "text": "for the daily review only", "links": []},
            {"item": "slo_review", "severity": "bogus", "text": "Search latency budget at 20%",
             "links": [{"label": "no url"}, "junk"]},
        ]

    def incidents_app(**kwargs):
        return [{"item": "incident_review", "severity": "warning", "text": "INC-4 open past its target",
                 "links": [{"label": "INC-4", "url": "/admin/incidents/incident/4/change/"}]}]

    contributors(findings=[slos_app, incidents_app])
    review, _ = review_create_for_period(project=berlin, cadence="weekly", period_start=date(2027, 3, 1), now=NOW)
    assert seen == [("weekly", datetime(2027, 2, 28, 23, 0, tzinfo=UTC), datetime(2027, 3, 7, 23, 0, tzinfo=UTC))]
    items = {item.key: item for item in review.items.all()}
    assert [f["text"] for f in items["slo_review"].findings] == [
        "Checkout availability failing (budget -80%)", "Search latency budget at 20%",
    ]
    assert items["slo_review"].findings[0]["links"] == [
        {"label": "Checkout availability", "url": "/admin/slos/slo/1/change/"}
    ]
    assert items["slo_review"].findings[1]["severity"] == "info" and items["slo_review"].findings[1]["links"] == []
    assert items["slo_review"].worst_severity == "critical"
    assert items["incident_review"].findings[0]["source"] == "fake1"
    assert items["performance_analysis"].findings == []


def test_overdue_reviews_and_missed_retros_are_carried_into_the_next_review(berlin, contributors):
    last_week, _ = review_create_for_period(project=berlin, cadence="weekly", period_start=date(2027, 2, 22),
                                            now=NOW - timedelta(days=7))
    series, _ = schedule_retros(project=berlin, start="2027-02-22", cadence="weekly", count=2)
    Retrospective.objects.filter(series=series).update(missed_flagged_at=NOW)
    review, _ = review_create_for_period(project=berlin, cadence="weekly", period_start=date(2027, 3, 1), now=NOW)
    first = review.items.get(key="slo_review").findings
    assert "1 earlier weekly review not completed by the due time: 2027-02-22" in first[0]["text"]
    assert first[0]["links"] == [{"label": "weekly review 2027-02-22",
                                  "url": f"/admin/retros/operationalreview/{last_week.pk}/change/"}]
    missed = review.items.get(key="incident_review").findings
    retro = series.retros.get(sequence=1)
    assert "1 retro not held: #1 of 2027-02-22" in missed[0]["text"]
    assert missed[0]["links"][0]["url"] == f"/admin/retros/retrospective/{retro.pk}/change/"


def test_quarterly_review_summarises_the_previous_quarter(berlin, contributors):
    incidents_by_month = {
        1: [{"severity": "sev1", "mttr_minutes": 120}, {"severity": "sev2", "mttr_minutes": 60}],
        2: [{"severity": "sev2", "mttr_minutes": 30}],
        3: [],
    }

    def agenda(*, project, since, until):
        month = (since + timedelta(days=2)).month
        return {
            "incidents": incidents_by_month.get(month, []),
            "slo_compliance": [{"status": "met"}, {"status": "met"}, {"status": "failing"}],
        }

    contributors(agenda=[agenda])
    review, _ = review_create_for_period(project=berlin, cadence="quarterly", period_start=date(2027, 4, 1),
                                         now=datetime(2027, 4, 1, 0, 5, tzinfo=UTC))
    assert review.summary["incidents_by_severity"] == {"sev1": 1, "sev2": 2}
    assert [(m["month"], m["incidents"], m["mean_mttr_minutes"]) for m in review.summary["mttr_trend"]] == [
        ("2027-01", 2, 90), ("2027-02", 1, 30), ("2027-03", 0, None),
    ]
    assert review.summary["slo_compliance"] == {"failing": 1, "met": 2}
    text = review.items.get(key="strategic_review").findings[0]["text"]
    assert text.startswith("Quarter from 2027-01-01: 1 sev1, 2 sev2.")


def test_complete_requires_all_items_done_and_a_manager(berlin, contributors, operator, manager):
    review, _ = review_create_for_period(project=berlin, cadence="daily", period_start=date(2027, 3, 1), now=NOW)
    with pytest.raises(PermissionDenied):
        review_complete(review, actor=operator)
    review_update_item(review, key="health_checks", actor=operator, done=True, note="All green")
    with pytest.raises(ValidationError) as exc:
        review_complete(review, actor=manager)
    assert "Metric review, Alert triage, Capacity monitoring" in exc.value.message_dict["items"][0]
    for key in ("metric_review", "alert_triage", "capacity_monitoring"):
        review_update_item(review, key=key, actor=operator, done=True)
    done = review_complete(review, actor=manager, decisions="Raise the disk alert threshold.",
                           now=datetime(2027, 3, 1, 18, 0, tzinfo=UTC))
    assert done.status == ReviewStatus.COMPLETED and done.completed_by == manager
    evidence = EvidenceRecord.objects.get(kind="review")
    assert evidence.payload["on_time"] is True and evidence.payload["decisions"] == "Raise the disk alert threshold."
    assert evidence.payload["items"][0] == {"key": "health_checks", "note": "All green", "findings": 0}
    with pytest.raises(ValidationError):
        review_update_item(done, key="health_checks", actor=operator, done=False)


def test_update_item_refuses_unknown_keys(berlin, contributors, operator):
    review, _ = review_create_for_period(project=berlin, cadence="daily", period_start=date(2027, 3, 1), now=NOW)
    with pytest.raises(ValidationError) as exc:
        review_update_item(review, key="budget_planning", actor=operator, done=True)
    assert "key" in exc.value.message_dict


def test_api_reviews_list_filter_items_and_complete(berlin, contributors, operator, manager, viewer, api_as,
                                                    time_machine):
    # The API reads the clock ("overdue" is relative to now): stand it at NOW, whatever today is.
    time_machine.move_to(NOW, tick=False)
    review_checks(now=NOW)
    old, _ = review_create_for_period(project=berlin, cadence="daily", period_start=date(2026, 1, 5), now=NOW)
    listing = api_as(viewer).get("/api/v1/reviews/", {"project": "berlin", "cadence": "daily"})
    assert listing.status_code == 200  # newest first
    assert [row["period_start"] for row in listing.json()["results"]] == ["2026-01-05", "2027-03-01"]
    overdue = api_as(viewer).get("/api/v1/reviews/", {"overdue": "true"})
    assert [row["id"] for row in overdue.json()["results"]] == [old.pk]
    assert overdue.json()["results"][0]["overdue"] is True
    url = f"/api/v1/reviews/{old.pk}/"
    keys = [k for k, _t, _h in CHECKLISTS["daily"]]
    bad = api_as(operator).post(url + "items/", {"items": [{"key": keys[0], "done": True},
                                                           {"key": "nope", "done": True}]}, format="json")
    assert bad.status_code == 400 and "key" in bad.json()
    assert not old.items.filter(done=True).exists()  # all or nothing
    items = api_as(operator).post(url + "items/", {"items": [{"key": k, "done": True, "note": "ok"} for k in keys]},
                                  format="json")
    assert items.status_code == 200 and all(i["done"] and i["done_by"] == "operator" for i in items.json()["items"])
    assert api_as(operator).post(url + "complete/", {}, format="json").status_code == 403
    complete = api_as(manager).post(url + "complete/", {"decisions": "Late: nobody on shift."}, format="json")
    assert complete.status_code == 200 and complete.json()["status"] == "completed"
    assert complete.json()["overdue"] is False


def test_admin_review_checklist_inline_and_complete_action(berlin, contributors, client, manager):
    review, _ = review_create_for_period(project=berlin, cadence="daily", period_start=date(2027, 3, 1), now=NOW)
    client.force_login(manager)
    items = list(review.items.order_by("position"))
    data = {
        "decisions": "Nothing to change.",
        "items-TOTAL_FORMS": "4", "items-INITIAL_FORMS": "4", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "4",
        "action_items-TOTAL_FORMS": "0", "action_items-INITIAL_FORMS": "0",
    }
    for index, item in enumerate(items):
        data.update({f"items-{index}-id": str(item.pk), f"items-{index}-review": str(review.pk),
                     f"items-{index}-note": f"checked {item.key}", f"items-{index}-done": "on"})
    response = client.post(f"/admin/retros/operationalreview/{review.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    assert set(review.items.values_list("done", "done_by__username")) == {(True, "manager")}
    assert review.items.get(key="alert_triage").note == "checked alert_triage"
    client.post("/admin/retros/operationalreview/", {"action": "complete_reviews", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED and review.decisions == "Nothing to change."
    overdue_page = client.get("/admin/retros/operationalreview/", {"overdue": "yes"})
    assert overdue_page.status_code == 200


def test_a_contributor_database_error_leaves_the_review_intact(berlin, contributors):
    from django.db import connection

    def bad_sql(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_for_findings")

    contributors(findings=[bad_sql])
    review, created = review_create_for_period(project=berlin, cadence="weekly", period_start=date(2027, 3, 1))
    assert created and review.items.count() == 4
    assert "could not be collected" in review.items.get(key="slo_review").findings[0]["text"]

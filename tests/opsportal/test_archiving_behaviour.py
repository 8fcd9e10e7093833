"""An archived row drives no behaviour (issue #18), and a restored one does again."""

from datetime import UTC, date, datetime, timedelta

from django.core import mail

from incidents.models import ProjectResponders, WebhookDelivery
from knowledgebase.models import Article, ArticleKind, TrainingAssignment
from knowledgebase.selectors import runbooks_for_alert
from opsportal import archive as archiving
from opsportal.models import Notification
from retros.models import OperationalReview, Retrospective
from retros.services.retros import retro_checks
from slos.models import SLO
from slos.rules_export import prometheus_slos
from slos.services.evaluation import evaluate_all
from slos.services.pull import prometheus_slo_ids
from tests.incidents.factories import declare
from tests.knowledgebase.conftest import make_article
from tests.opsportal.test_archiving import (
    Ctx,
    _assignment,
    _integration,
    _review,
    _series,
    _slo,
    post_alerts,
)


def _ctx(project, service, manager, operator):
    return Ctx(project, service, manager, operator)


def test_an_archived_slo_is_not_evaluated_pulled_exported_or_fed(project, service, manager, operator, api_as):
    ctx = _ctx(project, service, manager, operator)
    slo = _slo(ctx)
    SLO.objects.filter(pk=slo.pk).update(data_source="prometheus", prometheus_url="http://prometheus.example:9090",
                                         promql_good="sum(rate(good[5m]))", promql_total="sum(rate(all[5m]))")
    archiving.archive(slo, manager, "service retired")
    now = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
    assert evaluate_all(now=now, project=project) == {"evaluated": 0, "failed": 0}
    assert slo.pk not in prometheus_slo_ids()
    assert list(prometheus_slos(project)) == []
    pushed = api_as(manager).post(f"/api/v1/slos/{slo.pk}/measurements/", [
        {"start": "2026-11-26T12:01:00Z", "end": "2026-11-26T12:02:00Z", "good": 1, "total": 1}], format="json")
    assert pushed.status_code == 400 and "archived" in pushed.json()["errors"][0]["message"]

    archiving.restore(slo, manager)
    assert evaluate_all(now=now, project=project) == {"evaluated": 1, "failed": 0}
    assert slo.pk in prometheus_slo_ids()


def test_an_archived_alert_integration_refuses_webhooks_with_a_clear_403(project, service, manager, operator):
    integration = _integration(_ctx(project, service, manager, operator))
    archiving.archive(integration, manager, "receiver removed")
    response = post_alerts(integration.token)
    assert response.status_code == 403
    assert "archived" in response.json()["detail"]
    archiving.restore(integration, manager)
    assert post_alerts(integration.token).status_code == 200


def test_archived_responders_are_not_notified(project, manager, django_capture_on_commit_callbacks):
    responders = ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"],
                                                  webhook_url="https://chat.example/hook")
    archiving.archive(responders, manager, "team disbanded")
    with django_capture_on_commit_callbacks(execute=False):
        declare(project, title="Checkout down", severity="SEV1")
    assert mail.outbox == [] and not WebhookDelivery.objects.exists() and not Notification.objects.exists()
    archiving.restore(responders, manager)
    with django_capture_on_commit_callbacks(execute=False):
        declare(project, title="Checkout down again", severity="SEV1")
    assert WebhookDelivery.objects.count() == 1 and Notification.objects.count() == 1


def test_an_archived_retro_series_schedules_nothing(project, service, manager, operator):
    series = _series(_ctx(project, service, manager, operator))
    first = series.retros.order_by("sequence").first()
    before = first.scheduled_start - timedelta(hours=2)  # inside the reminder lead time
    archiving.archive(series, manager, "team merged")
    assert not Retrospective.objects.scheduled().filter(series=series).exists()
    assert retro_checks(now=before) == {"agendas": 0, "reminders": 0, "missed": 0, "failed": 0}
    assert retro_checks(now=first.scheduled_start + timedelta(days=3))["missed"] == 0
    archiving.restore(series, manager)
    assert retro_checks(now=before)["agendas"] == 1


def test_an_archived_runbook_answers_no_alert_and_no_search(project, manager, operator, api_as):
    runbook = make_article(operator, project=project, publish=True, kind=ArticleKind.RUNBOOK, slug="checkout-5xx",
                           title="Checkout 5xx", alert_names=["CheckoutErrorRate"])
    assert list(runbooks_for_alert("CheckoutErrorRate", project)) == [runbook]
    archiving.archive(runbook, manager, "superseded")
    assert list(runbooks_for_alert("CheckoutErrorRate", project)) == []
    assert not Article.objects.published().filter(pk=runbook.pk).exists()
    found = api_as(operator).get("/api/v1/articles/", {"q": "Checkout"}).json()["results"]
    assert [a["slug"] for a in found] == []
    archiving.restore(runbook, manager)  # back as a draft: published again by a person, on purpose
    assert Article.objects.get(pk=runbook.pk).status == "draft"


def test_an_archived_training_assignment_is_nobodys_overdue_duty(project, service, manager, operator):
    assignment = _assignment(_ctx(project, service, manager, operator))
    TrainingAssignment.objects.filter(pk=assignment.pk).update(completed_at=None, completed_version=None)
    today = date(2026, 6, 1)
    assert TrainingAssignment.objects.overdue(today).filter(pk=assignment.pk).exists()
    archiving.archive(assignment, manager, "left the rota")
    assert not TrainingAssignment.objects.overdue(today).exists()


def test_an_archived_review_is_not_overdue(project, service, manager, operator):
    review = _review(_ctx(project, service, manager, operator))
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert OperationalReview.objects.overdue(later).filter(pk=review.pk).exists()
    archiving.archive(review, manager, "created by mistake")
    assert not OperationalReview.objects.overdue(later).exists()

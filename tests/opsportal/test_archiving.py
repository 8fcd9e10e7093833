"""Archive instead of delete (issue #18): the same contract for every archivable model.

For each model, built with history hanging off it the way the portal builds it: a Manager archives
and restores (admin action and API), an Operator is refused, evidence is written for both; archived
rows are hidden from the default admin changelist and API list; a real delete is refused with the
reason in the admin and as a 409 on the API, never a 500.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from rest_framework.test import APIClient

from incidents.models import AlertIntegration, ProjectResponders
from incidents.services.alerts import alert_integration_create
from knowledgebase import services as kb
from knowledgebase.models import Article, ArticleKind, TrainingAssignment
from opsportal import archive as archiving
from opsportal.models import EvidenceRecord
from retros.models import OperationalReview, RetroSeries
from retros.services import schedule_retros
from retros.services.reviews import review_create_for_period
from slos.models import SLO, SLIMeasurement
from slos.services import slo_create
from tests.incidents.alertmanager_payloads import payload
from tests.knowledgebase.conftest import make_article


def _article(ctx):
    return make_article(ctx.operator, project=ctx.project, publish=True, slug="archivable-runbook",
                        kind=ArticleKind.RUNBOOK, title="Archivable runbook")


def _slo(ctx):
    slo = slo_create(project=ctx.project, service=ctx.service, name="Checkout availability",
                     slug="checkout-availability", objective=Decimal("99.9"))
    start = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    SLIMeasurement.objects.create(slo=slo, start=start, end=start + timedelta(minutes=1), good=99, total=100)
    return slo


def _series(ctx):
    series, _ = schedule_retros(project=ctx.project, start=datetime(2027, 1, 4, 10, 0), cadence="weekly", count=3,
                                facilitator=ctx.operator, actor=ctx.manager)
    return series


def _review(ctx):
    review, _ = review_create_for_period(project=ctx.project, cadence="monthly", period_start=date(2026, 10, 1))
    assert review.items.exists()  # the checklist hangs off it
    return review


def _assignment(ctx):
    article = make_article(ctx.operator, project=ctx.project, publish=True, kind=ArticleKind.TRAINING,
                           slug="archivable-training", title="On-call training")
    [assignment] = kb.training_assign(article=article, due_on=date(2026, 1, 1), actor=ctx.manager,
                                      users=[ctx.operator])
    kb.training_complete(assignment=assignment, actor=ctx.operator)  # a completion hangs off it
    return TrainingAssignment.objects.get(pk=assignment.pk)


def _responders(ctx):
    return ProjectResponders.objects.create(project=ctx.project, emails=["oncall@shop.example"])


def post_alerts(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post("/api/v1/alerts/alertmanager/", payload(), format="json")


def _integration(ctx):
    integration, token = alert_integration_create(project=ctx.project, name="alertmanager-prod")
    assert post_alerts(token).status_code == 200  # an alert hangs off it
    integration.token = token
    return integration


@dataclass
class Case:
    model: type
    build: object
    admin: str
    api: str | None = None  # list URL; None: no API for the model
    lookup: str = "pk"
    deletable_when_bare: bool = False  # nothing hangs off the row: a Manager's real delete is allowed

    def __str__(self):
        return self.model.__name__


CASES = [
    Case(Article, _article, "/admin/knowledgebase/article/", "/api/v1/articles/", lookup="slug"),
    Case(SLO, _slo, "/admin/slos/slo/", "/api/v1/slos/"),
    Case(RetroSeries, _series, "/admin/retros/retroseries/", "/api/v1/retro-series/"),
    Case(OperationalReview, _review, "/admin/retros/operationalreview/", "/api/v1/reviews/"),
    Case(TrainingAssignment, _assignment, "/admin/knowledgebase/trainingassignment/",
         "/api/v1/training-assignments/"),
    Case(ProjectResponders, _responders, "/admin/incidents/projectresponders/", deletable_when_bare=True),
    Case(AlertIntegration, _integration, "/admin/incidents/alertintegration/"),
]


@dataclass
class Ctx:
    project: object
    service: object
    manager: object
    operator: object


@pytest.fixture
def ctx(project, service, manager, operator):
    return Ctx(project, service, manager, operator)


def _ids(response, field="id") -> list:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return [row[field] for row in rows]


def _key(case, obj):
    return getattr(obj, case.lookup)


def _archive_evidence(obj):
    return list(EvidenceRecord.objects.filter(kind="archive", payload__model=obj._meta.label_lower,
                                              payload__id=obj.pk).order_by("id").values_list("payload", flat=True))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_service_archive_and_restore_by_manager_only_with_evidence(case, ctx, viewer):
    obj = case.build(ctx)
    for refused in (ctx.operator, viewer):
        with pytest.raises(PermissionDenied):
            archiving.archive(obj, refused, "not mine to archive")
    assert case.model.objects.archived().count() == 0 and not _archive_evidence(obj)

    archiving.archive(obj, ctx.manager, "replaced by a new one")
    stored = case.model.objects.get(pk=obj.pk)
    assert stored.archived_at is not None and stored.archived_by == ctx.manager
    assert stored.archive_reason == "replaced by a new one"
    assert list(case.model.objects.active().filter(pk=obj.pk)) == []
    with pytest.raises(ValidationError):  # twice is a clear error, not a second record
        archiving.archive(obj, ctx.manager)
    with pytest.raises(PermissionDenied):
        archiving.restore(obj, ctx.operator)

    archiving.restore(obj, ctx.manager)
    stored = case.model.objects.get(pk=obj.pk)
    assert (stored.archived_at, stored.archived_by, stored.archive_reason) == (None, None, "")
    evidence = _archive_evidence(obj)
    assert [(e["action"], e["by"], e["reason"]) for e in evidence] == [
        ("archived", "manager", "replaced by a new one"), ("restored", "manager", "replaced by a new one")]
    assert EvidenceRecord.objects.filter(kind="archive", project=ctx.project).count() == 2


@pytest.mark.parametrize("case", CASES, ids=str)
def test_admin_hides_archived_rows_and_restores_them(case, ctx, client):
    obj = case.build(ctx)
    client.force_login(ctx.operator)
    changelist = client.get(case.admin).content.decode()
    assert "archive_selected" not in changelist  # Operators are not offered the action
    response = client.post(case.admin, {"action": "archive_selected", "_selected_action": [obj.pk]})
    assert response.status_code in (200, 302)
    assert case.model.objects.get(pk=obj.pk).archived_at is None

    client.force_login(ctx.manager)
    assert "archive_selected" in client.get(case.admin).content.decode()
    client.post(case.admin, {"action": "archive_selected", "_selected_action": [obj.pk]})
    assert case.model.objects.get(pk=obj.pk).archived_by == ctx.manager
    change_url = f"{case.admin}{obj.pk}/change/"
    assert change_url not in client.get(case.admin).content.decode()  # hidden by default
    assert change_url in client.get(case.admin, {"archived": "yes"}).content.decode()
    assert change_url in client.get(case.admin, {"archived": "all"}).content.decode()
    assert client.get(change_url).status_code == 200  # still readable

    client.post(f"{case.admin}?archived=yes", {"action": "restore_selected", "_selected_action": [obj.pk]})
    assert case.model.objects.get(pk=obj.pk).archived_at is None
    assert change_url in client.get(case.admin).content.decode()
    assert [e["action"] for e in _archive_evidence(obj)] == ["archived", "restored"]


@pytest.mark.parametrize("case", [c for c in CASES if not c.deletable_when_bare], ids=str)
def test_real_delete_is_refused_with_the_reason(case, ctx, client):
    obj = case.build(ctx)
    with pytest.raises(ProtectedError):  # the history is PROTECTed, not cascaded away
        case.model.objects.filter(pk=obj.pk).delete()
    client.force_login(ctx.manager)
    delete_url = f"{case.admin}{obj.pk}/delete/"
    page = client.get(delete_url)
    assert page.status_code == 200
    assert "Archive it instead" in page.content.decode()
    response = client.post(delete_url, {"post": "yes"})
    assert response.status_code == 200 and "Archive it instead" in response.content.decode()
    bulk = client.post(case.admin, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert case.model.objects.filter(pk=obj.pk).exists()


def test_responders_without_history_may_be_deleted_by_a_manager(ctx, client):
    responders = _responders(ctx)
    client.force_login(ctx.manager)
    response = client.post(f"/admin/incidents/projectresponders/{responders.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not ProjectResponders.objects.exists()


API_CASES = [c for c in CASES if c.api]


@pytest.mark.parametrize("case", API_CASES, ids=str)
def test_api_lists_hide_archived_rows_and_actions_are_for_managers(case, ctx, api_as, viewer):
    obj = case.build(ctx)
    key = _key(case, obj)
    detail = f"{case.api}{key}/"
    for refused in (ctx.operator, viewer):
        response = api_as(refused).post(f"{detail}archive/", {"reason": "no"}, format="json")
        assert response.status_code == 403, response.content
    manager = api_as(ctx.manager)
    response = manager.post(f"{detail}archive/", {"reason": "superseded"}, format="json")
    assert response.status_code == 200, response.content
    assert case.model.objects.get(pk=obj.pk).archived_by == ctx.manager

    field = "id" if case.lookup == "pk" else case.lookup
    assert key not in _ids(manager.get(case.api), field)
    assert key in _ids(manager.get(case.api, {"archived": "true"}), field)
    assert key in _ids(manager.get(case.api, {"archived": "all"}), field)
    bad = manager.get(case.api, {"archived": "maybe"})
    assert bad.status_code == 400 and "archived" in bad.json()
    assert manager.get(detail).status_code == 200  # the row itself stays readable

    assert api_as(ctx.operator).post(f"{detail}restore/").status_code == 403
    again = manager.post(f"{detail}archive/")
    assert again.status_code == 400 and "archived_at" in again.json()
    assert manager.post(f"{detail}restore/").status_code == 200
    assert key in _ids(manager.get(case.api), field)
    assert [e["action"] for e in _archive_evidence(obj)] == ["archived", "restored"]


def test_api_delete_of_an_slo_with_measurements_is_a_409_pointing_at_archive(ctx, api_as):
    slo = _slo(ctx)
    response = api_as(ctx.manager).delete(f"/api/v1/slos/{slo.pk}/")
    assert response.status_code == 409
    assert "SLI measurements" in response.json()["detail"] and "Archive it instead" in response.json()["detail"]
    assert SLO.objects.filter(pk=slo.pk).exists()


def test_organisation_wide_article_archive_is_evidence_in_every_active_project(ctx, project):
    from tests.factories import ProjectFactory

    other = ProjectFactory(slug="warehouse")
    article = make_article(ctx.operator, slug="org-wide", publish=True)
    kb.article_archive(article=article, actor=ctx.manager, note="obsolete")
    projects = sorted(EvidenceRecord.objects.filter(kind="archive").values_list("project__slug", flat=True))
    assert projects == sorted([project.slug, other.slug])


def test_archived_by_keeps_its_person(ctx):
    """People are deactivated, never deleted: who archived a row cannot be deleted from under it."""
    obj = _responders(ctx)
    archiving.archive(obj, ctx.manager)
    with pytest.raises(ProtectedError):
        ctx.manager.delete()

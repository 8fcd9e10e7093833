"""Per-project access, behaviour by behaviour: body references, moves, roles per project, notifications,
knowledge base, exports, autocomplete and query counts."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from incidents.models import Incident, Postmortem
from knowledgebase.models import ArticleKind
from knowledgebase.services import article_create, article_publish
from opsportal.access import projects_for, scope
from opsportal.models import ApiToken, EvidenceRecord, Service
from tests.factories import ProjectFactory, ServiceFactory, UserFactory
from tests.incidents.factories import declare
from tests.incidents.postmortem_factories import in_review, resolved_incident
from tests.memberships import member

pytestmark = pytest.mark.no_group_memberships


def api(user) -> APIClient:
    client = APIClient()
    _, secret = ApiToken.objects.create(user=user, expiry=None, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


@pytest.fixture
def two(db):
    a = ProjectFactory(slug="alpha", name="Alpha")
    b = ProjectFactory(slug="beta", name="Beta")
    return a, b


def person(name, **roles):
    user = UserFactory(username=name, is_staff=True)
    for project, role in roles.items():
        member(user, project, role)
    return user


def test_operator_without_tie_cannot_post_evidence_into_another_project(two):
    """The issue's reproduction: it used to answer 201."""
    alpha, beta = two
    operator = UserFactory(username="op", is_staff=True)
    member(operator, alpha, "operator")
    response = api(operator).post("/api/v1/evidence/", {"project": "beta", "summary": "drill"}, format="json")
    assert response.status_code == 400 and "project" in response.json()
    assert not EvidenceRecord.objects.filter(project=beta).exists()
    assert api(operator).post("/api/v1/evidence/", {"project": "alpha", "summary": "drill"},
                              format="json").status_code == 201


def test_body_references_to_another_project_name_the_field(two):
    alpha, beta = two
    operator = UserFactory(username="op", is_staff=True)
    member(operator, alpha, "operator")
    member(operator, beta, "viewer")  # seeing beta is not writing to it
    foreign_incident = resolved_incident(beta)
    response = api(operator).post("/api/v1/postmortems/", {"incident": foreign_incident.pk}, format="json")
    assert response.status_code == 400 and "incident" in response.json()
    response = api(operator).post("/api/v1/action-items/", {"project": "beta", "title": "x", "owner": "op"},
                                  format="json")
    assert response.status_code == 400 and "project" in response.json()
    response = api(operator).post("/api/v1/incidents/", {"project": "beta", "title": "x", "severity": "SEV3"},
                                  format="json")
    assert response.status_code == 400 and "project" in response.json()
    assert not Postmortem.objects.exists() and Incident.objects.filter(project=beta).count() == 1


def test_a_row_does_not_move_to_another_project(two):
    alpha, beta = two
    manager = UserFactory(username="boss", is_staff=True)
    member(manager, alpha, "manager")
    member(manager, beta, "manager")  # even a Manager of both
    service = ServiceFactory(project=alpha, slug="api")
    response = api(manager).patch(f"/api/v1/services/{service.pk}/", {"project": "beta"}, format="json")
    assert response.status_code == 400 and "project" in response.json()
    service.refresh_from_db()
    assert service.project == alpha
    ok = api(manager).patch(f"/api/v1/services/{service.pk}/", {"project": "alpha", "name": "API"}, format="json")
    assert ok.status_code == 200 and Service.objects.get(pk=service.pk).name == "API"


def test_roles_are_per_project(two):
    """A Viewer of A and Manager of B approves B's postmortem, not A's."""
    alpha, beta = two
    author = UserFactory(username="author", is_staff=True)
    member(author, alpha, "operator")
    member(author, beta, "operator")
    mixed = UserFactory(username="mixed", is_staff=True)
    member(mixed, alpha, "viewer")
    member(mixed, beta, "manager")
    pm_alpha, pm_beta = in_review(alpha, owner=author), in_review(beta, owner=author)
    client = api(mixed)
    assert client.get(f"/api/v1/postmortems/{pm_alpha.pk}/").status_code == 200
    assert client.post(f"/api/v1/postmortems/{pm_alpha.pk}/decide/", {"decision": "approve"},
                       format="json").status_code == 403
    assert client.post(f"/api/v1/postmortems/{pm_beta.pk}/decide/", {"decision": "approve"},
                       format="json").status_code in (200, 201)
    from opsportal.models import Approval

    assert list(Approval.objects.filter(approver=mixed).values_list("project__slug", flat=True)) == ["beta"]
    stranger = UserFactory(username="stranger", is_staff=True)
    member(stranger, beta, "manager")
    assert api(stranger).get(f"/api/v1/postmortems/{pm_alpha.pk}/").status_code == 404
    assert api(stranger).post(f"/api/v1/postmortems/{pm_alpha.pk}/decide/", {"decision": "approve"},
                              format="json").status_code == 404


def test_review_email_goes_to_the_projects_managers_only(two, django_capture_on_commit_callbacks):
    alpha, beta = two
    author = UserFactory(username="author", email="author@x.example", is_staff=True)
    member(author, alpha, "operator")
    alpha_boss = UserFactory(username="alpha-boss", email="alpha-boss@x.example")
    member(alpha_boss, alpha, "manager")
    beta_boss = UserFactory(username="beta-boss", email="beta-boss@x.example")
    member(beta_boss, beta, "manager")
    alpha_viewer = UserFactory(username="alpha-viewer", email="alpha-viewer@x.example")
    member(alpha_viewer, alpha, "viewer")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        in_review(alpha, owner=author)
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["alpha-boss@x.example"]


def test_knowledge_base_pages_follow_the_project(client, two):
    alpha, beta = two
    writer = UserFactory(username="writer", is_staff=True)
    member(writer, alpha, "operator")
    member(writer, beta, "operator")
    own = article_publish(article=article_create(actor=writer, kind=ArticleKind.KNOWLEDGE, title="Alpha secrets",
                                                 slug="alpha-secrets", body="Only alpha.", project=alpha),
                          actor=writer)
    org = article_publish(article=article_create(actor=writer, kind=ArticleKind.KNOWLEDGE, title="Org handbook",
                                                 slug="org-handbook", body="For everyone."), actor=writer)
    reader = UserFactory(username="reader")
    member(reader, beta, "viewer")
    client.force_login(reader)
    listing = client.get("/kb/").content.decode()
    assert "Org handbook" in listing and "Alpha secrets" not in listing
    assert client.get("/kb/?q=secrets").content.decode().count("Alpha secrets") == 0
    assert client.get(f"/kb/{own.slug}/").status_code == 404
    assert client.get(f"/kb/{org.slug}/").status_code == 200
    nobody = UserFactory(username="nobody-at-all")
    client.force_login(nobody)  # signed in, member of nothing: organisation-wide articles only
    assert client.get(f"/kb/{org.slug}/").status_code == 200
    assert client.get(f"/kb/{own.slug}/").status_code == 404


def test_exports_of_another_project_are_404(two):
    alpha, beta = two
    outsider = UserFactory(username="outsider", is_staff=True)
    member(outsider, beta, "manager")
    client = api(outsider)
    for url in ("/api/v1/projects/alpha/manifest/", "/api/v1/projects/alpha/phases/phase6/evidence/",
                "/api/v1/projects/alpha/openslo/", "/api/v1/projects/alpha/gates/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/api/v1/projects/alpha/slo-checks/", {}, format="json").status_code == 404
    assert client.post("/api/v1/projects/alpha/retro-schedules/", {}, format="json").status_code == 404
    assert client.get("/api/v1/projects/beta/openslo/").status_code == 200
    from retros.services import schedule_retros

    series, _ = schedule_retros(project=alpha, start="2020-01-06", cadence="weekly", count=2)
    assert client.get(f"/api/v1/retro-series/{series.pk}/cadence.json").status_code == 404
    member(outsider, alpha, "viewer")
    assert client.get(f"/api/v1/retro-series/{series.pk}/cadence.json").status_code == 200


def test_autocomplete_and_choices_offer_only_writable_projects(client, two):
    alpha, beta = two
    ServiceFactory(project=alpha, slug="alpha-api", name="Alpha API")
    ServiceFactory(project=beta, slug="beta-api", name="Beta API")
    operator = UserFactory(username="op", is_staff=True)
    member(operator, alpha, "operator")
    member(operator, beta, "viewer")
    client.force_login(operator)
    response = client.get("/admin/autocomplete/", {"app_label": "incidents", "model_name": "incident",
                                                   "field_name": "services", "term": "api"})
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["alpha/alpha-api"]
    assert sorted(projects_for(operator, "reference").values_list("slug", flat=True)) == ["alpha"]
    assert sorted(projects_for(operator).values_list("slug", flat=True)) == ["alpha", "beta"]


def test_list_query_count_does_not_grow_with_rows_or_projects(two):
    alpha, beta = two
    viewer = UserFactory(username="v", is_staff=True)
    member(viewer, alpha, "viewer")
    for n in range(3):
        declare(alpha, title=f"a{n}")
    client = api(viewer)
    client.get("/api/v1/incidents/")
    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/incidents/").json()["results"]) == 3
    for n in range(30):
        declare(alpha, title=f"b{n}")
        declare(beta, title=f"c{n}")
    for extra in range(5):
        member(viewer, ProjectFactory(slug=f"extra-{extra}"), "viewer")
    with CaptureQueriesContext(connection) as large:
        assert len(client.get("/api/v1/incidents/").json()["results"]) == 33
    assert len(large.captured_queries) == len(small.captured_queries)


def test_scope_is_one_subquery(two):
    alpha, beta = two
    viewer = UserFactory(username="v")
    member(viewer, alpha, "viewer")
    declare(alpha)
    declare(beta)
    with CaptureQueriesContext(connection) as ctx:
        rows = list(scope(Incident.objects.all(), viewer))
    assert [row.project_id for row in rows] == [alpha.pk]
    assert len(ctx.captured_queries) == 1 and "access_projectmembership" in ctx.captured_queries[0]["sql"]


def test_digests_tell_owners_only_of_projects_they_still_see(two, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from incidents.services.action_items import action_item_create, action_items_send_overdue_digests

    alpha, beta = two
    owner = UserFactory(username="owner", email="owner@x.example")
    member(owner, alpha, "operator")
    member(owner, beta, "operator")
    today = timezone.localdate()
    for project in (alpha, beta):
        action_item_create(project=project, title=f"Fix {project.slug}", owner=owner, actor=None,
                           due_date=today + timedelta(days=1))
    from opsportal.access.services import membership_revoke

    membership_revoke(project=beta, user=owner, actor=None)  # left beta
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert action_items_send_overdue_digests(today=today + timedelta(days=5)) == 1
    body = mail.outbox[0].body
    assert "Fix alpha" in body and "Fix beta" not in body


def test_only_managers_configure_alert_flow(two):
    """Burn-rate tiers and an SLO's data source are the project Managers' configuration."""
    from slos.services import slo_create

    alpha, _beta = two
    service = ServiceFactory(project=alpha, slug="api")
    slo = slo_create(project=alpha, service=service, name="API availability", slug="api-availability",
                     objective="99.9")
    operator, manager = person("op"), person("boss")
    member(operator, alpha, "operator")
    member(manager, alpha, "manager")
    change = {"data_source": "prometheus", "prometheus_url": "https://prometheus.example",
              "promql_total": "sum(increase(http_requests_total[$window]))",
              "promql_bad": "sum(increase(http_errors_total[$window]))"}
    refused = api(operator).patch(f"/api/v1/slos/{slo.pk}/", change, format="json")
    assert refused.status_code == 400 and "prometheus_url" in refused.json()
    assert api(operator).patch(f"/api/v1/slos/{slo.pk}/", {"description": "Checkout API"},
                               format="json").status_code == 200  # operational fields stay theirs
    assert api(manager).patch(f"/api/v1/slos/{slo.pk}/", change, format="json").status_code == 200
    tiers = [{"name": "page-1h", "severity": "page", "long_window": "1h", "short_window": "5m",
              "budget_percent": "2"}]
    assert api(operator).put(f"/api/v1/slos/{slo.pk}/tiers/", tiers, format="json").status_code == 403
    assert api(manager).put(f"/api/v1/slos/{slo.pk}/tiers/", tiers, format="json").status_code == 200

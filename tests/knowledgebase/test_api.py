"""The articles, runbooks and training-assignments API."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowledgebase import services
from knowledgebase.models import Article, ArticleKind, TrainingAssignment
from knowledgebase.structure import RUNBOOK_TEMPLATE
from tests.factories import ProjectFactory, ServiceFactory, UserFactory


def test_detail_has_markdown_and_sanitized_html(api_as, viewer, article_factory, operator):
    article_factory(operator, slug="xss", body="## Steps\n\n<script>alert(1)</script> [x](javascript:alert(1))",
                    publish=True)
    response = api_as(viewer).get("/api/v1/articles/xss/")
    assert response.status_code == 200
    data = response.json()
    assert data["body"].startswith("## Steps")
    assert "<script>" not in data["body_html"] and "&lt;script&gt;" in data["body_html"]
    assert "javascript:" not in data["body_html"]
    assert data["toc_html"].count("<a ") == 1
    assert data["stale"] is False and data["version"] == 1


def test_create_then_update_with_base_version(api_as, operator, project, service):
    client = api_as(operator)
    response = client.post("/api/v1/articles/", {
        "kind": "runbook", "title": "HighErrorRate", "slug": "high-error-rate", "body": RUNBOOK_TEMPLATE,
        "summary": "Checkout errors", "project": "shop", "services": [service.pk], "tags": ["Checkout", "slo"],
        "alert_names": ["HighErrorRate"],
    }, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["version"], data["project"], data["services"], data["tags"], data["alert_names"]) == (
        1, "shop", [service.pk], ["checkout", "slo"], ["HighErrorRate"])
    assert data["review_interval_days"] == 90 and data["owner"] == "operator"
    response = client.patch("/api/v1/articles/high-error-rate/", {"body": "## Changed", "base_version": 1,
                                                                  "change_note": "shorter"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["version"], response.json()["body_html"]) == (2, '<h2 id="kb-changed">Changed</h2>')
    # A partial update changes only what it names.
    assert (response.json()["project"], response.json()["tags"], response.json()["title"]) == (
        "shop", ["checkout", "slo"], "HighErrorRate")


def test_second_update_from_the_same_base_gets_409(api_as, operator, manager, article_factory):
    article_factory(operator, slug="shared")
    first = api_as(operator).patch("/api/v1/articles/shared/", {"body": "mine", "base_version": 1}, format="json")
    second = api_as(manager).patch("/api/v1/articles/shared/", {"body": "theirs", "base_version": 1}, format="json")
    assert first.status_code == 200
    assert second.status_code == 409
    assert "Edit conflict" in second.json()["base_version"][0]
    assert Article.objects.get(slug="shared").body == "mine"


def test_update_without_base_version_is_400(api_as, operator, article_factory):
    article_factory(operator, slug="a")
    response = api_as(operator).patch("/api/v1/articles/a/", {"body": "x"}, format="json")
    assert response.status_code == 400 and "base_version" in response.json()


@pytest.mark.parametrize("payload, field", [
    ({"kind": "novel", "title": "T", "slug": "t"}, "kind"),
    ({"kind": "runbook", "title": "", "slug": "t"}, "title"),
    ({"kind": "runbook", "title": "T", "slug": "not a slug"}, "slug"),
    ({"kind": "runbook", "title": "T", "slug": "t", "project": "nope"}, "project"),
    ({"kind": "runbook", "title": "T", "slug": "t", "alert_names": ["has space"]}, "alert_names"),
    ({"kind": "runbook", "title": "T", "slug": "t", "review_interval_days": 0}, "review_interval_days"),
    ({"kind": "runbook", "title": "T", "slug": "t", "tags": ["bad tag!"]}, "tags"),
])
def test_bad_input_names_the_field(api_as, operator, project, payload, field):
    response = api_as(operator).post("/api/v1/articles/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_services_of_another_project_are_refused(api_as, operator, project):
    other = ServiceFactory(project=ProjectFactory(slug="other"))
    response = api_as(operator).post("/api/v1/articles/", {"kind": "knowledge", "title": "T", "slug": "t",
                                                           "project": "shop", "services": [other.pk]}, format="json")
    assert response.status_code == 400 and "services" in response.json()


def test_permissions(api_as, viewer, nobody, operator, article_factory):
    article_factory(operator, slug="a", publish=True)
    assert api_as(viewer).post("/api/v1/articles/", {"kind": "knowledge", "title": "T", "slug": "t"},
                               format="json").status_code == 403
    assert api_as(viewer).patch("/api/v1/articles/a/", {"body": "x", "base_version": 1},
                                format="json").status_code == 403
    assert api_as(viewer).post("/api/v1/articles/a/review/").status_code == 403
    assert api_as(nobody).get("/api/v1/articles/").status_code == 403
    assert api_as(viewer).get("/api/v1/articles/a/").status_code == 200


def test_viewers_see_published_only(api_as, viewer, operator, article_factory):
    article_factory(operator, slug="draft")
    article_factory(operator, slug="live", publish=True)
    assert [a["slug"] for a in api_as(viewer).get("/api/v1/articles/").json()["results"]] == ["live"]
    assert api_as(viewer).get("/api/v1/articles/draft/").status_code == 404
    assert len(api_as(operator).get("/api/v1/articles/").json()["results"]) == 2


def test_filters(api_as, operator, article_factory, project, service):
    now = timezone.now()
    article_factory(operator, slug="rb", kind=ArticleKind.RUNBOOK, project=project, services=[service],
                    tags=["checkout"], publish=True, alert_names=["HighErrorRate"])
    old = article_factory(operator, slug="old", publish=True)
    services.article_set_last_review(article=old, reviewed_at=now - timedelta(days=365))
    article_factory(operator, slug="draft", tags=["checkout"])
    client = api_as(operator)

    def slugs(query):
        response = client.get(f"/api/v1/articles/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(a["slug"] for a in response.json()["results"])

    assert slugs("kind=runbook") == ["rb"]
    assert slugs("project=shop") == ["rb"]
    assert slugs("project=none") == ["draft", "old"]
    assert slugs(f"service={service.pk}") == ["rb"]
    assert slugs("status=draft") == ["draft"]
    assert slugs("tag=checkout") == ["draft", "rb"]
    assert slugs("alert=HighErrorRate") == ["rb"]
    assert slugs("stale=true") == ["old"]
    assert slugs("stale=false") == ["draft", "rb"]
    assert client.get("/api/v1/articles/?kind=novel").status_code == 400


def test_search_through_the_api(api_as, operator, article_factory):
    article_factory(operator, title="Restart checkout", body="x", slug="a", publish=True)
    article_factory(operator, title="Other", body="you could restart it", slug="b", publish=True)
    article_factory(operator, title="Unrelated", body="nothing", slug="c", publish=True)
    response = api_as(operator).get("/api/v1/articles/", {"q": "restart"})
    results = response.json()["results"]
    assert [a["slug"] for a in results] == ["a", "b"]
    assert "<mark>restart</mark>" in results[1]["search_headline"]
    assert results[0]["search_rank"] > results[1]["search_rank"]
    for q in ['"', "' OR 1=1 --", "NEAR(", "*"]:
        assert api_as(operator).get("/api/v1/articles/", {"q": q}).status_code == 200


def test_revisions_list_detail_and_restore(api_as, operator, manager, article_factory):
    article = article_factory(operator, slug="a", body="one\ntwo")
    services.article_update(article=article, actor=operator, base_version=1, body="one\nthree", change_note="fix")
    client = api_as(manager)
    revisions = client.get("/api/v1/articles/a/revisions/").json()
    assert [(r["number"], r["author"], r["change_note"]) for r in revisions] == [(2, "operator", "fix"),
                                                                                (1, "operator", "Created")]
    detail = client.get("/api/v1/articles/a/revisions/2/").json()
    assert detail["body"] == "one\nthree" and "-two\n+three" in detail["diff_from_previous"]
    assert client.get("/api/v1/articles/a/revisions/9/").status_code == 404
    stale_restore = client.post("/api/v1/articles/a/revisions/1/restore/", {"base_version": 1}, format="json")
    assert stale_restore.status_code == 409
    restored = client.post("/api/v1/articles/a/revisions/1/restore/", {"base_version": 2}, format="json")
    assert restored.status_code == 200
    assert (restored.json()["version"], restored.json()["body"]) == (3, "one\ntwo")


def test_publish_review_archive_actions(api_as, operator, manager, article_factory):
    article_factory(operator, slug="a")
    client = api_as(operator)
    assert client.post("/api/v1/articles/a/review/").status_code == 400  # drafts are not reviewed
    assert client.post("/api/v1/articles/a/publish/").json()["status"] == "published"
    reviewed = client.post("/api/v1/articles/a/review/", {"note": "still right"}, format="json").json()
    assert reviewed["last_reviewed_by"] == "operator"
    assert client.post("/api/v1/articles/a/archive/").status_code == 403  # archiving is a Manager's decision
    assert api_as(manager).post("/api/v1/articles/a/archive/").json()["status"] == "archived"


def test_runbook_lookup_by_alert(api_as, viewer, operator, article_factory, project):
    other = ProjectFactory(slug="other")
    article_factory(operator, slug="org", kind=ArticleKind.RUNBOOK, title="A org-wide", publish=True)
    article_factory(operator, slug="own", kind=ArticleKind.RUNBOOK, title="Z shop", project=project, publish=True)
    article_factory(operator, slug="foreign", kind=ArticleKind.RUNBOOK, project=other, publish=True)
    article_factory(operator, slug="draft", kind=ArticleKind.RUNBOOK, project=project)
    article_factory(operator, slug="elsewise", kind=ArticleKind.RUNBOOK, project=project, publish=True,
                    alert_names=["DiskFull"])
    client = api_as(viewer)
    response = client.get("/api/v1/runbooks/", {"alert": "HighErrorRate", "project": "shop"})
    assert [r["slug"] for r in response.json()] == ["own", "org"]
    assert response.json()[0]["url"] == "/kb/own/"
    assert sorted(r["slug"] for r in client.get("/api/v1/runbooks/", {"alert": "HighErrorRate"}).json()) == [
        "foreign", "org", "own"]
    assert client.get("/api/v1/runbooks/").status_code == 400
    assert client.get("/api/v1/runbooks/", {"alert": "X", "project": "nope"}).status_code == 400


def test_training_assign_list_complete(api_as, manager, operator, viewer, article_factory):
    article_factory(manager, slug="oncall", kind=ArticleKind.TRAINING, publish=True)
    due = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = api_as(manager).post("/api/v1/training-assignments/assign/",
                                    {"article": "oncall", "users": ["operator", "viewer"], "due_on": due},
                                    format="json")
    assert response.status_code == 201, response.json()
    assert {a["state"] for a in response.json()} == {"overdue"}
    assert api_as(viewer).post("/api/v1/training-assignments/assign/",
                               {"article": "oncall", "users": ["viewer"], "due_on": due},
                               format="json").status_code == 403
    overdue = api_as(manager).get("/api/v1/training-assignments/", {"state": "overdue"}).json()["results"]
    assert sorted(a["user"] for a in overdue) == ["operator", "viewer"]
    mine = TrainingAssignment.objects.get(user=viewer)
    assert api_as(operator).post(f"/api/v1/training-assignments/{mine.pk}/complete/").status_code == 403
    done = api_as(viewer).post(f"/api/v1/training-assignments/{mine.pk}/complete/").json()
    assert done["state"] == "completed" and done["completed_version"] == 1 and done["completed_at"]
    remaining = api_as(manager).get("/api/v1/training-assignments/", {"state": "overdue"}).json()["results"]
    assert [a["user"] for a in remaining] == ["operator"]


def _list_queries(client, url, count_rows):
    client.get(url)  # warm caches (content types, search backend detection)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) == count_rows
    return len(ctx.captured_queries)


def _add_runbooks(numbers, operator, project, service):
    for i in numbers:
        article = services.article_create(
            actor=operator, kind=ArticleKind.RUNBOOK, title=f"Runbook {i} restart", slug=f"rb-{i}",
            body=RUNBOOK_TEMPLATE, project=project, services=[service], tags=["checkout", f"t{i}"],
            alert_names=["HighErrorRate", f"Alert{i}"],
        )
        services.article_publish(article=article, actor=operator)


LIST_URLS = ["/api/v1/articles/?limit=200", "/api/v1/articles/?q=restart&limit=200",
             "/api/v1/articles/?tag=checkout&stale=false&limit=200",
             "/api/v1/runbooks/?alert=HighErrorRate&project=shop"]


def test_article_lists_run_constant_queries(api_as, operator, project, service):
    client = api_as(operator)
    _add_runbooks(range(5), operator, project, service)
    small = {url: _list_queries(client, url, 5) for url in LIST_URLS}
    _add_runbooks(range(5, 100), operator, project, service)
    large = {url: _list_queries(client, url, 100) for url in LIST_URLS}
    assert small == large


def test_training_list_runs_constant_queries(api_as, manager, article_factory):
    article = article_factory(manager, kind=ArticleKind.TRAINING, publish=True)
    users = [UserFactory(username=f"u{i}") for i in range(100)]
    services.training_assign(article=article, due_on=timezone.localdate(), actor=manager, users=users[:5])
    client = api_as(manager)
    small = _list_queries(client, "/api/v1/training-assignments/?page_size=200", 5)
    services.training_assign(article=article, due_on=timezone.localdate(), actor=manager, users=users)
    assert _list_queries(client, "/api/v1/training-assignments/?page_size=200", 100) == small

"""Reader pages at /kb/: login required, lists by kind/project/service/tag, article page, printable."""

import re
from datetime import timedelta

from django.utils import timezone

from knowledgebase import services
from knowledgebase.models import ArticleKind, TrainingAssignment


def test_login_required(client, article_factory):
    article_factory(None, slug="a", publish=True)
    for url in ("/kb/", "/kb/a/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/kb/")


def test_list_by_kind_project_service_and_tag(client, viewer, operator, article_factory, project, service):
    article_factory(operator, slug="rb", title="Checkout errors", kind=ArticleKind.RUNBOOK, project=project,
                    services=[service], tags=["checkout"], publish=True)
    article_factory(operator, slug="guide", title="Deploy guide", kind=ArticleKind.BEST_PRACTICE, tags=["deploys"],
                    publish=True)
    article_factory(operator, slug="hidden", title="Draft notes")
    client.force_login(viewer)

    def titles(query=""):
        response = client.get(f"/kb/{query}")
        assert response.status_code == 200
        return [row["article"].title for row in response.context["rows"]]

    assert titles() == ["Checkout errors", "Deploy guide"]
    assert titles("?kind=best_practice") == ["Deploy guide"]
    assert titles("?project=shop") == ["Checkout errors"]
    assert titles(f"?service={service.pk}") == ["Checkout errors"]
    assert titles("?tag=deploys") == ["Deploy guide"]
    assert titles("?q=checkout") == ["Checkout errors"]
    assert "Draft notes" not in client.get("/kb/").content.decode()
    assert client.get("/kb/hidden/").status_code == 404


def test_article_page_shows_toc_owner_review_and_stale_warning(client, viewer, operator, article_factory):
    article = article_factory(operator, slug="rb", title="HighErrorRate", kind=ArticleKind.RUNBOOK, publish=True)
    client.force_login(viewer)
    page = client.get("/kb/rb/").content.decode()
    assert 'href="#kb-how-to-verify-it-is-real"' in page  # table of contents
    assert "Owner: <strong>operator</strong>" in page
    assert f"Last review: <strong>{timezone.localdate():%Y-%m-%d}</strong>" in page
    assert "<code>HighErrorRate</code>" in page
    assert "kb-stale-warning" not in page
    services.article_set_last_review(article=article, reviewed_at=timezone.now() - timedelta(days=120))
    page = client.get("/kb/rb/").content.decode()
    assert 'id="kb-stale-warning"' in page and "may be out of date" in page
    assert "Related incidents" in page


def test_pages_are_printable_and_use_no_cdn(client, viewer, article_factory):
    article_factory(None, slug="a", publish=True)
    client.force_login(viewer)
    for url in ("/kb/", "/kb/a/"):
        page = client.get(url).content.decode()
        assert "@media print" in page
        external = re.findall(r'(?:src|href)="(https?:)?//[^"]+"', page)
        assert external == []
        assert "<script src" not in page and "stylesheet" not in page


def test_training_completion_from_the_article_page(client, manager, viewer, article_factory):
    article = article_factory(manager, slug="oncall", kind=ArticleKind.TRAINING, publish=True)
    services.training_assign(article=article, due_on=timezone.localdate() - timedelta(days=1), actor=manager,
                             users=[viewer])
    client.force_login(viewer)
    page = client.get("/kb/oncall/").content.decode()
    assert "(overdue)" in page and "Mark completed" in page
    assert client.get("/kb/oncall/complete/").status_code == 405
    response = client.post("/kb/oncall/complete/")
    assert response.status_code == 302
    assignment = TrainingAssignment.objects.get(user=viewer)
    assert assignment.is_completed
    assert "You completed this training" in client.get("/kb/oncall/").content.decode()


def test_editors_see_drafts_with_a_badge(client, operator, article_factory):
    article_factory(operator, slug="d", title="Draft runbook")
    client.force_login(operator)
    assert client.get("/kb/d/").status_code == 200
    assert "Draft runbook" in client.get("/kb/?status=all").content.decode()


def test_reader_list_runs_constant_queries(client, viewer, operator, article_factory, project, service):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(numbers):
        for i in numbers:
            article_factory(operator, slug=f"a-{i}", project=project, services=[service], tags=["t", f"t{i}"],
                            publish=True)

    client.force_login(viewer)

    def count():
        client.get("/kb/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/kb/?q=body").status_code == 200
        return len(ctx.captured_queries)

    add(range(5))
    small = count()
    add(range(5, 50))
    assert count() == small

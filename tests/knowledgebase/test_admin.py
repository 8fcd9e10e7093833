"""Admin: editor starting from the runbook template, preview without saving, conflicts, actions, history, diff."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from knowledgebase import services
from knowledgebase.models import Article, ArticleKind, ArticleStatus, TrainingAssignment
from knowledgebase.structure import RUNBOOK_TEMPLATE
from opsportal.models import EvidenceRecord
from tests.factories import UserFactory

CHANGELIST = "/admin/knowledgebase/article/"


def change_url(article):
    return reverse("admin:knowledgebase_article_change", args=[article.pk])


def form_data(article, **overrides):
    data = {
        "kind": article.kind, "title": article.title, "slug": article.slug, "project": article.project_id or "",
        "summary": article.summary, "body": article.body, "owner": article.owner_id or "",
        "review_interval_days": article.review_interval_days, "base_version": article.version,
        "tags_text": "", "alert_names_text": "\n".join(a.alert_name for a in article.alerts.all()),
        "change_note": "",
    }
    data.update(overrides)
    return data


def test_add_form_starts_from_the_runbook_template(client, manager):
    client.force_login(manager)
    response = client.get("/admin/knowledgebase/article/add/")
    assert response.status_code == 200
    assert response.context["adminform"].form.initial["body"] == RUNBOOK_TEMPLATE
    assert "How to verify it is real" in response.content.decode()
    training = client.get("/admin/knowledgebase/article/add/?kind=training").context["adminform"].form.initial
    assert training["body"].startswith("## Goal") and training["review_interval_days"] == 180


def test_add_through_the_admin_uses_the_service(client, operator, project):
    client.force_login(operator)
    response = client.post("/admin/knowledgebase/article/add/", {
        "kind": "runbook", "title": "HighErrorRate", "slug": "her", "project": project.pk, "summary": "",
        "body": RUNBOOK_TEMPLATE, "owner": operator.pk, "review_interval_days": "", "tags_text": "checkout, slo",
        "alert_names_text": "HighErrorRate\nCheckoutErrors", "change_note": "first",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(slug="her")
    assert (article.version, article.review_interval_days) == (1, 90)
    assert sorted(article.tags.values_list("name", flat=True)) == ["checkout", "slo"]
    assert sorted(article.alerts.values_list("alert_name", flat=True)) == ["CheckoutErrors", "HighErrorRate"]
    assert article.revisions.get().change_note == "first"
    assert '<h2 id="kb-how-to-verify-it-is-real">' in article.body_html


def test_preview_renders_sanitized_html_and_keeps_the_draft(client, operator, article_factory):
    article = article_factory(operator, body="saved text")
    client.force_login(operator)
    draft = "## Draft heading\n\n<script>alert(1)</script> [bad](javascript:alert(1))"
    response = client.post(change_url(article), form_data(article, body=draft, _preview="Preview"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h2 id="kb-draft-heading">Draft heading</h2>' in page
    assert "<script>alert(1)</script>" not in page
    assert response.context["adminform"].form["body"].value() == draft  # the draft stays in the editor
    article.refresh_from_db()
    assert (article.body, article.version) == ("saved text", 1)  # nothing saved


def test_preview_on_the_add_form_saves_nothing(client, operator):
    client.force_login(operator)
    response = client.post("/admin/knowledgebase/article/add/", {
        "kind": "knowledge", "title": "New", "slug": "new", "body": "**bold**", "_preview": "Preview",
    })
    assert response.status_code == 200
    assert "<strong>bold</strong>" in response.content.decode()
    assert not Article.objects.exists()


def test_save_makes_a_revision(client, operator, article_factory):
    article = article_factory(operator, body="v1")
    client.force_login(operator)
    response = client.post(change_url(article), form_data(article, body="v2", change_note="updated"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.version, article.body) == (2, "v2")
    assert article.revisions.first().change_note == "updated"


def test_second_save_from_the_same_base_shows_a_conflict(client, operator, manager, article_factory):
    article = article_factory(operator, body="original")
    client.force_login(operator)
    opened_by_both = form_data(article)
    assert client.post(change_url(article), {**opened_by_both, "body": "first"}).status_code == 302
    client.force_login(manager)
    response = client.post(change_url(article), {**opened_by_both, "body": "second"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Edit conflict: operator saved version 2" in page
    assert response.context["adminform"].form["body"].value() == "second"  # their text is not lost
    article.refresh_from_db()
    assert (article.body, article.version) == ("first", 2)


def test_actions_publish_archive_and_mark_reviewed(client, manager, article_factory, project):
    runbook = article_factory(manager, kind=ArticleKind.RUNBOOK, project=project)
    broken = article_factory(manager, kind=ArticleKind.RUNBOOK, body="## Only steps", title="Broken")
    client.force_login(manager)
    response = client.post(CHANGELIST, {"action": "publish_action", "_selected_action": [runbook.pk, broken.pk]},
                           follow=True)
    page = response.content.decode()
    assert "Published: " in page and "Not published: Broken" in page
    runbook.refresh_from_db()
    broken.refresh_from_db()
    assert (runbook.status, broken.status) == (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT)
    services.article_set_last_review(article=runbook, reviewed_at=timezone.now() - timedelta(days=200))
    client.post(CHANGELIST, {"action": "mark_reviewed_action", "_selected_action": [runbook.pk]})
    runbook.refresh_from_db()
    assert runbook.last_reviewed_by == manager and not runbook.is_stale(timezone.now())
    assert [e.payload["action"] for e in EvidenceRecord.objects.order_by("id")] == ["published", "reviewed"]
    client.post(CHANGELIST, {"action": "archive_selected", "_selected_action": [runbook.pk]})
    runbook.refresh_from_db()
    assert runbook.status == ArticleStatus.ARCHIVED and runbook.archived_by == manager
    assert EvidenceRecord.objects.order_by("id").last().payload["action"] == "archived"


def test_viewer_cannot_run_actions_or_edit(client, viewer, article_factory, operator):
    article = article_factory(operator)
    client.force_login(viewer)
    response = client.post(CHANGELIST, {"action": "publish_action", "_selected_action": [article.pk]})
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.DRAFT
    assert response.status_code in (200, 302)
    assert client.post(change_url(article), form_data(article, body="x")).status_code == 403
    assert client.post(reverse("admin:knowledgebase_article_restore", args=[article.pk, 1])).status_code == 403


def test_stale_filter(client, manager, article_factory):
    fresh = article_factory(manager, publish=True, title="Fresh")
    stale = article_factory(manager, publish=True, title="Old")
    services.article_set_last_review(article=stale, reviewed_at=timezone.now() - timedelta(days=400))
    client.force_login(manager)
    listed = list(client.get(CHANGELIST + "?review=stale").context["cl"].result_list)
    assert listed == [stale]
    assert list(client.get(CHANGELIST + "?review=fresh").context["cl"].result_list) == [fresh]


def test_admin_search_ranks_matches(client, manager, article_factory):
    article_factory(manager, title="Other", body="restart maybe")
    article_factory(manager, title="Restart checkout", body="x")
    article_factory(manager, title="Unrelated", body="nothing")
    client.force_login(manager)
    result = client.get(CHANGELIST + "?q=restart").context["cl"].result_list
    assert [a.title for a in result] == ["Restart checkout", "Other"]
    assert client.get(CHANGELIST + '?q="NEAR(*').status_code == 200


def test_history_diff_and_restore(client, manager, operator, article_factory):
    article = article_factory(operator, body="alpha\nbeta")
    article = services.article_update(article=article, actor=operator, base_version=1, body="alpha\ngamma",
                                      change_note="beta is gone")
    client.force_login(manager)
    history = client.get(reverse("admin:knowledgebase_article_revisions", args=[article.pk]))
    assert history.status_code == 200
    assert "beta is gone" in history.content.decode()
    assert [r.number for r in history.context["revisions"]] == [2, 1]
    diff = client.get(reverse("admin:knowledgebase_article_diff", args=[article.pk]) + "?from=1&to=2")
    kinds = [(line.kind, line.text) for line in diff.context["lines"] if line.kind != "same"]
    assert kinds == [("removed", "beta"), ("added", "gamma")]
    assert "1 line(s) added, 1 removed" in diff.content.decode()
    assert client.get(reverse("admin:knowledgebase_article_diff", args=[article.pk]) + "?from=1&to=9"
                      ).status_code == 302
    restore = client.post(reverse("admin:knowledgebase_article_restore", args=[article.pk, 1]),
                          {"base_version": 2})
    assert restore.status_code == 302
    article.refresh_from_db()
    assert (article.version, article.body) == (3, "alpha\nbeta")
    outdated = client.post(reverse("admin:knowledgebase_article_restore", args=[article.pk, 2]), {"base_version": 2},
                           follow=True)
    assert "Edit conflict" in outdated.content.decode()
    assert Article.objects.get(pk=article.pk).version == 3


def test_changelist_runs_constant_queries(client, manager, project, service):
    def add(numbers):
        for i in numbers:
            article = services.article_create(actor=manager, kind=ArticleKind.KNOWLEDGE, title=f"A {i} restart",
                                              slug=f"a-{i}", body="x restart", project=project, services=[service],
                                              tags=["t"])
            services.article_publish(article=article, actor=manager)

    client.force_login(manager)

    def count(url):
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = [CHANGELIST, CHANGELIST + "?q=restart", CHANGELIST + "?review=fresh",
            "/admin/knowledgebase/trainingassignment/"]
    add(range(5))
    small = {url: count(url) for url in urls}
    add(range(5, 100))
    assert {url: count(url) for url in urls} == small


def test_assign_training_in_the_admin(client, manager, article_factory, roles):
    article = article_factory(manager, kind=ArticleKind.TRAINING, publish=True)
    member = UserFactory(username="member")
    member.groups.add(roles["Operators"])
    client.force_login(manager)
    assert client.get("/admin/knowledgebase/trainingassignment/add/").status_code == 302
    response = client.post(reverse("admin:knowledgebase_training_assign"), {
        "article": article.pk, "groups": [roles["Operators"].pk], "due_on": "2030-01-31",
    })
    assert response.status_code == 302
    assignment = TrainingAssignment.objects.get(user=member)
    assert (str(assignment.due_on), assignment.group) == ("2030-01-31", roles["Operators"])
    page = client.get("/admin/knowledgebase/trainingassignment/?state=open").content.decode()
    assert "member" in page


@pytest.mark.parametrize("url", ["/admin/", "/admin/knowledgebase/article/", "/admin/knowledgebase/article/add/"])
def test_admin_pages_load(client, manager, article_factory, url):
    article_factory(manager, publish=True)
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_viewer_sees_a_read_only_article(client, viewer, operator, article_factory):
    article = article_factory(operator, kind=ArticleKind.RUNBOOK, tags=["checkout"], publish=True)
    client.force_login(viewer)
    response = client.get(change_url(article))
    assert response.status_code == 200
    page = response.content.decode()
    assert "HighErrorRate" in page and 'name="_preview"' not in page and 'name="body"' not in page
    assert client.get(reverse("admin:knowledgebase_article_revisions", args=[article.pk])).status_code == 200


def test_admin_search_with_a_many_to_many_filter(client, manager, article_factory):
    tagged = article_factory(manager, title="Restart checkout", body="x", tags=["checkout"])
    article_factory(manager, title="Restart search", body="x", tags=["search"])
    client.force_login(manager)
    tag_id = tagged.tags.get().pk
    response = client.get(CHANGELIST + f"?q=restart&tags__id__exact={tag_id}")
    assert response.status_code == 200
    assert [a.title for a in response.context["cl"].result_list] == ["Restart checkout"]
    response = client.get(CHANGELIST + "?q=restart&o=1")
    assert [a.title for a in response.context["cl"].result_list] == ["Restart checkout", "Restart search"]


def test_due_date_change_in_the_admin(client, manager, article_factory):
    article = article_factory(manager, kind=ArticleKind.TRAINING, publish=True)
    assignment, = services.training_assign(article=article, due_on=timezone.localdate(), actor=manager,
                                           users=[UserFactory(username="learner")])
    client.force_login(manager)
    url = reverse("admin:knowledgebase_trainingassignment_change", args=[assignment.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"due_on": "2031-05-01", "completions-TOTAL_FORMS": 0,
                                 "completions-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assignment.refresh_from_db()
    assert str(assignment.due_on) == "2031-05-01"


def test_preview_of_a_runbook_lists_what_publishing_needs(client, operator):
    client.force_login(operator)
    response = client.post("/admin/knowledgebase/article/add/", {
        "kind": "runbook", "title": "New", "slug": "new", "body": "## Escalation\n\nPage.\n\n## Owner\n\nMe",
        "alert_names_text": "", "_preview": "Preview",
    })
    warnings = response.context["kb_preview"]["warnings"]
    assert warnings == [
        "Before publishing, add the runbook sections: What this alert means for users, How to verify it is real, "
        "Likely causes and mitigations, Diagnosis steps.",
        "Before publishing, name the alert(s) this runbook answers.",
    ]
    assert "Before publishing, add the runbook sections" in response.content.decode()

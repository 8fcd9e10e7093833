"""Every save makes an immutable revision; conflicting saves are refused; restore makes a new revision."""

import pytest
from django.core.exceptions import ValidationError

from knowledgebase import services
from knowledgebase.models import ArticleEvent, ArticleRevision
from knowledgebase.selectors import revision_diff, unified_diff_text
from opsportal.errors import EditConflict
from opsportal.models.appendonly import AppendOnlyError


def test_create_makes_revision_one_and_renders_html(article_factory, operator):
    article = article_factory(operator, title="Restart checkout", body="## Steps\n\n1. `kubectl get pods`")
    assert article.version == 1
    revision = article.revisions.get()
    assert (revision.number, revision.title, revision.author) == (1, "Restart checkout", operator)
    assert '<h2 id="kb-steps">Steps</h2>' in article.body_html
    assert '#kb-steps' in article.toc_html
    assert article.owner == operator
    assert article.created_by == operator


def test_each_save_adds_a_revision_with_author_and_note(article_factory, operator, manager):
    article = article_factory(operator, body="one")
    article = services.article_update(article=article, actor=manager, base_version=1, body="two",
                                      change_note="Second step added")
    assert article.version == 2
    assert article.body_html == "<p>two</p>"
    latest = article.revisions.first()
    assert (latest.number, latest.body, latest.author, latest.change_note) == (2, "two", manager, "Second step added")
    assert list(article.revisions.values_list("number", flat=True)) == [2, 1]
    assert ArticleEvent.objects.filter(article=article, kind="edited", actor=manager).count() == 1


def test_save_without_changes_is_a_noop(article_factory, operator):
    article = article_factory(operator, body="same")
    article = services.article_update(article=article, actor=operator, base_version=1, body="same")
    assert article.version == 1
    assert article.revisions.count() == 1


def test_revisions_are_immutable(article_factory, operator):
    revision = article_factory(operator).revisions.get()
    revision.body = "tampered"
    with pytest.raises(AppendOnlyError):
        revision.save()
    with pytest.raises(AppendOnlyError):
        ArticleRevision.objects.filter(pk=revision.pk).update(body="tampered")
    with pytest.raises(AppendOnlyError):
        revision.delete()


def test_second_save_from_the_same_base_is_a_conflict(article_factory, operator, manager):
    article = article_factory(operator, body="original")
    services.article_update(article=article, actor=operator, base_version=1, body="first editor")
    with pytest.raises(EditConflict) as excinfo:
        services.article_update(article=article, actor=manager, base_version=1, body="second editor")
    message = excinfo.value.message_dict["base_version"][0]
    assert "Edit conflict" in message and "operator saved version 2" in message and "version 1" in message
    article.refresh_from_db()
    assert (article.version, article.body) == (2, "first editor")
    assert article.revisions.count() == 2


def test_base_version_is_required_and_numeric(article_factory, operator):
    article = article_factory(operator)
    for bad in (None, "abc"):
        with pytest.raises(ValidationError) as excinfo:
            services.article_update(article=article, actor=operator, base_version=bad, body="x")
        assert "base_version" in excinfo.value.message_dict
        assert not isinstance(excinfo.value, EditConflict)


def test_restore_creates_a_new_revision_with_the_old_content(article_factory, operator, manager):
    article = article_factory(operator, title="v1 title", body="v1 body")
    article = services.article_update(article=article, actor=operator, base_version=1, title="v2 title", body="v2")
    article = services.article_restore_revision(article=article, number=1, actor=manager, base_version=2)
    assert article.version == 3
    assert (article.title, article.body, article.body_html) == ("v1 title", "v1 body", "<p>v1 body</p>")
    latest = article.revisions.first()
    assert (latest.number, latest.restored_from, latest.author, latest.change_note) == (
        3, 1, manager, "Restored revision 1"
    )
    assert article.revisions.count() == 3


def test_restore_of_unknown_revision_names_the_field(article_factory, operator):
    article = article_factory(operator)
    with pytest.raises(ValidationError) as excinfo:
        services.article_restore_revision(article=article, number=9, actor=operator)
    assert "number" in excinfo.value.message_dict


def test_line_diff_between_two_revisions(article_factory, operator):
    article = article_factory(operator, body="line a\nline b\nline c")
    services.article_update(article=article, actor=operator, base_version=1, body="line a\nline B\nline c\nline d")
    old, new = article.revisions.get(number=1), article.revisions.get(number=2)
    changes = [(line.kind, line.text) for line in revision_diff(old, new) if line.kind != "same"]
    assert changes == [("removed", "line b"), ("added", "line B"), ("added", "line d")]
    assert "-line b\n+line B\n" in unified_diff_text(old, new)


def test_viewer_cannot_edit(article_factory, operator, viewer):
    from django.core.exceptions import PermissionDenied

    article = article_factory(operator)
    with pytest.raises(PermissionDenied):
        services.article_update(article=article, actor=viewer, base_version=1, body="x")


def test_bad_fields_are_named(article_factory, operator, project, service):
    from tests.factories import ProjectFactory, ServiceFactory

    with pytest.raises(ValidationError) as excinfo:
        services.article_create(actor=operator, kind="novel", title="", slug="has space", body="x",
                                review_interval_days=0)
    assert set(excinfo.value.message_dict) >= {"kind", "title", "slug", "review_interval_days"}
    other = ServiceFactory(project=ProjectFactory(slug="other"))
    with pytest.raises(ValidationError) as excinfo:
        services.article_create(actor=operator, kind="knowledge", title="T", slug="t", project=project,
                                services=[service, other])
    assert "services" in excinfo.value.message_dict
    article_factory(operator, slug="taken")
    with pytest.raises(ValidationError) as excinfo:
        services.article_create(actor=operator, kind="knowledge", title="T", slug="taken")
    assert "already uses" in excinfo.value.message_dict["slug"][0]
    with pytest.raises(ValidationError) as excinfo:
        services.article_create(actor=operator, kind="runbook", title="T", slug="t2", alert_names=["High Error"])
    assert "alert_names" in excinfo.value.message_dict

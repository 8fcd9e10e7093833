"""Publishing, archiving and reviews: transitions, runbook structure, staleness, runbook_update evidence."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from knowledgebase import services
from knowledgebase.models import Article, ArticleKind, ArticleStatus
from knowledgebase.structure import RUNBOOK_TEMPLATE, missing_runbook_sections, starting_body
from opsportal.errors import InvalidTransition
from opsportal.models import EvidenceRecord
from tests.factories import ProjectFactory


def test_runbook_template_has_every_section():
    assert missing_runbook_sections(RUNBOOK_TEMPLATE) == []
    assert starting_body(ArticleKind.RUNBOOK) == RUNBOOK_TEMPLATE
    assert missing_runbook_sections("## What this means\n\n## Owner\n") == [
        "How to verify it is real", "Likely causes and mitigations", "Diagnosis steps", "Escalation",
    ]


def test_default_review_intervals_by_kind(article_factory, operator):
    assert article_factory(operator, kind=ArticleKind.RUNBOOK).review_interval_days == 90
    assert article_factory(operator, kind=ArticleKind.INCIDENT_PROCEDURE).review_interval_days == 90
    assert article_factory(operator, kind=ArticleKind.TRAINING).review_interval_days == 180
    assert article_factory(operator, kind=ArticleKind.KNOWLEDGE).review_interval_days == 180


def test_publish_sets_review_dates(article_factory, operator):
    article = services.article_publish(article=article_factory(operator), actor=operator)
    assert article.status == ArticleStatus.PUBLISHED
    assert article.last_reviewed_by == operator
    assert article.review_due_at - article.last_reviewed_at == timedelta(days=180)


def test_runbook_without_structure_or_alerts_cannot_be_published(article_factory, operator):
    article = article_factory(operator, kind=ArticleKind.RUNBOOK, body="## Steps\n\nrestart it", alert_names=[])
    with pytest.raises(ValidationError) as excinfo:
        services.article_publish(article=article, actor=operator)
    problems = " ".join(excinfo.value.message_dict["body"])
    assert "How to verify it is real" in problems and "at least one alert" in problems
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.DRAFT


def test_publishing_a_runbook_logs_runbook_update_evidence(article_factory, operator, project):
    article = article_factory(operator, kind=ArticleKind.RUNBOOK, project=project, alert_names=["HighErrorRate"])
    services.article_publish(article=article, actor=operator)
    record = EvidenceRecord.objects.get(project=project, kind="runbook_update")
    assert record.payload["action"] == "published"
    assert record.payload["alerts"] == ["HighErrorRate"]
    assert record.created_by == operator


def test_org_wide_runbook_evidence_goes_to_every_active_project(article_factory, operator, project):
    other = ProjectFactory(slug="other")
    ProjectFactory(slug="retired", active=False)
    article = article_factory(operator, kind=ArticleKind.RUNBOOK, publish=True)
    services.article_mark_reviewed(article=article, actor=operator)
    rows = EvidenceRecord.objects.filter(kind="runbook_update").order_by("id")
    assert sorted({r.project.slug for r in rows}) == sorted([project.slug, other.slug])
    assert [r.payload["action"] for r in rows if r.project == project] == ["published", "reviewed"]


def test_non_runbooks_log_no_evidence(article_factory, operator, project):
    article_factory(operator, project=project, publish=True)
    assert not EvidenceRecord.objects.filter(kind="runbook_update").exists()


def test_transitions(article_factory, operator, manager):
    article = article_factory(operator, publish=True)
    article = services.article_archive(article=article, actor=manager)
    assert article.status == ArticleStatus.ARCHIVED
    with pytest.raises(InvalidTransition) as excinfo:
        services.article_publish(article=article, actor=operator)
    assert "can become draft" in excinfo.value.message_dict["status"][0]
    with pytest.raises(InvalidTransition):
        services.article_mark_reviewed(article=article, actor=operator)
    article = services.article_reopen(article=article, actor=manager)
    assert services.article_publish(article=article, actor=operator).status == ArticleStatus.PUBLISHED


def test_staleness_follows_the_last_review_and_interval(article_factory, operator):
    now = timezone.now()
    article = article_factory(operator, publish=True, review_interval_days=30)
    services.article_set_last_review(article=article, reviewed_at=now - timedelta(days=31))
    assert list(Article.objects.stale(now)) == [article]
    article.refresh_from_db()
    assert article.is_stale(now)
    services.article_mark_reviewed(article=article, actor=operator)
    assert not Article.objects.stale(now).exists()
    article.refresh_from_db()
    assert article.review_due_at > now + timedelta(days=29)


def test_changing_the_interval_moves_the_due_date(article_factory, operator):
    now = timezone.now()
    article = article_factory(operator, publish=True)
    services.article_set_last_review(article=article, reviewed_at=now - timedelta(days=100))
    assert not Article.objects.stale(now).exists()  # 180-day default
    services.article_update(article=article, actor=operator, base_version=article.version, review_interval_days=90)
    assert Article.objects.stale(now).count() == 1


def test_drafts_and_archived_are_never_stale(article_factory, operator, manager):
    now = timezone.now()
    draft = article_factory(operator)
    archived = article_factory(operator, publish=True)
    services.article_set_last_review(article=archived, reviewed_at=now - timedelta(days=400))
    services.article_archive(article=archived, actor=manager)
    assert draft.review_due_at is None
    assert not Article.objects.stale(now).exists()


def test_lessons_from_a_postmortem_become_a_published_article(operator, project):
    article = services.article_from_postmortem_lessons(
        project=project, title="Lessons: checkout outage", slug="pm-12-lessons", body="## Lessons\n\n- Alert sooner",
        incident_ids=[12], actor=operator,
    )
    assert (article.kind, article.status, article.related_incident_ids) == ("lesson_learned", "published", [12])
    again = services.article_from_postmortem_lessons(
        project=project, title="Lessons: checkout outage", slug="pm-12-lessons", body="## Lessons\n\n- Page sooner",
        incident_ids=[13], actor=operator,
    )
    assert again.pk == article.pk
    assert (again.version, again.related_incident_ids, again.status) == (2, [12, 13], "published")
    assert "Page sooner" in again.body_html


def test_postmortem_lessons_refuse_to_overwrite_another_kind(article_factory, operator, project):
    article_factory(operator, slug="taken-runbook", kind=ArticleKind.RUNBOOK)
    with pytest.raises(ValidationError) as excinfo:
        services.article_from_postmortem_lessons(project=project, title="x", slug="taken-runbook", body="x",
                                                 incident_ids=[], actor=operator)
    assert "slug" in excinfo.value.message_dict


def test_editing_a_published_runbook_is_evidence_too(article_factory, operator, project):
    article = article_factory(operator, kind=ArticleKind.RUNBOOK, project=project, publish=True)
    draft = article_factory(operator, kind=ArticleKind.RUNBOOK, project=project)
    services.article_update(article=article, actor=operator, base_version=1, summary="Sharper")
    services.article_update(article=draft, actor=operator, base_version=1, summary="Not live yet")
    services.article_restore_revision(article=article, number=1, actor=operator)
    actions = [(r.payload["article"], r.payload["action"], r.payload["version"])
               for r in EvidenceRecord.objects.filter(kind="runbook_update").order_by("id")]
    assert actions == [(article.slug, "published", 1), (article.slug, "edited", 2), (article.slug, "edited", 3)]

"""Article lifecycle: publish, archive, reopen, review, and lessons learned from postmortems.

Publishing and reviewing restart the review interval (`review_due_at`);
runbooks leave `runbook_update` evidence.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from knowledgebase.models import Article, ArticleEventKind, ArticleKind, ArticleStatus
from knowledgebase.services.articles import (
    EDIT_PERMISSION,
    _event,
    _locked,
    _require,
    _review_due,
    _runbook_evidence,
    article_create,
    article_update,
)
from knowledgebase.structure import missing_runbook_sections
from opsportal import archive as archiving
from opsportal.actors import recorded_person
from opsportal.errors import InvalidTransition

TRANSITIONS = {
    ArticleStatus.DRAFT: {ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED},
    ArticleStatus.PUBLISHED: {ArticleStatus.ARCHIVED},
    ArticleStatus.ARCHIVED: {ArticleStatus.DRAFT},
}


def _transition(article: Article, target: str) -> None:
    if target not in TRANSITIONS[article.status]:
        allowed = ", ".join(sorted(TRANSITIONS[article.status])) or "nothing"
        raise InvalidTransition({
            "status": f"A {article.get_status_display().lower()} article cannot become {target}; "
                      f"it can become {allowed}."
        })


def publication_problems(article: Article) -> list[str]:
    """Why the article may not be published yet (empty when it may)."""
    problems = []
    if not article.body.strip():
        problems.append("The body is empty.")
    if article.kind == ArticleKind.RUNBOOK:
        missing = missing_runbook_sections(article.body)
        if missing:
            problems.append(f"A runbook needs the sections: {', '.join(missing)} (missing).")
        if not article.alerts.exists():
            problems.append("A runbook names at least one alert (the alertname it answers).")
    return problems


@transaction.atomic
def article_publish(*, article: Article, actor) -> Article:
    """Publish a draft. Runbooks must follow the runbook structure and name their alerts.
    Publishing counts as a review; runbooks get `runbook_update` evidence."""
    _require(actor, EDIT_PERMISSION)
    article = _locked(article)
    if article.status == ArticleStatus.PUBLISHED:
        return article
    _transition(article, ArticleStatus.PUBLISHED)
    problems = publication_problems(article)
    if problems:
        raise ValidationError({"body": problems})
    now = timezone.now()
    article.status = ArticleStatus.PUBLISHED
    article.published_at = now
    article.last_reviewed_at, article.last_reviewed_by = now, recorded_person(actor)
    article.review_due_at = _review_due(article)
    article.save(update_fields=["status", "published_at", "last_reviewed_at", "last_reviewed_by",
                                "review_due_at", "updated_at"])
    _event(article, ArticleEventKind.PUBLISHED, actor)
    _runbook_evidence(article, action="published", actor=actor)
    return article


def archived_state(article: Article, *, actor, note: str = "") -> list[str]:
    """The lifecycle side of archiving (called by opsportal.archive inside its transaction)."""
    if article.status != ArticleStatus.ARCHIVED:
        _transition(article, ArticleStatus.ARCHIVED)
        article.status = ArticleStatus.ARCHIVED
    _event(article, ArticleEventKind.ARCHIVED, actor, note)
    return ["status", "updated_at"]


def reopened_state(article: Article, *, actor) -> list[str]:
    """The lifecycle side of restoring: back as a draft."""
    _transition(article, ArticleStatus.DRAFT)
    article.status = ArticleStatus.DRAFT
    _event(article, ArticleEventKind.REOPENED, actor)
    return ["status", "updated_at"]


def article_archive(*, article: Article, actor, note: str = "") -> Article:
    """Archive an article (a Manager of its project): readers no longer see it, it is never stale, it
    answers no alert and no search; evidence is written (opsportal.archive)."""
    if article.archived_at is not None:
        return article
    archiving.archive(article, actor, note)
    return article


def article_reopen(*, article: Article, actor) -> Article:
    """Restore an archived article as a draft (a Manager of its project); evidence is written."""
    archiving.restore(article, actor)
    return article


@transaction.atomic
def article_mark_reviewed(*, article: Article, actor, note: str = "", now=None) -> Article:
    """Record that someone checked a published article is still right; restarts its review interval."""
    _require(actor, EDIT_PERMISSION)
    article = _locked(article)
    if article.status != ArticleStatus.PUBLISHED:
        raise InvalidTransition({"status": "Only published articles are reviewed; publish it first."})
    now = now or timezone.now()
    article.last_reviewed_at, article.last_reviewed_by = now, recorded_person(actor)
    article.review_due_at = _review_due(article)
    article.save(update_fields=["last_reviewed_at", "last_reviewed_by", "review_due_at", "updated_at"])
    _event(article, ArticleEventKind.REVIEWED, actor, note)
    _runbook_evidence(article, action="reviewed", actor=actor)
    return article


@transaction.atomic
def article_set_last_review(*, article: Article, reviewed_at, reviewer=None) -> Article:
    """Backdate the last review (imports and demo data): keeps review_due_at consistent."""
    article = _locked(article)
    article.last_reviewed_at, article.last_reviewed_by = reviewed_at, reviewer
    article.review_due_at = _review_due(article)
    article.save(update_fields=["last_reviewed_at", "last_reviewed_by", "review_due_at", "updated_at"])
    return article


@transaction.atomic
def article_from_postmortem_lessons(*, project, title: str, slug: str, body: str, incident_ids, actor) -> Article:
    """The lessons learned of a published postmortem as a published `lesson_learned` article.

    Called by the postmortem publish service. Creates the article, or updates
    it (without a conflict check: the postmortem is the source of truth) when
    the slug exists; links the incidents; publishes it if it is not published.
    """
    existing = Article.objects.filter(slug=slug).first()
    if existing is not None and existing.kind != ArticleKind.LESSON_LEARNED:
        raise ValidationError({"slug": f"{slug!r} is a {existing.get_kind_display().lower()}, not a lesson learned."})
    incident_ids = sorted({int(i) for i in incident_ids or ()})
    if existing is None:
        article = article_create(
            actor=actor, kind=ArticleKind.LESSON_LEARNED, title=title, slug=slug, body=body, project=project,
            tags=["postmortem"], change_note="Lessons learned from the postmortem", related_incident_ids=incident_ids,
        )
    else:
        ids = sorted(set(existing.related_incident_ids or []) | set(incident_ids))
        article = article_update(
            article=existing, actor=actor, base_version=existing.version, title=title, body=body,
            project=project, related_incident_ids=ids, change_note="Lessons learned updated from the postmortem",
        )
    if article.status == ArticleStatus.ARCHIVED:
        article = article_reopen(article=article, actor=actor)
    return article_publish(article=article, actor=actor)

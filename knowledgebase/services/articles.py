"""Writing articles: create, edit (with the conflict check), restore, delete.

Every function here is a use case: it validates, locks the article row,
writes the change with its revision and audit event in one transaction, and
keeps the rendered HTML, the review due date and the search index in step.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from knowledgebase import search
from knowledgebase.markdown import MAX_MARKDOWN_CHARS, render_markdown_with_toc
from knowledgebase.models import (
    Article,
    ArticleEvent,
    ArticleEventKind,
    ArticleKind,
    ArticleRevision,
    ArticleStatus,
    RunbookAlert,
    Tag,
    default_review_interval,
)
from knowledgebase.models.articles import MAX_REVIEW_INTERVAL_DAYS, alert_name_validator, tag_validator
from opsportal.actors import recorded_person
from opsportal.errors import EditConflict
from opsportal.models import EvidenceKind, Project
from opsportal.services import log_evidence

EDIT_PERMISSION = "knowledgebase.change_article"
ADD_PERMISSION = "knowledgebase.add_article"

_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _require(actor, permission: str, target=None) -> None:
    # actor None is the system (schedules, demo data); people need the permission in the
    # article's project (`target`: the article, or the project it goes to).
    if actor is not None and not actor.has_perm(permission, target):
        raise PermissionDenied("You may not edit knowledge base articles.")



def _clean_text(value: str) -> str:
    # Control characters are never meant; removing them keeps search snippet markers unambiguous.
    return _CONTROL_CHARS.sub("", (value or "").replace("\r\n", "\n"))


def _unique_valid_names(values, *, field: str, validator, normalise) -> list[str]:
    """Normalised, validated, de-duplicated names in input order; an invalid one is a 400 on `field`."""
    names = []
    for raw in values or ():
        name = normalise(str(raw))
        if not name:
            continue
        try:
            validator(name)
        except ValidationError as exc:
            raise ValidationError({field: f"{raw!r}: {exc.messages[0]}"}) from exc
        if name not in names:
            names.append(name)
    return names


def normalise_tags(tags) -> list[str]:
    """Tags are lowercase with dashes for spaces ("On Call" -> "on-call")."""
    return _unique_valid_names(tags, field="tags", validator=tag_validator,
                               normalise=lambda raw: re.sub(r"\s+", "-", raw.strip().lower()))


def normalise_alert_names(alert_names) -> list[str]:
    """Alert names keep their case: Alertmanager's alertname label is case-sensitive."""
    return _unique_valid_names(alert_names, field="alert_names", validator=alert_name_validator,
                               normalise=str.strip)


def _validate_fields(values: dict, *, article: Article | None) -> None:
    errors = {}
    kind = values.get("kind")
    if kind not in ArticleKind.values:
        errors["kind"] = f"kind must be one of {', '.join(ArticleKind.values)}."
    title = values.get("title", "")
    if not title:
        errors["title"] = "A title is required."
    elif len(title) > 200:
        errors["title"] = "A title has at most 200 characters."
    slug = values.get("slug", "")
    try:
        validate_slug(slug)
        if len(slug) > 120:
            raise ValidationError("A slug has at most 120 characters.")
    except ValidationError as exc:
        errors["slug"] = exc.messages[0]
    else:
        clash = Article.objects.filter(slug=slug)
        if article is not None:
            clash = clash.exclude(pk=article.pk)
        if clash.exists():
            errors["slug"] = f"Another article already uses the slug {slug!r}."
    if len(values.get("summary", "")) > 500:
        errors["summary"] = "A summary has at most 500 characters."
    if len(values.get("body", "")) > MAX_MARKDOWN_CHARS:
        errors["body"] = f"The body has at most {MAX_MARKDOWN_CHARS} characters."
    interval = values.get("review_interval_days")
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= MAX_REVIEW_INTERVAL_DAYS:
        errors["review_interval_days"] = f"The review interval is 1 to {MAX_REVIEW_INTERVAL_DAYS} days."
    project = values.get("project")
    if project is not None and not isinstance(project, Project):
        errors["project"] = "project must be a Project or None."
    services = values.get("services") or []
    if project is not None and any(service.project_id != project.pk for service in services):
        errors["services"] = f"Services must belong to the article's project ({project.slug})."
    if errors:
        raise ValidationError(errors)


def _review_due(article: Article):
    reference = article.last_reviewed_at or article.published_at
    if reference is None:
        return None
    return reference + timedelta(days=article.review_interval_days)


def _render(article: Article) -> None:
    article.body_html, article.toc_html = render_markdown_with_toc(article.body)


def _set_relations(article: Article, *, services=None, tags=None, alert_names=None) -> None:
    if services is not None:
        article.services.set(services)
    if tags is not None:
        tag_objects = []
        for name in tags:
            tag, _ = Tag.objects.get_or_create(name=name)
            tag_objects.append(tag)
        article.tags.set(tag_objects)
    if alert_names is not None:
        article.alerts.exclude(alert_name__in=alert_names).delete()
        existing = set(article.alerts.values_list("alert_name", flat=True))
        RunbookAlert.objects.bulk_create(
            [RunbookAlert(article=article, alert_name=name) for name in alert_names if name not in existing]
        )


def _add_revision(article: Article, *, actor, change_note: str, restored_from: int | None = None) -> ArticleRevision:
    article.version += 1
    return ArticleRevision.objects.create(
        article=article, number=article.version, kind=article.kind, title=article.title,
        summary=article.summary, body=article.body, change_note=(change_note or "").strip()[:500],
        restored_from=restored_from, author=recorded_person(actor),
    )


def _event(article: Article, kind: str, actor, note: str = "") -> ArticleEvent:
    return ArticleEvent.objects.create(
        article=article, kind=kind, version=article.version, note=(note or "")[:500], actor=recorded_person(actor)
    )


def _runbook_evidence(article: Article, *, action: str, actor) -> None:
    """`runbook_update` evidence (published, edited while published, reviewed) for the runbook's
    project, or for every active project when the runbook is organisation-wide."""
    if article.kind != ArticleKind.RUNBOOK:
        return
    projects = [article.project] if article.project_id else list(Project.objects.active())
    alert_names = sorted(article.alerts.values_list("alert_name", flat=True))
    for project in projects:
        log_evidence(
            project=project,
            kind=EvidenceKind.RUNBOOK_UPDATE,
            summary=f"Runbook {action}: {article.title} (v{article.version})"[:500],
            payload={
                "article": article.slug, "action": action, "version": article.version,
                "alerts": alert_names, "organisation_wide": article.project_id is None,
                "review_due_at": article.review_due_at.isoformat() if article.review_due_at else None,
            },
            actor=recorded_person(actor),
        )


def _locked(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


def check_base_version(article: Article, base_version) -> None:
    """Raise EditConflict when the article moved on since the edit started from `base_version`."""
    if base_version is None:
        raise ValidationError({"base_version": "base_version is required: the version your edit started from."})
    try:
        base_version = int(base_version)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"base_version": "base_version must be a whole number."}) from exc
    if base_version != article.version:
        latest = article.revisions.select_related("author").first()
        who = latest.author.get_username() if latest and latest.author_id else "someone"
        when = timezone.localtime(latest.created_at).strftime("%Y-%m-%d %H:%M") if latest else "meanwhile"
        raise EditConflict({
            "base_version": (
                f"Edit conflict: {who} saved version {article.version} at {when} after you started editing "
                f"version {base_version}. Your changes were not saved. Open the latest version, reapply "
                "your changes and save again (the history page shows what changed)."
            )
        })


@transaction.atomic
def article_create(
    *, actor, kind: str, title: str, slug: str, body: str = "", summary: str = "", project=None,
    services=(), tags=(), alert_names=(), owner=None, review_interval_days: int | None = None,
    change_note: str = "", related_incident_ids=(),
) -> Article:
    """Create a draft article and its first revision. The owner defaults to the author."""
    _require(actor, ADD_PERMISSION, project)
    values = {
        "kind": kind, "title": (title or "").strip(), "slug": (slug or "").strip(), "summary": _clean_text(summary),
        "body": _clean_text(body), "project": project, "services": list(services or []),
        "review_interval_days": review_interval_days if review_interval_days is not None
        else default_review_interval(kind),
    }
    _validate_fields(values, article=None)
    tags = normalise_tags(tags)
    alert_names = normalise_alert_names(alert_names)
    article = Article(
        kind=values["kind"], title=values["title"], slug=values["slug"], summary=values["summary"].strip(),
        body=values["body"], project=project, owner=owner or recorded_person(actor),
        review_interval_days=values["review_interval_days"], created_by=recorded_person(actor),
        related_incident_ids=sorted({int(i) for i in related_incident_ids or ()}),
    )
    _render(article)
    article.save()
    _add_revision(article, actor=actor, change_note=change_note or "Created")
    article.save(update_fields=["version"])
    _set_relations(article, services=values["services"], tags=tags, alert_names=alert_names)
    _event(article, ArticleEventKind.CREATED, actor, change_note)
    search.index_article(article)
    return article


UPDATABLE = ("kind", "title", "slug", "summary", "body", "project", "owner", "review_interval_days",
             "related_incident_ids")


@transaction.atomic
def article_update(
    *, article: Article, actor, base_version, change_note: str = "", require_recompletion: bool = False,
    services=None, tags=None, alert_names=None, **changes,
) -> Article:
    """Save an edit made from `base_version`.

    Rule: an edit saves only on top of the version it started from; if
    someone saved in between, EditConflict (409) and nothing changes. A save
    that changes nothing is a no-op; any other save makes a new revision.
    """
    _require(actor, EDIT_PERMISSION, article)
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    article = _locked(article)
    check_base_version(article, base_version)
    for text_field in ("summary", "body"):
        if text_field in changes:
            changes[text_field] = _clean_text(changes[text_field])
    for stripped in ("title", "slug", "summary"):
        if stripped in changes:
            changes[stripped] = (changes[stripped] or "").strip()
    if "related_incident_ids" in changes:
        changes["related_incident_ids"] = sorted({int(i) for i in changes["related_incident_ids"] or ()})
    values = {field: changes.get(field, getattr(article, field)) for field in UPDATABLE}
    current_services = list(article.services.all())
    values["services"] = list(services) if services is not None else current_services
    _validate_fields(values, article=article)
    tags = normalise_tags(tags) if tags is not None else None
    alert_names = normalise_alert_names(alert_names) if alert_names is not None else None

    changed = [field for field in UPDATABLE if field in changes and changes[field] != getattr(article, field)]
    if services is not None and {s.pk for s in services} != {s.pk for s in current_services}:
        changed.append("services")
    if tags is not None and set(tags) != set(article.tags.values_list("name", flat=True)):
        changed.append("tags")
    if alert_names is not None and set(alert_names) != set(article.alerts.values_list("alert_name", flat=True)):
        changed.append("alert_names")
    if not changed and not require_recompletion:
        return article
    if changed:
        for field in UPDATABLE:
            if field in changes:
                setattr(article, field, changes[field])
        _render(article)
        article.review_due_at = _review_due(article)
        note = change_note or f"Changed {', '.join(changed)}"
        _add_revision(article, actor=actor, change_note=note)
        article.save()
        _set_relations(article, services=services, tags=tags, alert_names=alert_names)
        _event(article, ArticleEventKind.EDITED, actor, note)
        if article.status == ArticleStatus.PUBLISHED:
            _runbook_evidence(article, action="edited", actor=actor)  # readers see the change at once
        search.index_article(article)
    if require_recompletion:
        from knowledgebase.services.training import training_require_recompletion

        training_require_recompletion(article=article, actor=actor)
    return article


@transaction.atomic
def article_restore_revision(*, article: Article, number: int, actor, base_version=None) -> Article:
    """Restore revision `number` by saving its title, summary and body as a new revision (history stays intact)."""
    _require(actor, EDIT_PERMISSION, article)
    article = _locked(article)
    if base_version is not None:
        check_base_version(article, base_version)
    revision = article.revisions.filter(number=number).first()
    if revision is None:
        raise ValidationError({"number": f"{article.slug} has no revision {number}."})
    article.kind, article.title, article.summary, article.body = (
        revision.kind, revision.title, revision.summary, revision.body,
    )
    _render(article)
    note = f"Restored revision {number}"
    _add_revision(article, actor=actor, change_note=note, restored_from=number)
    article.save()
    _event(article, ArticleEventKind.RESTORED, actor, note)
    if article.status == ArticleStatus.PUBLISHED:
        _runbook_evidence(article, action="edited", actor=actor)
    search.index_article(article)
    return article


@transaction.atomic
def article_delete(*, article: Article, actor) -> None:
    """Delete an article with its history (Managers); archiving is the usual way out."""
    if actor is not None and not actor.has_perm("knowledgebase.delete_article", article):
        raise PermissionDenied("Only Managers may delete articles; archive it instead.")
    article_id = article.pk
    Article.objects.filter(pk=article_id).delete()
    search.unindex_articles([article_id])

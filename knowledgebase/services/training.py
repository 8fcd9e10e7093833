"""Training assignments: assign, complete, require re-completion after a new version."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone

from knowledgebase.models import (
    Article,
    ArticleEvent,
    ArticleEventKind,
    ArticleKind,
    ArticleStatus,
    TrainingAssignment,
    TrainingCompletion,
)
from opsportal.access.models import ProjectMembership
from opsportal.actors import recorded_person
from opsportal.services.chain import chain_append_record

ASSIGN_PERMISSION = "knowledgebase.add_trainingassignment"
# Time people get to redo a training whose new version requires it.
RECOMPLETION_DAYS = 14



@transaction.atomic
def training_assign(*, article: Article, due_on: date, actor, users=(), groups=()) -> list[TrainingAssignment]:
    """Assign a published training article to people and to every member of groups.

    A project's training reaches only people of that project: a group (an organisation-wide
    Django group) contributes just its members who hold a membership in the article's project, and a
    person named directly who is not a member is refused (they could not read the article).
    Organisation-wide training (no project) reaches every active member of the groups.

    One assignment per person: assigning someone again keeps their record and
    moves the due date. Returns the assignments created or updated.
    """
    if actor is not None and not actor.has_perm(ASSIGN_PERMISSION, article):
        raise PermissionDenied("You may not assign training.")
    if article.kind != ArticleKind.TRAINING:
        raise ValidationError({"article": "Only training articles are assigned."})
    if article.status != ArticleStatus.PUBLISHED:
        raise ValidationError({"article": "Publish the training article before assigning it."})
    if not isinstance(due_on, date):
        raise ValidationError({"due_on": "due_on must be a date."})
    users, groups = list(users or ()), list(groups or ())
    if not users and not groups:
        raise ValidationError({"users": "Name at least one user or group."})
    audience = get_user_model().objects.filter(is_active=True)
    if article.project_id is not None:
        audience = audience.filter(project_memberships__project_id=article.project_id)
        members = set(ProjectMembership.objects.filter(project_id=article.project_id, user__in=users)
                      .values_list("user_id", flat=True))
        outsiders = sorted(u.get_username() for u in users if u.pk not in members)
        if outsiders:
            raise ValidationError({"users": f"Not members of project {article.project.slug}: {', '.join(outsiders)}."})
    targets: dict[int, tuple] = {user.pk: (user, None) for user in users}
    for group in groups:
        for member in audience.filter(groups=group).order_by("pk"):
            targets.setdefault(member.pk, (member, group))
    assignments = []
    for user, group in targets.values():
        assignment, created = TrainingAssignment.objects.select_for_update().get_or_create(
            article=article, user=user,
            defaults={"group": group, "due_on": due_on, "required_version": article.version,
                      "assigned_by": recorded_person(actor)},
        )
        if not created and assignment.due_on != due_on:
            assignment.due_on = due_on
            assignment.save(update_fields=["due_on"])
        assignments.append(assignment)
    return assignments


@transaction.atomic
def training_set_due(*, assignment: TrainingAssignment, due_on: date, actor) -> TrainingAssignment:
    """Move one person's due date (an extension or a tighter deadline)."""
    if actor is not None and not actor.has_perm("knowledgebase.change_trainingassignment", assignment):
        raise PermissionDenied("You may not change training assignments.")
    if not isinstance(due_on, date):
        raise ValidationError({"due_on": "due_on must be a date."})
    assignment = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.due_on != due_on:
        assignment.due_on = due_on
        assignment.save(update_fields=["due_on"])
    return assignment


@transaction.atomic
def training_complete(*, assignment: TrainingAssignment, actor, now=None) -> TrainingAssignment:
    """The assignee marks the training done; the time and the version they read are kept."""
    if actor is None or actor.pk != assignment.user_id:
        raise PermissionDenied("Only the person a training is assigned to can complete it.")
    assignment = (
        TrainingAssignment.objects.select_for_update(of=("self", "article"))
        .select_related("article").get(pk=assignment.pk)
    )
    if assignment.is_completed:
        return assignment
    now = now or timezone.now()
    assignment.completed_at = now
    assignment.completed_version = assignment.article.version
    assignment.save(update_fields=["completed_at", "completed_version"])
    completion = TrainingCompletion.objects.create(assignment=assignment, version=assignment.completed_version,
                                                   completed_at=now)
    chain_append_record(completion, actor=actor)
    return assignment


@transaction.atomic
def training_require_recompletion(*, article: Article, actor, due_on: date | None = None) -> int:
    """Everyone assigned must complete the current version again (by `due_on`, default in 14 days).

    Earlier completions stay in the history. Returns how many assignments reopened.
    """
    if article.kind != ArticleKind.TRAINING:
        raise ValidationError({"require_recompletion": "Only training articles can require re-completion."})
    due_on = due_on or (timezone.localdate() + timedelta(days=RECOMPLETION_DAYS))
    reopened = (
        TrainingAssignment.objects.filter(article=article, completed_version__lt=article.version).completed().count()
    )
    TrainingAssignment.objects.filter(article=article, required_version__lt=article.version).update(
        required_version=article.version, due_on=Greatest("due_on", Value(due_on)),
    )
    event = ArticleEvent.objects.create(
        article=article, kind=ArticleEventKind.RECOMPLETION_REQUIRED, version=article.version,
        note=f"{reopened} completed assignment(s) reopened, due {due_on.isoformat()}", actor=recorded_person(actor),
    )
    chain_append_record(event, actor=actor)
    return reopened

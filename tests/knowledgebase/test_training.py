"""Training: assignment to users and groups, completion with time and version, overdue, re-completion."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from knowledgebase import services
from knowledgebase.models import ArticleKind, TrainingAssignment
from tests.clock import awkward_instants, frozen_at
from tests.factories import UserFactory


@pytest.fixture
def training(article_factory, manager):
    return article_factory(manager, kind=ArticleKind.TRAINING, publish=True, title="On-call onboarding")


def test_assign_to_users_and_group_members(training, manager):
    team = Group.objects.create(name="Checkout team")
    ann, bob, cid = UserFactory(username="ann"), UserFactory(username="bob"), UserFactory(username="cid")
    ann.groups.add(team)
    bob.groups.add(team)
    due = timezone.localdate() + timedelta(days=7)
    assignments = services.training_assign(article=training, due_on=due, actor=manager, users=[cid, ann],
                                           groups=[team])
    assert sorted(a.user.username for a in assignments) == ["ann", "bob", "cid"]
    assert TrainingAssignment.objects.get(user=bob).group == team
    assert TrainingAssignment.objects.get(user=ann).group is None  # named directly
    # Assigning again moves the due date, never duplicates.
    services.training_assign(article=training, due_on=due + timedelta(days=1), actor=manager, groups=[team])
    assert TrainingAssignment.objects.count() == 3
    assert TrainingAssignment.objects.get(user=bob).due_on == due + timedelta(days=1)


def test_only_published_training_is_assigned(article_factory, manager):
    draft = article_factory(manager, kind=ArticleKind.TRAINING)
    runbook_like = article_factory(manager, publish=True)
    for article in (draft, runbook_like):
        with pytest.raises(ValidationError) as excinfo:
            services.training_assign(article=article, due_on=timezone.localdate(), actor=manager,
                                     users=[UserFactory()])
        assert "article" in excinfo.value.message_dict


def test_viewers_cannot_assign_but_people_complete_their_own(training, operator, manager, viewer):
    with pytest.raises(PermissionDenied):
        services.training_assign(article=training, due_on=timezone.localdate(), actor=viewer, users=[viewer])
    assignment, = services.training_assign(article=training, due_on=timezone.localdate(), actor=manager,
                                           users=[operator])
    with pytest.raises(PermissionDenied):
        services.training_complete(assignment=assignment, actor=manager)
    at = datetime(2028, 2, 29, 23, 55, tzinfo=UTC)
    with frozen_at(at):
        done = services.training_complete(assignment=assignment, actor=operator)
    assert done.is_completed and done.completed_version == training.version
    assert done.completed_at == at


@awkward_instants
def test_overdue_lists_open_assignments_past_due(training, manager, awkward_now):
    today = timezone.localdate(awkward_now)
    late, on_time, done = UserFactory(username="late"), UserFactory(username="ontime"), UserFactory(username="done")
    services.training_assign(article=training, due_on=today - timedelta(days=2), actor=manager, users=[late, done])
    services.training_assign(article=training, due_on=today + timedelta(days=2), actor=manager, users=[on_time])
    services.training_complete(assignment=TrainingAssignment.objects.get(user=done), actor=done)
    assert [a.user.username for a in TrainingAssignment.objects.overdue(today)] == ["late"]
    assert sorted(a.user.username for a in TrainingAssignment.objects.open()) == ["late", "ontime"]


def test_new_version_can_require_recompletion(training, manager):
    learner = UserFactory(username="learner")
    assignment, = services.training_assign(article=training, due_on=timezone.localdate(), actor=manager,
                                           users=[learner])
    services.training_complete(assignment=assignment, actor=learner)
    # A new version without the flag keeps the completion.
    training = services.article_update(article=training, actor=manager, base_version=training.version,
                                       body="Typo fixed.")
    assignment.refresh_from_db()
    assert assignment.is_completed
    training = services.article_update(article=training, actor=manager, base_version=training.version,
                                       body="New escalation policy.", require_recompletion=True)
    assignment.refresh_from_db()
    assert not assignment.is_completed
    assert assignment.required_version == training.version == 3
    assert assignment.due_on >= timezone.localdate() + timedelta(days=14)
    services.training_complete(assignment=assignment, actor=learner)
    assignment.refresh_from_db()
    assert assignment.is_completed and assignment.completed_version == 3
    assert list(assignment.completions.order_by("version").values_list("version", flat=True)) == [1, 3]


def test_recompletion_is_only_for_training(article_factory, manager):
    article = article_factory(manager, publish=True)
    with pytest.raises(ValidationError):
        services.article_update(article=article, actor=manager, base_version=1, body="x", require_recompletion=True)


def test_group_assignment_of_project_training_reaches_only_the_projects_members(article_factory, manager, project):
    """A Django group spans the organisation; a project's training goes to the members of that project only."""
    from opsportal.models import Project
    from tests.memberships import member

    other = Project.objects.create(slug="billing", name="Billing")
    training = article_factory(manager, kind=ArticleKind.TRAINING, publish=True, project=project)
    team = Group.objects.create(name="Platform team")
    ann, bob, cid, dot = (UserFactory(username=name) for name in ("ann", "bob", "cid", "dot"))
    for user in (ann, bob, cid, dot):
        user.groups.add(team)
    member(ann, project, "operator")
    member(bob, project, "viewer")
    member(cid, other, "manager")  # a member elsewhere only
    dot.is_active = False
    dot.save(update_fields=["is_active"])
    member(dot, project, "viewer")  # deactivated: never assigned
    due = timezone.localdate() + timedelta(days=7)
    assignments = services.training_assign(article=training, due_on=due, actor=manager, groups=[team])
    assert sorted(a.user.username for a in assignments) == ["ann", "bob"]
    assert set(TrainingAssignment.objects.values_list("user__username", flat=True)) == {"ann", "bob"}
    # Organisation-wide training still reaches every active member of the group.
    org_wide = article_factory(manager, kind=ArticleKind.TRAINING, publish=True)
    assigned = services.training_assign(article=org_wide, due_on=due, actor=manager, groups=[team])
    assert sorted(a.user.username for a in assigned) == ["ann", "bob", "cid"]


def test_naming_a_non_member_for_project_training_is_refused(article_factory, manager, project):
    from tests.memberships import member

    training = article_factory(manager, kind=ArticleKind.TRAINING, publish=True, project=project)
    ann, eve = UserFactory(username="ann"), UserFactory(username="eve")
    member(ann, project, "operator")
    with pytest.raises(ValidationError) as excinfo:
        services.training_assign(article=training, due_on=timezone.localdate(), actor=manager, users=[ann, eve])
    assert excinfo.value.message_dict["users"] == [f"Not members of project {project.slug}: eve."]
    assert not TrainingAssignment.objects.exists()


def test_api_group_assignment_is_limited_to_project_members(article_factory, manager, project, api_as):
    from tests.memberships import member

    training = article_factory(manager, kind=ArticleKind.TRAINING, publish=True, project=project)
    team = Group.objects.create(name="Platform team")
    ann, eve = UserFactory(username="ann"), UserFactory(username="eve")
    for user in (ann, eve):
        user.groups.add(team)
    member(ann, project, "viewer")
    response = api_as(manager).post("/api/v1/training-assignments/assign/", {
        "article": training.slug, "groups": ["Platform team"], "due_on": "2031-01-31"}, format="json")
    assert response.status_code == 201, response.content
    assert [row["user"] for row in response.json()] == ["ann"]
    refused = api_as(manager).post("/api/v1/training-assignments/assign/", {
        "article": training.slug, "users": ["eve"], "due_on": "2031-01-31"}, format="json")
    assert refused.status_code == 400 and "users" in refused.json()

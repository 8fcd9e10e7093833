from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from incidents.models import Incident, Postmortem, PostmortemStatus
from incidents.selectors.postmortems import approval_progress, approved_vs_current_diff, current_approvals
from incidents.services import (
    incident_transition,
    postmortem_create,
    postmortem_decide,
    postmortem_publish,
    postmortem_request,
    postmortem_submit,
    postmortem_update,
)
from incidents.services.postmortems import postmortem_due_at, postmortems_ensure_required, requirement_reason
from opsportal.errors import EditConflict, FourEyesViolation, InvalidTransition
from opsportal.models import Approval, EvidenceRecord
from tests.incidents.factories import declare
from tests.incidents.postmortem_factories import in_review, postmortem_for, resolved_incident

pytestmark = pytest.mark.django_db
S = PostmortemStatus


# --- requirement -----------------------------------------------------------------

@pytest.mark.parametrize("severity,required", [("SEV1", True), ("SEV2", True), ("SEV3", False), ("SEV5", False)])
def test_significant_incidents_require_a_postmortem(project, severity, required):
    incident = declare(project, severity=severity)
    assert bool(requirement_reason(incident)) is required
    assert postmortems_ensure_required() == (1 if required else 0)
    if required:
        postmortem = Postmortem.objects.get(incident=incident)
        assert postmortem.required and postmortem.required_reason.startswith(severity)


def test_a_manager_can_require_one_for_any_incident_but_an_operator_cannot(project, manager, operator):
    incident = declare(project, severity="SEV4")
    with pytest.raises(PermissionDenied):
        postmortem_request(incident=incident, actor=operator, reason="Repeat offender")
    with pytest.raises(ValidationError) as exc:
        postmortem_request(incident=incident, actor=manager, reason=" ")
    assert "reason" in exc.value.message_dict
    postmortem = postmortem_request(incident=incident, actor=manager, reason="Third time this month")
    assert postmortem.required and "Third time this month" in postmortem.required_reason
    assert postmortem.requested_by == manager


def test_error_budget_policy_requires_a_postmortem_above_the_threshold(project):
    from incidents.services.postmortems import postmortem_require_for_error_budget

    incident = declare(project, severity="SEV4")
    assert postmortem_require_for_error_budget(incident=incident, slo_name="Checkout availability",
                                               consumed_percent="20") is None
    postmortem = postmortem_require_for_error_budget(incident=incident, slo_name="Checkout availability",
                                                     consumed_percent="20.5")
    assert postmortem.required and "20.5% of the error budget" in postmortem.required_reason


def test_timeline_section_is_prefilled_from_the_incident_timeline(project, operator):
    incident = resolved_incident(project, actor=operator)
    postmortem, created = postmortem_create(incident=incident, owner=operator)
    assert created
    assert "Declared" in postmortem.timeline and "Status change" in postmortem.timeline
    assert postmortem.revisions.count() == 1
    again, created = postmortem_create(incident=incident)
    assert (again.pk, created) == (postmortem.pk, False)


# --- due dates ------------------------------------------------------------------

@pytest.mark.parametrize("severity,expected", [
    ("SEV1", datetime(2026, 11, 30, 10, 0, tzinfo=UTC)),  # +3 business days: Thu, Fri, Mon
    ("SEV2", datetime(2026, 12, 2, 10, 0, tzinfo=UTC)),   # +5: Thu, Fri, Mon, Tue, Wed
    ("SEV3", datetime(2026, 12, 9, 10, 0, tzinfo=UTC)),   # +10
])
def test_due_dates_count_business_days_after_resolution(project, severity, expected):
    incident = declare(project, severity=severity)
    resolved = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
    Incident.objects.filter(pk=incident.pk).update(status="resolved", resolved_at=resolved)
    incident.refresh_from_db()
    assert postmortem_due_at(incident) == expected


def test_due_date_is_set_once_the_incident_resolves(project, operator):
    incident = declare(project, severity="SEV2")
    postmortem, _ = postmortem_create(incident=incident, owner=operator)
    assert postmortem.due_at is None
    incident_transition(incident=incident, to_status="resolved")
    postmortems_ensure_required()
    postmortem.refresh_from_db()
    assert postmortem.due_at is not None and postmortem.due_at > timezone.now()


def test_due_days_are_configurable(project, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "POSTMORTEM_DUE_BUSINESS_DAYS": {"SEV2": 1}}
    incident = declare(project, severity="SEV2")
    resolved = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday
    Incident.objects.filter(pk=incident.pk).update(status="resolved", resolved_at=resolved)
    incident.refresh_from_db()
    assert postmortem_due_at(incident) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


# --- submission -------------------------------------------------------------------

def test_submission_lists_every_missing_section_and_the_missing_action_plan(project, operator):
    postmortem = postmortem_for(project, owner=operator, filled=False, with_item=False)
    with pytest.raises(ValidationError) as exc:
        postmortem_submit(postmortem=postmortem, actor=operator)
    missing = exc.value.message_dict
    assert {"root_causes", "trigger", "resolution", "detection", "went_well", "went_wrong", "action_items"} <= set(
        missing)
    assert "timeline" not in missing  # prefilled
    postmortem.refresh_from_db()
    assert postmortem.status == S.DRAFT


def test_no_action_needed_justification_replaces_action_items(project, operator):
    postmortem = postmortem_for(project, owner=operator, with_item=False)
    with pytest.raises(ValidationError):
        postmortem_submit(postmortem=postmortem, actor=operator)
    postmortem = postmortem_update(postmortem=postmortem, actor=operator,
                                   changes={"no_action_needed_reason": "Third-party outage; nothing of ours to fix."})
    assert postmortem_submit(postmortem=postmortem, actor=operator).status == S.IN_REVIEW


# --- decisions -------------------------------------------------------------------

def test_owner_and_coauthors_cannot_approve_even_as_managers(project, manager, manager2, operator):
    postmortem = in_review(project, owner=manager, co_authors=[manager2])
    for person in (manager, manager2):
        with pytest.raises(FourEyesViolation):
            postmortem_decide(postmortem=postmortem, decision="approve", approver=person)
    with pytest.raises(PermissionDenied):
        postmortem_decide(postmortem=postmortem, decision="approve", approver=operator)
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW and Approval.objects.count() == 0


def test_sev1_needs_two_distinct_manager_approvals(project, manager, manager2, operator):
    postmortem = in_review(project, owner=operator, severity="SEV1")
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager, comment="Good")
    assert postmortem.status == S.IN_REVIEW
    assert approval_progress(postmortem) == {"have": 1, "required": 2, "approvers": ["manager"]}
    with pytest.raises(ValidationError):
        postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager2)
    assert postmortem.status == S.APPROVED and postmortem.approved_at is not None
    approval = Approval.objects.filter(approver=manager).get()
    assert approval.content_sha256 == postmortem.content_sha256 and approval.comment == "Good"


def test_approvals_required_are_configurable(project, manager, operator, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "POSTMORTEM_APPROVALS_REQUIRED": {"SEV1": 1}}
    postmortem = in_review(project, owner=operator, severity="SEV1")
    assert postmortem_decide(postmortem=postmortem, decision="approve", approver=manager).status == S.APPROVED


def test_request_changes_needs_a_comment_and_sends_back(project, manager, operator):
    postmortem = in_review(project, owner=operator)
    with pytest.raises(ValidationError) as exc:
        postmortem_decide(postmortem=postmortem, decision="request_changes", approver=manager, comment="")
    assert "comment" in exc.value.message_dict
    postmortem = postmortem_decide(postmortem=postmortem, decision="request_changes", approver=manager,
                                   comment="Root cause stops at the symptom; ask why twice more.")
    assert postmortem.status == S.CHANGES_REQUESTED
    with pytest.raises(InvalidTransition):
        postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    postmortem = postmortem_update(postmortem=postmortem, actor=operator, changes={"root_causes": "Deeper cause."})
    assert postmortem_submit(postmortem=postmortem, actor=operator).status == S.IN_REVIEW


def test_edit_after_approval_returns_to_review_and_needs_fresh_approval(project, manager, manager2, operator):
    postmortem = in_review(project, owner=operator)
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    assert postmortem.status == S.APPROVED
    approved_sha = postmortem.content_sha256
    postmortem = postmortem_update(postmortem=postmortem, actor=operator, changes={"impact": "Also EU customers."})
    assert postmortem.status == S.IN_REVIEW and postmortem.approved_at is None
    assert postmortem.content_sha256 != approved_sha
    assert current_approvals(postmortem) == []
    assert Approval.objects.count() == 1  # kept as history
    diff = approved_vs_current_diff(postmortem)
    assert ("add", "+Also EU customers.") in diff["lines"]
    assert any(kind == "del" and "Written impact." in line for kind, line in diff["lines"])
    assert "earlier approvals no longer count" in postmortem.incident.events.last().text
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager2)
    assert postmortem.status == S.APPROVED


def test_saving_identical_text_keeps_the_approval(project, manager, operator):
    postmortem = in_review(project, owner=operator)
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    revisions = postmortem.revisions.count()
    postmortem = postmortem_update(postmortem=postmortem, actor=operator, changes={"impact": postmortem.impact})
    assert postmortem.status == S.APPROVED and postmortem.revisions.count() == revisions


def test_every_save_is_a_revision_and_stale_saves_are_refused(project, operator):
    postmortem = postmortem_for(project, owner=operator, with_item=False)
    first = postmortem.revision
    postmortem = postmortem_update(postmortem=postmortem, actor=operator, changes={"trigger": "A deploy."},
                                   expected_revision=first)
    revision = postmortem.revisions.first()
    assert (revision.number, revision.author, "A deploy." in revision.content) == (first + 1, operator, True)
    with pytest.raises(EditConflict):
        postmortem_update(postmortem=postmortem, actor=operator, changes={"trigger": "B"}, expected_revision=first)
    with pytest.raises(ValidationError) as exc:
        postmortem_update(postmortem=postmortem, actor=operator, changes={"status": "approved"})
    assert "status" in exc.value.message_dict


def test_publish_writes_the_evidence_record(project, manager, operator):
    postmortem = in_review(project, owner=operator)
    with pytest.raises(InvalidTransition):
        postmortem_publish(postmortem=postmortem, actor=operator)
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager, comment="Clear.")
    postmortem = postmortem_publish(postmortem=postmortem, actor=operator)
    assert postmortem.status == S.PUBLISHED and postmortem.published_at <= timezone.now()
    record = EvidenceRecord.objects.get(kind="postmortem")
    payload = record.payload
    assert payload["automation"]["parameters"]["incident_ids"] == [postmortem.incident_id]
    assert payload["content_sha256"] == postmortem.content_sha256
    assert [a["approver"] for a in payload["approvals"]] == ["manager"]
    assert payload["approvals"][0]["comment"] == "Clear."
    assert "## Root cause analysis" in payload["report"] and "Written root causes." in payload["report"]
    assert record.payload_intact()


def test_lessons_go_to_the_knowledge_base_on_publish(project, manager, operator):
    services = pytest.importorskip("knowledgebase.services", reason="knowledgebase not merged")
    if not hasattr(services, "article_from_postmortem_lessons"):
        pytest.skip("knowledgebase not merged")
    postmortem = in_review(project, owner=operator)
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    postmortem_publish(postmortem=postmortem, actor=operator)
    from knowledgebase.models import Article

    article = Article.objects.get(slug=f"lessons-{postmortem.incident.reference.lower()}")
    assert article.related_incident_ids == [postmortem.incident_id]
    assert "Written went well." in article.body


def test_overdue_drafts_are_remind_once_per_owner_per_day(project, operator, manager):
    from incidents.services.postmortems import postmortems_remind_overdue
    from opsportal.models import Notification

    past = timezone.now() - timedelta(days=2)
    for title in ("A", "B"):
        postmortem = postmortem_for(project, owner=operator, filled=False, title=title)
        Postmortem.objects.filter(pk=postmortem.pk).update(due_at=past)
    other = postmortem_for(project, owner=manager, filled=False, title="C")
    Postmortem.objects.filter(pk=other.pk).update(due_at=past)
    assert Postmortem.objects.overdue().count() == 3
    assert postmortems_remind_overdue() == 2
    assert postmortems_remind_overdue() == 0  # same day: already sent
    mine = Notification.objects.get(key__startswith=f"postmortem-overdue:{operator.pk}:")
    assert mine.recipients == [operator.email] and "2 overdue" in mine.subject


def test_a_manager_who_edited_the_text_cannot_approve_it(project, manager, manager2, operator):
    postmortem = in_review(project, owner=operator)
    postmortem = postmortem_update(postmortem=postmortem, actor=manager, changes={"impact": "Sharper impact."})
    with pytest.raises(FourEyesViolation):
        postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    assert postmortem_decide(postmortem=postmortem, decision="approve", approver=manager2).status == S.APPROVED

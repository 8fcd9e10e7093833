"""Issue #11: each way an approval could be defeated now fails to bypass."""

import pytest

from incidents.models import ActionItem, ActionItemStatus, PostmortemStatus
from incidents.services import (
    action_item_create,
    action_item_reject,
    action_item_reopen,
    action_item_set_status,
    action_item_verify,
    postmortem_decide,
    postmortem_submit,
    postmortem_update,
)
from incidents.services.action_items import action_item_update
from knowledgebase.markdown import MAX_MARKDOWN_CHARS
from opsportal.errors import FourEyesViolation, InvalidTransition
from opsportal.models import Approval, ApprovalSupersession
from opsportal.services.approvals import content_sha256
from tests.incidents.postmortem_factories import FILLED, in_review, postmortem_for

pytestmark = pytest.mark.django_db
S = PostmortemStatus


def test_owner_hand_off_does_not_make_the_writer_a_reviewer(api_as, project, manager, manager2, operator):
    postmortem = postmortem_for(project, owner=manager)
    postmortem = postmortem_submit(postmortem=postmortem, actor=manager)
    api = api_as(manager)
    handed = api.patch(f"/api/v1/postmortems/{postmortem.pk}/", {"owner": "operator"}, format="json")
    assert handed.status_code == 200, handed.json()
    refused = api.post(f"/api/v1/postmortems/{postmortem.pk}/decide/", {"decision": "approve", "comment": "mine"})
    assert refused.status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW and not Approval.objects.filter(approver=manager).exists()
    # The author set is part of the approved content and lists the former owner.
    assert manager.pk in postmortem.approval_content()["authors"]
    assert manager2.pk not in postmortem.approval_content()["authors"]


def test_owner_change_after_submission_is_a_change_of_content(project, manager, manager2, operator):
    postmortem = in_review(project, owner=operator, severity="SEV3")
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    assert postmortem.status == S.APPROVED
    revision = postmortem.revision
    postmortem = postmortem_update(postmortem=postmortem, actor=operator, changes={}, owner=manager2)
    assert postmortem.status == S.IN_REVIEW and postmortem.revision == revision + 1
    approval = Approval.objects.get(approver=manager)
    assert ApprovalSupersession.objects.get(approval=approval).new_content_sha256 == postmortem.content_sha256
    assert approval.content_sha256 != postmortem.content_sha256  # kept as it was, marked superseded
    with pytest.raises(FourEyesViolation):
        postmortem_decide(postmortem=postmortem, decision="approve", approver=manager2)


def test_co_author_change_after_submission_returns_to_review(project, manager, manager2, operator):
    postmortem = in_review(project, owner=operator, severity="SEV3")
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    postmortem = postmortem_update(postmortem=postmortem, actor=operator, changes={}, co_authors=[manager2])
    assert postmortem.status == S.IN_REVIEW
    assert ApprovalSupersession.objects.count() == 1


def test_unused_link_reference_definition_changes_the_approved_content(project, manager, operator):
    postmortem = in_review(project, owner=operator, severity="SEV3")
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    html, sha = postmortem.rendered_html, postmortem.content_sha256
    text = postmortem.summary + "\n\n[unused]: https://attacker.example/"
    postmortem = postmortem_update(postmortem=postmortem, actor=operator, changes={"summary": text})
    assert postmortem.rendered_html == html  # the rendering did not change...
    assert postmortem.content_sha256 != sha  # ...the source did, and that is what was approved
    assert postmortem.status == S.IN_REVIEW


def test_text_past_the_renderer_limit_is_refused_naming_the_field(api_as, project, operator):
    postmortem = postmortem_for(project, owner=operator)
    postmortem.refresh_from_db()
    before = postmortem.revision
    response = api_as(operator).patch(f"/api/v1/postmortems/{postmortem.pk}/",
                                      {"impact": "x" * (MAX_MARKDOWN_CHARS + 1)}, format="json")
    assert response.status_code == 400 and "impact" in response.json()
    postmortem.refresh_from_db()
    assert postmortem.revision == before and postmortem.impact == FILLED["impact"]


def test_whole_report_past_the_limit_is_refused(project, operator):
    postmortem = postmortem_for(project, owner=operator)
    half = "y" * (MAX_MARKDOWN_CHARS // 2)
    with pytest.raises(Exception) as refused:
        postmortem_update(postmortem=postmortem, actor=operator, changes={"impact": half, "trigger": half + "zz"})
    assert "trigger" in refused.value.message_dict


def test_approval_hash_is_rfc8785_of_the_canonical_source(project, manager, operator):
    import hashlib

    import rfc8785

    postmortem = in_review(project, owner=operator, severity="SEV3")
    postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    approval = Approval.objects.get()
    assert approval.content_scheme == 1
    assert approval.content_sha256 == hashlib.sha256(rfc8785.dumps(approval.content)).hexdigest()
    assert approval.content["sections"]["summary"] == FILLED["summary"]
    assert approval.content["action_items"][0]["title"] == "Add a canary for checkout"
    assert set(approval.authors) == {operator.pk}


def test_linked_action_item_change_in_review_supersedes_approvals(project, manager, operator):
    postmortem = in_review(project, owner=operator, severity="SEV1")  # needs two approvals
    postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    item = ActionItem.objects.get(postmortem=postmortem)
    action_item_update(item=item, actor=operator, due_date=item.due_date.replace(year=item.due_date.year + 1))
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW
    assert content_sha256(postmortem.approval_content()) == postmortem.content_sha256
    assert ApprovalSupersession.objects.filter(approval__approver=manager).exists()


# --- action items --------------------------------------------------------------------------------

@pytest.fixture
def done_item(project, operator):
    item = action_item_create(project=project, title="Canary checkout", owner=operator, actor=operator,
                              type="prevent")
    return action_item_set_status(item=item, status=ActionItemStatus.DONE, actor=operator)


def test_done_item_type_cannot_drop_the_verification(api_as, done_item, operator):
    response = api_as(operator).patch(f"/api/v1/action-items/{done_item.pk}/", {"type": "mitigate"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    done_item.refresh_from_db()
    assert done_item.type == "prevent" and done_item.awaiting_verification


@pytest.mark.parametrize("status", ["in_progress", "wont_do", "open"])
def test_done_item_moves_only_by_verify_reopen_or_reject(done_item, operator, status):
    with pytest.raises(InvalidTransition):
        action_item_set_status(item=done_item, status=status, actor=operator, reason="because")
    assert ActionItem.objects.get(pk=done_item.pk).status == ActionItemStatus.DONE


def test_reject_reopens_with_a_reject_decision(done_item, manager):
    item = action_item_reject(item=done_item, actor=manager, comment="The canary never ran.")
    assert item.status == ActionItemStatus.OPEN and item.completed_at is None
    assert Approval.objects.get().decision == "reject"


def test_item_owner_hand_off_does_not_let_the_writer_verify(project, manager, operator):
    item = action_item_create(project=project, title="Alert on 5xx", owner=manager, actor=manager, type="detect")
    item = action_item_update(item=item, actor=manager, owner=operator)
    item = action_item_set_status(item=item, status=ActionItemStatus.DONE, actor=operator)
    with pytest.raises(FourEyesViolation):
        action_item_verify(item=item, actor=manager, comment="Works")
    assert ActionItem.objects.get(pk=item.pk).verified_at is None


def test_verified_item_is_read_only_everywhere(api_as, client, done_item, manager, operator):
    from django.db import DatabaseError, connection, transaction

    item = action_item_verify(item=done_item, actor=manager, comment="Checked in the game day.")
    for change in ({"title": "renamed"}, {"type": "mitigate"}, {"owner": manager}):
        with pytest.raises(InvalidTransition):
            action_item_update(item=item, actor=operator, **change)
    with pytest.raises(InvalidTransition):
        action_item_reopen(item=item, actor=manager, comment="again")
    api = api_as(operator)
    assert api.patch(f"/api/v1/action-items/{item.pk}/", {"title": "renamed"}, format="json").status_code == 400
    client.force_login(manager)
    page = client.get(f"/admin/incidents/actionitem/{item.pk}/change/")
    assert page.status_code == 200 and b'name="title"' not in page.content  # no editable field
    with pytest.raises(DatabaseError, match="read-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE incidents_actionitem SET title = 'forged' WHERE id = %s", [item.pk])
    assert ActionItem.objects.get(pk=item.pk).title == "Canary checkout"


# --- SLO reviews and incident response ----------------------------------------------------------

def test_slo_owner_hand_off_does_not_make_the_writer_a_reviewer(project, service, manager, operator):
    from slos.services import slo_create, slo_update
    from slos.services.reviews import slo_review_record

    slo = slo_create(project=project, service=service, name="Checkout availability", slug="checkout-avail",
                     sli_kind="availability", objective="99.9", owner=manager, actor=manager)
    slo = slo_update(slo=slo, owner=operator, actor=operator)
    approvals, refusals = slo_review_record(slos=[slo], approver=manager, decision="approve")
    assert approvals == [] and "Four-eyes" in refusals[0][1]


def test_incident_response_approval_is_bound_to_the_canonical_record(project, manager, operator):
    from incidents.services.approvals import incident_record_approval
    from tests.incidents.postmortem_factories import resolved_incident

    incident = resolved_incident(project, actor=operator)
    approval = incident_record_approval(incident=incident, decision="approve", approver=manager)
    assert approval.content_scheme == 1 and approval.content["reference"] == incident.reference
    assert approval.content_sha256 == content_sha256(incident.approval_content())

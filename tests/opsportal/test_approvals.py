import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opsportal.errors import FourEyesViolation
from opsportal.models import Approval, Project
from opsportal.services import approval_record


def test_manager_approval_records_hash_of_content(project, manager, operator):
    approval = approval_record(
        subject=project, kind="postmortem", decision="approve", approver=manager,
        comment="Looks right", content="exact text", authors=[operator],
    )
    assert approval.content_sha256 == hashlib.sha256(b"exact text").hexdigest()
    assert approval.approver == manager
    assert approval.project == project


def test_subject_protocol_supplies_content_and_authors(monkeypatch, project, manager, manager2):
    # A subject may say who wrote it and what exactly is being approved.
    monkeypatch.setattr(Project, "approval_authors", lambda self: [manager2], raising=False)
    monkeypatch.setattr(Project, "approval_content", lambda self: "## Postmortem\nThe exact text.", raising=False)
    approval = approval_record(subject=project, kind="postmortem", decision="approve", approver=manager)
    assert approval.content_sha256 == hashlib.sha256(b"## Postmortem\nThe exact text.").hexdigest()
    with pytest.raises(FourEyesViolation):
        approval_record(subject=project, kind="postmortem", decision="approve", approver=manager2)


def test_four_eyes_author_cannot_approve(project, manager):
    with pytest.raises(FourEyesViolation, match="Four-eyes"):
        approval_record(subject=project, kind="postmortem", decision="approve", approver=manager,
                        content="text", authors=[manager])
    assert not Approval.objects.exists()


@pytest.mark.parametrize("role", ["operator", "viewer", "nobody"])
def test_only_managers_decide(request, project, role):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        approval_record(subject=project, kind="slo_review", decision="approve", approver=user, content="x")
    assert not Approval.objects.exists()


def test_request_changes_needs_a_comment(project, manager):
    with pytest.raises(ValidationError) as error:
        approval_record(subject=project, kind="postmortem", decision="request_changes", approver=manager,
                        content="x")
    assert "comment" in error.value.message_dict


def test_unknown_kind_and_decision_name_the_field(project, manager):
    with pytest.raises(ValidationError) as error:
        approval_record(subject=project, kind="vibes", decision="approve", approver=manager, content="x")
    assert "kind" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        approval_record(subject=project, kind="postmortem", decision="lgtm", approver=manager, content="x")
    assert "decision" in error.value.message_dict

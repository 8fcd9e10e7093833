"""Human decisions with four-eyes: nobody approves their own work.

An approval is bound to the canonical source of its subject (the Markdown as typed,
the title, the set of authors, linked items...), hashed as SHA-256 of RFC 8785 JSON
with the scheme version recorded, never to a rendering of it. The authors are
everyone who ever owned, co-authored or edited the subject (`Authorship`), not only
the current owner, so handing a subject over does not make its writer a reviewer.
"""

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from opsportal.actors import recorded_person
from opsportal.audit.canonical import SCHEME_VERSION, sha256_hex
from opsportal.errors import FourEyesViolation
from opsportal.models import (
    Approval,
    ApprovalDecision,
    ApprovalKind,
    ApprovalSupersession,
    Authorship,
    AuthorshipRole,
    Project,
)

DECIDE_PERMISSION = "opsportal.decide_approval"
LEGACY_SCHEME = 0


def content_sha256(content) -> str:
    """SHA-256 of the canonical source: RFC 8785 JSON for documents, the bytes for legacy text."""
    if isinstance(content, dict | list):
        return sha256_hex(content)
    data = content.encode() if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


def _subject_type(subject):
    return ContentType.objects.get_for_model(subject, for_concrete_model=False)


def _project_of(subject) -> Project:
    return subject if isinstance(subject, Project) else subject.project


def authorship_record(*, subject, users, role: str) -> None:
    """Remember that `users` own, co-author or edited `subject` (kept forever; repeats are ignored)."""
    if role not in AuthorshipRole.values:
        raise ValueError(f"unknown authorship role {role!r}")
    people = {recorded_person(user) for user in users} - {None}
    if not people:
        return
    subject_type = _subject_type(subject)
    known = set(
        Authorship.objects.filter(subject_type=subject_type, subject_id=subject.pk, role=role,
                                  user__in=people).values_list("user_id", flat=True)
    )
    new = [
        Authorship(project=_project_of(subject), subject_type=subject_type, subject_id=subject.pk, user=user,
                   role=role)
        for user in sorted(people, key=lambda u: u.pk) if user.pk not in known
    ]
    Authorship.objects.bulk_create(new, ignore_conflicts=True)


def historic_author_ids(subject) -> set[int]:
    """Everyone who has owned, co-authored or edited `subject` since it was created."""
    return set(
        Authorship.objects.filter(subject_type=_subject_type(subject), subject_id=subject.pk)
        .values_list("user_id", flat=True)
    )


def subject_author_ids(subject, authors=None) -> set[int]:
    if authors is None:
        authors = subject.approval_authors() if hasattr(subject, "approval_authors") else []
    ids = {getattr(author, "pk", author) for author in authors if author is not None}
    if getattr(subject, "pk", None) is not None and not isinstance(subject, Project):
        ids |= historic_author_ids(subject)
    return ids


def approval_record(
    *,
    subject,
    kind: str,
    decision: str,
    approver,
    comment: str = "",
    content=None,
    authors=None,
) -> Approval:
    """Record a decision on `subject`.

    Rules: the approver holds `opsportal.decide_approval`; the approver never owned,
    co-authored or edited the subject (four-eyes, over its whole history); asking for
    changes or rejecting needs a comment. `content` is what the approver decided on:
    a document (hashed as RFC 8785 JSON, scheme recorded) or legacy text. Subjects may
    provide `approval_content()` and `approval_authors()` instead of passing them.
    """
    if kind not in ApprovalKind.values:
        raise ValidationError({"kind": f"kind must be one of {', '.join(ApprovalKind.values)}."})
    if decision not in ApprovalDecision.values:
        raise ValidationError({"decision": f"decision must be one of {', '.join(ApprovalDecision.values)}."})
    project = _project_of(subject)
    # The approver's role in the subject's project decides (a Manager elsewhere is not enough).
    if approver is None or not approver.is_authenticated or not approver.has_perm(DECIDE_PERMISSION, project):
        raise PermissionDenied(f"Only Managers of {project} may record approvals on its work.")
    author_ids = subject_author_ids(subject, authors)
    if approver.pk in author_ids:
        raise FourEyesViolation(
            f"Four-eyes rule: {approver.get_username()} owns, co-authored or edited {subject} "
            "and cannot decide on it."
        )
    comment = (comment or "").strip()
    if decision != ApprovalDecision.APPROVE and not comment:
        raise ValidationError({"comment": "Say what must change (a comment is required unless approving)."})
    if content is None:
        content = subject.approval_content() if hasattr(subject, "approval_content") else str(subject)
    structured = isinstance(content, dict | list)
    from opsportal.services.chain import chain_append_record  # the chain imports this module's models

    with transaction.atomic():
        approval = Approval.objects.create(
            project=project,
            kind=kind,
            subject_type=_subject_type(subject),
            subject_id=subject.pk,
            subject_label=str(subject)[:300],
            decision=decision,
            approver=approver,
            comment=comment,
            content_sha256=content_sha256(content),
            content_scheme=SCHEME_VERSION if structured else LEGACY_SCHEME,
            content=content if structured else {"text": content if isinstance(content, str) else content.hex()},
            authors=sorted(author_ids),
        )
        chain_append_record(approval, actor=approver)
    return approval


def approvals_supersede(*, subject, new_content_sha256: str, reason: str, actor=None) -> list[ApprovalSupersession]:
    """The subject changed (text, authors or linked items) and is back in review: every approval of an
    earlier content is marked superseded. Approvals are kept as they were; the mark is its own row."""
    from opsportal.services.chain import chain_append_record

    stale = (
        Approval.objects.filter(subject_type=_subject_type(subject), subject_id=subject.pk,
                                decision=ApprovalDecision.APPROVE, supersession__isnull=True)
        .exclude(content_sha256=new_content_sha256)
        .order_by("id")
    )
    marks = []
    for approval in stale:
        mark = ApprovalSupersession.objects.create(
            approval=approval, project=approval.project, reason=reason[:300], new_content_sha256=new_content_sha256,
            created_by=recorded_person(actor),
        )
        chain_append_record(mark, actor=actor)
        marks.append(mark)
    return marks

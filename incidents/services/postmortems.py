"""Write side of postmortems: creation (and the rules that require one), edits with revisions,
submission, Manager decisions with four-eyes and row locks, publication, and overdue reminders."""

import logging
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.business_days import add_business_days
from incidents.models import (
    SECTIONS,
    ActionItem,
    Incident,
    IncidentEventKind,
    IncidentSource,
    Postmortem,
    PostmortemRevision,
    PostmortemStatus,
    Severity,
)
from incidents.postmortem_rules import approvals_required, budget_threshold_percent, due_business_days
from incidents.selectors.postmortems import (
    current_approvals,
    document_markdown,
    postmortem_approvals,
    render_document,
    report_data,
    report_markdown,
    timeline_markdown,
)
from incidents.services.timeline import record_event
from knowledgebase.markdown import MAX_MARKDOWN_CHARS
from opsportal.actors import recorded_person
from opsportal.errors import EditConflict, InvalidTransition
from opsportal.models import ApprovalDecision, ApprovalKind, AuthorshipRole, EvidenceKind
from opsportal.services import approval_record, log_evidence
from opsportal.services.approvals import approvals_supersede, authorship_record, content_sha256
from opsportal.services.chain import chain_append_record
from opsportal.services.notifications import notify_once

logger = logging.getLogger(__name__)
S = PostmortemStatus
EDITABLE_FIELDS = ("title", *(field for field, _h, _r in SECTIONS), "no_action_needed_reason")
APPROVE_PERMISSION = "incidents.approve_postmortem"
DECISIONS = (ApprovalDecision.APPROVE, ApprovalDecision.REQUEST_CHANGES)


# --- requirement ---------------------------------------------------------------

def _budget_consumed_percent(incident) -> tuple[Decimal, str] | None:
    """Share of an SLO error budget the incident consumed, from the slos app when it offers it."""
    try:
        from slos.selectors import incident_budget_consumed  # lazy: the slos app may land later
    except ImportError:
        return None
    return incident_budget_consumed(incident)


def requirement_reason(incident: Incident) -> str:
    """Why this incident needs a postmortem, or "" when it does not (a Manager may still ask for one)."""
    if incident.severity in Severity.significant():
        return f"{incident.severity} incident: postmortems are required for SEV1 and SEV2."
    consumed = _budget_consumed_percent(incident)
    if consumed is not None:
        percent, slo_name = consumed
        if Decimal(percent) > budget_threshold_percent():
            return (f"Consumed {percent}% of the error budget of {slo_name} "
                    f"(policy: more than {budget_threshold_percent()}% needs a postmortem).")
    return ""


def postmortem_due_at(incident: Incident):
    """Due a configurable number of business days (project time zone) after the incident resolved."""
    if incident.resolved_at is None:
        return None
    return add_business_days(incident.resolved_at, due_business_days(incident.severity), incident.project.time_zone)


def _render(postmortem: Postmortem) -> None:
    """Render the HTML for display, and hash the canonical source (what approvals bind to)."""
    postmortem.rendered_html = render_document(postmortem)
    postmortem.content_sha256 = content_sha256(postmortem.approval_content())


def _check_renderable(postmortem: Postmortem, changed: list[str]) -> None:
    """Refuse text the renderer would cut (never truncate silently): per field and for the whole report."""
    errors = {field: f"{field} is longer than {MAX_MARKDOWN_CHARS:,} characters, the most a report can render."
              for field in changed if len(getattr(postmortem, field) or "") > MAX_MARKDOWN_CHARS}
    if not errors and len(document_markdown(postmortem)) > MAX_MARKDOWN_CHARS:
        longest = max(changed or EDITABLE_FIELDS, key=lambda field: len(getattr(postmortem, field) or ""))
        errors[longest] = (f"The whole report would be longer than {MAX_MARKDOWN_CHARS:,} characters, the most "
                           "a report can render; shorten this section.")
    if errors:
        raise ValidationError(errors)


def _record_revision(postmortem: Postmortem, actor) -> PostmortemRevision:
    postmortem.revision += 1
    revision = PostmortemRevision.objects.create(
        postmortem=postmortem, number=postmortem.revision, author=recorded_person(actor), status=postmortem.status,
        content=document_markdown(postmortem), content_sha256=postmortem.content_sha256,
    )
    chain_append_record(revision, actor=actor)
    return revision



def postmortem_create(*, incident: Incident, actor=None, owner=None, required_reason: str = "",
                      requested: bool = False) -> tuple[Postmortem, bool]:
    """Start the postmortem of `incident` (one per incident; returns the existing one if any).

    The timeline section is prefilled from the incident timeline; the owner defaults to the
    incident commander. `required_reason` defaults to the rule that requires it, if any.
    """
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).select_related("project").get(pk=incident.pk)
        existing = Postmortem.objects.filter(incident=incident).first()
        if existing is not None:
            return existing, False
        reason = required_reason or requirement_reason(incident)
        postmortem = Postmortem(
            project=incident.project, incident=incident, title=incident.title[:300],
            owner=owner or incident.commander, required=bool(reason) or requested, required_reason=reason[:300],
            requested_by=recorded_person(actor) if requested else None, summary=incident.summary,
            impact=incident.customer_impact, timeline=timeline_markdown(incident), due_at=postmortem_due_at(incident),
        )
        postmortem.save()
        authorship_record(subject=postmortem, users=[postmortem.owner], role=AuthorshipRole.OWNER)
        _render(postmortem)
        _record_revision(postmortem, actor)
        postmortem.save(update_fields=["revision", "rendered_html", "content_sha256"])
        record_event(incident, kind=IncidentEventKind.CUSTOM, actor=actor,
                     text=f"Postmortem started{f' ({reason})' if reason else ''}.",
                     data={"postmortem_id": postmortem.pk, "required": postmortem.required})
    return postmortem, True


def postmortem_request(*, incident: Incident, actor, reason: str) -> Postmortem:
    """A Manager asks for a postmortem of any incident; the reason is recorded and shown on the incident."""
    if actor is None or not actor.has_perm("incidents.require_postmortem", incident):
        raise PermissionDenied("Only Managers may require a postmortem.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this incident needs a postmortem."})
    text = f"Requested by {actor.get_username()}: {reason}"[:300]
    postmortem, created = postmortem_create(incident=incident, actor=actor, required_reason=text, requested=True)
    if not created and not postmortem.required:
        with transaction.atomic():
            Postmortem.objects.filter(pk=postmortem.pk).update(required=True, required_reason=text,
                                                                requested_by=actor)
        postmortem.refresh_from_db()
    return postmortem


def postmortem_require_for_error_budget(*, incident: Incident, slo_name: str, consumed_percent: Decimal,
                                        actor=None) -> Postmortem | None:
    """For the slos app: an incident that consumed more than the threshold of an error budget needs a postmortem."""
    if Decimal(consumed_percent) <= budget_threshold_percent():
        return None
    reason = (f"Consumed {consumed_percent}% of the error budget of {slo_name} "
              f"(policy: more than {budget_threshold_percent()}% needs a postmortem).")
    postmortem, created = postmortem_create(incident=incident, actor=actor, required_reason=reason)
    if not created and not postmortem.required:
        Postmortem.objects.filter(pk=postmortem.pk).update(required=True, required_reason=reason[:300])
        postmortem.refresh_from_db()
    return postmortem


def postmortems_ensure_required(now=None) -> int:
    """Scheduled: start the postmortem of every significant incident lacking one, and set due times
    of drafts whose incident has resolved since. Each incident is handled on its own."""
    created = 0
    missing = Incident.objects.counted().significant().filter(postmortem__isnull=True).select_related("project")
    for incident in missing.iterator():
        try:
            created += postmortem_create(incident=incident)[1]
        except Exception:
            logger.exception("could not start the postmortem of incident %s", incident.pk)
    # Less severe incidents need one when they consumed too much of an SLO's error budget.
    burned = Incident.objects.counted().filter(source=IncidentSource.SLO_BURN, postmortem__isnull=True)
    for incident in burned.exclude(severity__in=Severity.significant()).select_related("project").iterator():
        try:
            if requirement_reason(incident):
                created += postmortem_create(incident=incident)[1]
        except Exception:
            logger.exception("could not check the error budget rule for incident %s", incident.pk)
    undated = Postmortem.objects.filter(due_at__isnull=True, incident__resolved_at__isnull=False)
    for postmortem in undated.select_related("incident__project"):
        Postmortem.objects.filter(pk=postmortem.pk).update(due_at=postmortem_due_at(postmortem.incident))
    return created


# --- editing -------------------------------------------------------------------

def _lock(postmortem) -> Postmortem:
    pk = postmortem.pk if isinstance(postmortem, Postmortem) else postmortem
    return (
        Postmortem.objects.select_for_update(of=("self", "incident"))
        .select_related("incident", "project").get(pk=pk)
    )


def postmortem_update(*, postmortem: Postmortem, actor, changes: dict, owner=..., co_authors=None,
                      expected_revision: int | None = None) -> Postmortem:
    """Save an edit: keep a revision when the content changed. The content is the canonical source
    (text, title, authors, linked action items): changing it, owner and co-authors included, on a
    postmortem in review, approved or published sends it back to review, and the approvals given so
    far are marked superseded (kept as history). Text longer than the renderer renders is refused.
    `expected_revision` refuses a save over someone else's."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: "This field cannot be edited." for field in sorted(unknown)})
    with transaction.atomic():
        postmortem = _lock(postmortem)
        if expected_revision is not None and expected_revision != postmortem.revision:
            raise EditConflict({"revision": f"Someone saved revision {postmortem.revision} since you opened "
                                            f"revision {expected_revision}; reload and re-apply your edit."})
        for field, value in changes.items():
            setattr(postmortem, field, (value or "").strip() if field != "title" else (value or "").strip()[:300])
        if not postmortem.title:
            raise ValidationError({"title": "A postmortem needs a title."})
        _check_renderable(postmortem, [field for field in changes if field != "title"])
        if owner is not ...:
            postmortem.owner = owner
        postmortem.save()
        if co_authors is not None:
            postmortem.co_authors.set(co_authors)
        authorship_record(subject=postmortem, users=[postmortem.owner], role=AuthorshipRole.OWNER)
        authorship_record(subject=postmortem, users=list(postmortem.co_authors.all()), role=AuthorshipRole.CO_AUTHOR)
        _apply_content_change(postmortem, actor, reason="edited")
    return postmortem


def _apply_content_change(postmortem: Postmortem, actor, *, reason: str) -> bool:
    """Re-hash the canonical source of a locked, saved postmortem; when it changed, keep a revision, make
    the editor an author, and send a postmortem in review, approved or published back to review with the
    earlier approvals marked superseded. Returns whether the content changed."""
    old_sha, old_status = postmortem.content_sha256, postmortem.status
    counted_before = current_approvals(postmortem) if old_status == S.IN_REVIEW else []
    _render(postmortem)
    if postmortem.content_sha256 == old_sha:
        postmortem.save(update_fields=["rendered_html", "updated_at"])
        return False
    if actor is not None:
        # Whoever changed the content is one of its authors from now on (the revision names them too).
        authorship_record(subject=postmortem, users=[actor], role=AuthorshipRole.EDITOR)
        _render(postmortem)
    invalidated = old_status in (S.IN_REVIEW, S.APPROVED, S.PUBLISHED)
    had_approvals = invalidated and (old_status != S.IN_REVIEW or bool(counted_before))
    if invalidated:
        postmortem.status = S.IN_REVIEW
        postmortem.submitted_at = timezone.now()
        postmortem.approved_at = None
    _record_revision(postmortem, actor)
    postmortem.save()
    if invalidated:
        approvals_supersede(subject=postmortem, new_content_sha256=postmortem.content_sha256, actor=actor,
                            reason=f"Postmortem {reason} (revision {postmortem.revision}); back in review.")
    if had_approvals:
        record_event(postmortem.incident, kind=IncidentEventKind.CUSTOM, actor=actor,
                     text=f"Postmortem {reason} after approval (revision {postmortem.revision}): back in review; "
                          "earlier approvals no longer count.",
                     data={"postmortem_id": postmortem.pk, "revision": postmortem.revision})
    return True


def postmortem_content_changed(*, postmortem, actor, reason: str) -> Postmortem | None:
    """Something outside the postmortem row that its approved content includes changed (a linked action
    item). Before publication that is a change of content (see `_apply_content_change`); a published
    postmortem keeps the content it was published with while its action items progress."""
    with transaction.atomic():
        postmortem = _lock(postmortem)
        if postmortem.status == S.PUBLISHED:
            return postmortem
        _apply_content_change(postmortem, actor, reason=reason)
    return postmortem


def postmortem_prefill_timeline(*, postmortem: Postmortem, actor) -> Postmortem:
    """Replace the timeline section with the incident's current timeline."""
    return postmortem_update(postmortem=postmortem, actor=actor,
                             changes={"timeline": timeline_markdown(postmortem.incident)})


# --- workflow ------------------------------------------------------------------

def submission_problems(postmortem: Postmortem) -> dict[str, str]:
    """What stops submission for review, keyed by field (empty when ready)."""
    headings = {field: heading for field, heading, _r in SECTIONS}
    problems = {field: f"{headings[field]} is empty." for field in postmortem.missing_sections()}
    if not ActionItem.objects.filter(postmortem=postmortem).exists() and not postmortem.no_action_needed_reason.strip():
        problems["action_items"] = ("Add at least one action item, or explain why no action is needed "
                                    "(no action needed justification).")
    return problems


def postmortem_submit(*, postmortem: Postmortem, actor) -> Postmortem:
    """Draft or changes requested -> in review, once every required section is written and there is
    an action item or a "no action needed" justification. The refusal lists everything missing."""
    with transaction.atomic():
        postmortem = _lock(postmortem)
        if postmortem.status not in (S.DRAFT, S.CHANGES_REQUESTED):
            raise InvalidTransition({"status": f"A {postmortem.get_status_display().lower()} postmortem cannot be "
                                               "submitted; only drafts and ones with changes requested can."})
        problems = submission_problems(postmortem)
        if problems:
            raise ValidationError(problems)
        postmortem.status = S.IN_REVIEW
        postmortem.submitted_at = timezone.now()
        postmortem.save(update_fields=["status", "submitted_at", "updated_at"])
        record_event(postmortem.incident, kind=IncidentEventKind.CUSTOM, actor=actor,
                     text=f"Postmortem submitted for review (revision {postmortem.revision}).",
                     data={"postmortem_id": postmortem.pk})
        reviewers = [m for m in project_managers(postmortem.project) if m.pk not in set(postmortem.approval_authors())]
        notify_once(
            key=f"postmortem-review:{postmortem.pk}:{postmortem.revision}:{postmortem.submitted_at:%Y%m%d%H%M%S}",
            users=reviewers, subject=f"Postmortem to review: {postmortem}",
            body=f"{postmortem} awaits your review in the OpsPortal admin.", project=postmortem.project,
        )
    return postmortem


def project_managers(project):
    """The project's Managers (memberships): the only people review emails and escalations go to."""
    from opsportal.access.selectors import project_managers as managers_of

    return managers_of(project)


def postmortem_decide(*, postmortem: Postmortem, decision: str, approver, comment: str = "") -> Postmortem:
    """A Manager approves the text as shown, or requests changes (with a comment).

    Rules: only holders of `incidents.approve_postmortem`; never the owner or a co-author
    (four-eyes, enforced by `approval_record`); only while in review; one approval per Manager
    per text. Approved once the number of approvals the severity needs is reached. The row
    lock makes two Managers deciding at once take turns, so none is lost or double-counted.
    """
    if decision not in DECISIONS:
        raise ValidationError({"decision": "decision must be approve or request_changes."})
    if approver is None or not approver.is_authenticated or not approver.has_perm(APPROVE_PERMISSION, postmortem):
        raise PermissionDenied("Only Managers may approve postmortems or request changes.")
    with transaction.atomic():
        postmortem = _lock(postmortem)
        if postmortem.status != S.IN_REVIEW:
            raise InvalidTransition({"status": f"This postmortem is {postmortem.get_status_display().lower()}; "
                                               "only postmortems in review can be decided."})
        content = postmortem.approval_content()
        if content_sha256(content) != postmortem.content_sha256:
            # Changed by something that did not re-hash it (e.g. a direct co-author change): back to review.
            _apply_content_change(postmortem, None, reason="changed")
            raise EditConflict({"revision": f"The postmortem changed (now revision {postmortem.revision}); "
                                            "review the current text."})
        if decision == ApprovalDecision.APPROVE and any(
            a.approver_id == approver.pk for a in current_approvals(postmortem)
        ):
            raise ValidationError({"decision": "You already approved this text; another Manager must approve it."})
        approval = approval_record(subject=postmortem, kind=ApprovalKind.POSTMORTEM, decision=decision,
                                   approver=approver, comment=comment, content=content)
        required = approvals_required(postmortem.incident.severity)
        if decision == ApprovalDecision.REQUEST_CHANGES:
            postmortem.status = S.CHANGES_REQUESTED
            text = f"Postmortem sent back for changes: {approval.comment}"
        else:
            have = len(current_approvals(postmortem))
            if have >= required:
                postmortem.status = S.APPROVED
                postmortem.approved_at = timezone.now()
            text = f"Postmortem approved by {approver.get_username()} ({have} of {required})."
        postmortem.save(update_fields=["status", "approved_at", "updated_at"])
        record_event(postmortem.incident, kind=IncidentEventKind.APPROVAL, actor=approver, text=text,
                     data={"postmortem_id": postmortem.pk, "approval_id": approval.pk, "decision": decision})
        owner_and_authors = get_user_model().objects.filter(pk__in=postmortem.approval_authors())
        notify_once(key=f"postmortem-decision:{approval.pk}", users=owner_and_authors,
                    subject=f"{postmortem}: {approval.get_decision_display().lower()}",
                    body=f"{approver.get_username()}: {approval.get_decision_display()}. {approval.comment}".strip(),
                    project=postmortem.project)
    return postmortem


def postmortem_publish(*, postmortem: Postmortem, actor) -> Postmortem:
    """Approved -> published: writes the `postmortem` evidence record (report, approvals and
    `automation.parameters.incident_ids`) and offers the lessons learned to the knowledge base."""
    if actor is None or not actor.has_perm("incidents.change_postmortem", postmortem):
        raise PermissionDenied("You may not publish postmortems.")
    with transaction.atomic():
        postmortem = _lock(postmortem)
        if postmortem.status != S.APPROVED:
            raise InvalidTransition({"status": "Only approved postmortems can be published."})
        postmortem.status = S.PUBLISHED
        postmortem.published_at = timezone.now()
        postmortem.save(update_fields=["status", "published_at", "updated_at"])
        data = report_data(postmortem)
        log_evidence(
            project=postmortem.project, kind=EvidenceKind.POSTMORTEM, actor=actor,
            summary=f"Postmortem published: {postmortem}"[:500],
            payload={
                "postmortem_id": postmortem.pk, "incident_id": postmortem.incident_id,
                "report": report_markdown(postmortem), "report_data": data,
                "content_sha256": postmortem.content_sha256, "approvals": data["approvals"],
                "automation": {"parameters": {"incident_ids": [postmortem.incident_id],
                                              "incident_references": [postmortem.incident.reference]}},
            },
        )
        record_event(postmortem.incident, kind=IncidentEventKind.CUSTOM, actor=actor, text="Postmortem published.",
                     data={"postmortem_id": postmortem.pk})
        _lessons_to_knowledge_base(postmortem, actor)
    return postmortem


def _lessons_to_knowledge_base(postmortem: Postmortem, actor) -> None:
    try:
        from knowledgebase.services import article_from_postmortem_lessons  # lazy: the kb app may land later
    except ImportError:
        return
    body = "\n\n".join(
        f"## {heading}\n\n{text.strip()}" for heading, text in (
            ("What went well", postmortem.went_well), ("What went wrong", postmortem.went_wrong),
            ("Where we got lucky", postmortem.got_lucky), ("Root causes", postmortem.root_causes),
        ) if text.strip()
    )
    try:
        with transaction.atomic():  # savepoint: the knowledge base is follow-up, never blocks publishing
            article_from_postmortem_lessons(
                project=postmortem.project, title=f"Lessons learned: {postmortem.title}"[:200],
                slug=f"lessons-{postmortem.incident.reference.lower()}", body=body,
                incident_ids=[postmortem.incident_id], actor=actor,
            )
    except Exception:
        logger.exception("could not write the lessons of postmortem %s to the knowledge base", postmortem.pk)


# --- reminders ------------------------------------------------------------------

def postmortems_remind_overdue(now=None) -> int:
    """Daily: each owner of overdue drafts gets one message listing them (not one per postmortem)."""
    now = now or timezone.now()
    by_owner = defaultdict(list)
    for postmortem in Postmortem.objects.overdue(now).filter(owner__isnull=False).select_related("owner", "incident"):
        by_owner[postmortem.owner].append(postmortem)
    sent = 0
    for owner, postmortems in by_owner.items():
        try:
            lines = "\n".join(f"- {p} (due {p.due_at:%Y-%m-%d %H:%M} UTC)" for p in postmortems)
            sent += notify_once(
                key=f"postmortem-overdue:{owner.pk}:{now:%Y-%m-%d}", users=[owner],
                subject=f"{len(postmortems)} overdue postmortem draft(s)",
                body=f"These postmortems are past their due date:\n{lines}",
            ) is not None
        except Exception:
            logger.exception("could not remind %s of overdue postmortems", owner.pk)
    return sent


__all__ = [
    "postmortem_approvals", "postmortem_content_changed", "postmortem_create", "postmortem_decide", "postmortem_due_at",
    "postmortem_prefill_timeline", "postmortem_publish", "postmortem_request", "postmortem_require_for_error_budget",
    "postmortem_submit", "postmortem_update", "postmortems_ensure_required", "postmortems_remind_overdue",
    "requirement_reason", "submission_problems",
]

"""Write side of action items: creation with default due dates, status changes, verification by a
Manager (not the owner) for prevent/detect items, overdue digests and escalation."""

import logging
from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from incidents.models import (
    OPEN_ITEM_STATUSES,
    ActionItem,
    ActionItemPriority,
    ActionItemStatus,
    ActionItemType,
    Postmortem,
)
from incidents.postmortem_rules import action_item_due_days, escalate_after_days
from opsportal.actors import recorded_person
from opsportal.errors import InvalidTransition
from opsportal.models import ApprovalDecision, ApprovalKind, AuthorshipRole, EvidenceKind
from opsportal.services import approval_record, log_evidence
from opsportal.services.approvals import authorship_record
from opsportal.services.notifications import notify_once

logger = logging.getLogger(__name__)
St = ActionItemStatus
VERIFY_PERMISSION = "incidents.verify_actionitem"
# Allowed status changes by `action_item_set_status`. A done item moves only by verify, reopen or
# reject (their own services, with their own rules); won't-do items can be reopened.
TRANSITIONS = {
    St.OPEN: (St.IN_PROGRESS, St.DONE, St.WONT_DO),
    St.IN_PROGRESS: (St.OPEN, St.DONE, St.WONT_DO),
    St.DONE: (),
    St.WONT_DO: (St.OPEN,),
}
DONE_ITEM_STEPS = ("verify", "reopen", "reject")


def default_due_date(priority: str, today=None):
    """P1 15 days, P2 30, P3 60 by default (configurable): calendar days from today."""
    return (today or timezone.localdate()) + timedelta(days=action_item_due_days(priority))



def action_item_create(*, project, title: str, owner, actor=None, postmortem: Postmortem | None = None,
                       retrospective=None, review=None, description: str = "", type: str = ActionItemType.PREVENT,
                       priority: str = ActionItemPriority.P2, due_date=None, ticket_url: str = "") -> ActionItem:
    """Create an open item; the due date defaults from the priority. An item comes from at most one postmortem,
    retrospective or operational review, of the same project."""
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "An action item needs a title."
    if type not in ActionItemType.values:
        errors["type"] = f"type must be one of {', '.join(ActionItemType.values)}."
    if priority not in ActionItemPriority.values:
        errors["priority"] = f"priority must be one of {', '.join(ActionItemPriority.values)}."
    if owner is None:
        errors["owner"] = "An action item needs an owner."
    sources = {"postmortem": postmortem, "retrospective": retrospective, "review": review}
    for name, source in sources.items():
        if source is not None and source.project_id != project.pk:
            errors[name] = f"The {name} belongs to another project."
    if sum(source is not None for source in sources.values()) > 1:
        errors["postmortem"] = "An action item comes from one postmortem, retrospective or review, not several."
    if ticket_url:
        try:
            URLValidator(schemes=["http", "https"])(ticket_url)
        except ValidationError:
            errors["ticket_url"] = "ticket_url must be an http(s) URL."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = ActionItem.objects.create(
            project=project, postmortem=postmortem, retrospective=retrospective, review=review,
            title=title[:300], description=(description or "").strip(),
            type=type, priority=priority, owner=owner, ticket_url=ticket_url,
            due_date=due_date or default_due_date(priority), created_by=recorded_person(actor),
        )
        authorship_record(subject=item, users=[owner], role=AuthorshipRole.OWNER)
        _linked_postmortem_changed(item, actor, "action item added")
    return item


def _linked_postmortem_changed(item: ActionItem, actor, what: str) -> None:
    """A postmortem's approved content includes its action items: changing one changes the postmortem."""
    if item.postmortem_id is None:
        return
    from incidents.services.postmortems import postmortem_content_changed  # cycle: postmortems import this module

    postmortem_content_changed(postmortem=item.postmortem_id, actor=actor, reason=f"{what}: {item.title}")


def _refuse_if_frozen(item: ActionItem, step: str) -> None:
    """Verified items are read-only for good; done items only move by verify, reopen or reject."""
    if item.verified_at is not None:
        raise InvalidTransition({"status": "This item was verified; it is read-only. Open a new item instead."})
    if item.status == St.DONE and step not in DONE_ITEM_STEPS:
        raise InvalidTransition({"status": "This item is done: it can only be verified, reopened or rejected."})


def _lock(item) -> ActionItem:
    pk = item.pk if isinstance(item, ActionItem) else item
    return ActionItem.objects.select_for_update(of=("self",)).select_related("project", "owner").get(pk=pk)


def action_item_set_status(*, item: ActionItem, status: str, actor, reason: str = "",
                           _reopening: bool = False) -> ActionItem:
    """Move an item along open -> in_progress -> done (or won't do, with a required reason).

    Done records the completion time. A done item changes only through verify, reopen or reject;
    a verified item never changes.
    """
    if status not in St.values:
        raise ValidationError({"status": f"status must be one of {', '.join(St.values)}."})
    with transaction.atomic():
        item = _lock(item)
        if status == item.status and item.verified_at is None:
            return item
        _refuse_if_frozen(item, "reopen" if _reopening else "status")
        if status not in TRANSITIONS[item.status] and not (_reopening and status == St.OPEN):
            raise InvalidTransition({"status": f"{item.get_status_display()} cannot become {status}; allowed: "
                                               f"{', '.join(TRANSITIONS[item.status])}."})
        if item.verified_at is not None:
            raise InvalidTransition({"status": "This item was verified; it is closed for good."})
        reason = (reason or "").strip()
        if status == St.WONT_DO and not reason:
            raise ValidationError({"reason": "Say why this action will not be done."})
        item.status = status
        item.wont_do_reason = reason if status == St.WONT_DO else ""
        item.completed_at = timezone.now() if status == St.DONE else None
        item.save(update_fields=["status", "wont_do_reason", "completed_at", "updated_at"])
        _linked_postmortem_changed(item, actor, f"action item now {status}")
    return item


def action_item_verify(*, item: ActionItem, actor, comment: str) -> ActionItem:
    """A Manager who does not own the item confirms that a done prevent/detect item worked
    (an `improvement_action` approval with a comment); the improvement becomes evidence."""
    if actor is None or not actor.is_authenticated or not actor.has_perm(VERIFY_PERMISSION, item):
        raise PermissionDenied("Only Managers of the item's project may verify action items.")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Say how you confirmed the action worked."})
    with transaction.atomic():
        item = _lock(item)
        if not item.awaiting_verification:
            raise InvalidTransition({"status": "Only done prevent or detect items awaiting verification can be "
                                               "verified."})
        approval = approval_record(subject=item, kind=ApprovalKind.IMPROVEMENT_ACTION,
                                   decision=ApprovalDecision.APPROVE, approver=actor, comment=comment)
        item.verified_at = timezone.now()
        item.verified_by = actor
        item.save(update_fields=["verified_at", "verified_by", "updated_at"])
        log_evidence(
            project=item.project, kind=EvidenceKind.IMPROVEMENT, actor=actor,
            summary=f"Improvement verified: {item.title}"[:500],
            payload={"action_item_id": item.pk, "title": item.title, "type": item.type, "priority": item.priority,
                     "owner": item.owner.get_username(), "completed_at": item.completed_at.isoformat(),
                     "verified_by": actor.get_username(), "comment": comment, "approval_id": approval.pk,
                     "postmortem_id": item.postmortem_id},
        )
    return item


def action_item_reopen(*, item: ActionItem, actor, comment: str = "") -> ActionItem:
    """Reopen a done or won't-do item. A Manager reopening an item awaiting verification records
    that it did not work (a "request changes" decision, comment required)."""
    with transaction.atomic():
        item = _lock(item)
        if item.status not in (St.DONE, St.WONT_DO):
            raise InvalidTransition({"status": "Only done or won't-do items can be reopened."})
        if item.verified_at is not None:
            raise InvalidTransition({"status": "This item was verified; open a new item instead."})
        if item.awaiting_verification and actor is not None and actor.has_perm(VERIFY_PERMISSION, item) \
                and actor.pk != item.owner_id:
            approval_record(subject=item, kind=ApprovalKind.IMPROVEMENT_ACTION,
                            decision=ApprovalDecision.REQUEST_CHANGES, approver=actor, comment=comment)
        return action_item_set_status(item=item, status=St.OPEN, actor=actor, _reopening=True)


def action_item_reject(*, item: ActionItem, actor, comment: str) -> ActionItem:
    """A Manager (never an owner, co-owner or editor of the item) rejects a done item's completion:
    a "reject" decision with a comment, and the item is open again."""
    if actor is None or not actor.is_authenticated or not actor.has_perm(VERIFY_PERMISSION):
        raise PermissionDenied("Only Managers may reject a completed action item.")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Say why the completion is rejected."})
    with transaction.atomic():
        item = _lock(item)
        _refuse_if_frozen(item, "reject")
        if item.status != St.DONE:
            raise InvalidTransition({"status": "Only done items can be rejected."})
        approval_record(subject=item, kind=ApprovalKind.IMPROVEMENT_ACTION, decision=ApprovalDecision.REJECT,
                        approver=actor, comment=comment)
        return action_item_set_status(item=item, status=St.OPEN, actor=actor, _reopening=True)


# --- reminders --------------------------------------------------------------------

def action_items_send_overdue_digests(today=None) -> int:
    """Daily: each owner gets one digest of all their overdue items (keyed by owner and day)."""
    today = today or timezone.localdate()
    by_owner = defaultdict(list)
    for item in ActionItem.objects.overdue(today).select_related("owner", "project").order_by("due_date", "id"):
        by_owner[item.owner].append(item)
    sent = 0
    for owner, items in by_owner.items():
        # Only items of projects the owner may still see (one role lookup per owner, not per item).
        items = [i for i in items if owner.has_perm("incidents.view_actionitem", i)]
        if not items:
            continue
        try:
            lines = "\n".join(f"- [{i.priority}] {i.title} ({i.project}; due {i.due_date})" for i in items)
            sent += notify_once(key=f"actionitems-overdue:{owner.pk}:{today.isoformat()}", users=[owner],
                                subject=f"{len(items)} overdue action item(s)",
                                body=f"These action items are past their due date:\n{lines}") is not None
        except Exception:
            logger.exception("could not send the overdue digest to %s", owner.pk)
    return sent


def action_items_escalate(today=None) -> int:
    """Daily: items overdue by more than the configured days (14) go to the project's Managers, once per item."""
    from incidents.services.postmortems import project_managers

    today = today or timezone.localdate()
    managers_by_project = {}
    sent = 0
    for item in ActionItem.objects.overdue_by_more_than(escalate_after_days(), today).select_related("owner",
                                                                                                     "project"):
        if item.project_id not in managers_by_project:  # one query per project, not per item
            managers_by_project[item.project_id] = list(project_managers(item.project))
        try:
            sent += notify_once(
                key=f"actionitem-escalation:{item.pk}", users=managers_by_project[item.project_id],
                subject=f"Escalation: action item overdue since {item.due_date}: {item.title}",
                body=(f"{item.title} ({item.project}, {item.priority}) owned by {item.owner.get_username()} was due "
                      f"{item.due_date} and is still {item.get_status_display().lower()}."),
                project=item.project,
            ) is not None
        except Exception:
            logger.exception("could not escalate action item %s", item.pk)
    return sent


EDITABLE_ITEM_FIELDS = ("title", "description", "type", "priority", "owner", "due_date", "ticket_url")


def action_item_update(*, item: ActionItem, actor, **changes) -> ActionItem:
    """Edit an item's details (not its status: that goes through `action_item_set_status`)."""
    unknown = set(changes) - set(EDITABLE_ITEM_FIELDS)
    if unknown:
        raise ValidationError({field: "This field cannot be edited here." for field in sorted(unknown)})
    with transaction.atomic():
        item = _lock(item)
        _refuse_if_frozen(item, "edit")
        for field, value in changes.items():
            setattr(item, field, value)
        if not (item.title or "").strip():
            raise ValidationError({"title": "An action item needs a title."})
        try:
            item.full_clean(exclude=["project", "postmortem", "created_by", "verified_by"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        item.save()
        if "owner" in changes:
            authorship_record(subject=item, users=[item.owner], role=AuthorshipRole.OWNER)
        if changes:
            authorship_record(subject=item, users=[actor], role=AuthorshipRole.EDITOR)
            _linked_postmortem_changed(item, actor, "action item edited")
    return item


__all__ = [
    "OPEN_ITEM_STATUSES", "TRANSITIONS", "action_item_create", "action_item_reject", "action_item_reopen",
    "action_item_set_status",
    "action_item_update", "action_item_verify", "action_items_escalate", "action_items_send_overdue_digests",
    "default_due_date",
]

"""Feedback triage: the state changes of feedback items, each locked, checked and logged.

new -> triaged -> linked (an incident or an action item) -> closed; closing is allowed from any
state and reopening is not offered (a new item says it again). A no-op change returns early.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from experience.models import FeedbackItem, FeedbackStatus

logger = logging.getLogger(__name__)


def _lock(items, actor, now) -> list[FeedbackItem]:
    ids = [item.pk for item in items]
    locked = list(FeedbackItem.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    for item in locked:
        if actor is not None and not actor.has_perm("experience.change_feedbackitem", item):
            raise PermissionDenied(f"You cannot change feedback #{item.pk}.")
    return locked


def _one_project(items) -> None:
    if len({item.project_id for item in items}) > 1:
        raise ValidationError("Select feedback of one project at a time.")


def feedback_triage(*, items, actor, now) -> int:
    """Mark new items triaged (someone has read them). Returns how many changed."""
    with transaction.atomic():
        changed = [i for i in _lock(items, actor, now) if i.status == FeedbackStatus.NEW]
        FeedbackItem.objects.filter(pk__in=[i.pk for i in changed]).update(status=FeedbackStatus.TRIAGED,
                                                                          triaged_at=now)
    for item in changed:
        logger.info("feedback %s triaged by %s", item.pk, getattr(actor, "username", "automation"))
    return len(changed)


def feedback_link_incident(*, items, incident, actor, now) -> int:
    """Link items to an incident of their project (status linked). Closed items stay closed."""
    with transaction.atomic():
        locked = _lock(items, actor, now)
        _one_project(locked)
        if any(item.project_id != incident.project_id for item in locked):
            raise ValidationError({"incident": "The incident belongs to another project."})
        changed = [i for i in locked if i.status != FeedbackStatus.CLOSED and i.linked_incident_id != incident.pk]
        for item in changed:
            FeedbackItem.objects.filter(pk=item.pk).update(
                status=FeedbackStatus.LINKED, linked_incident=incident, triaged_at=item.triaged_at or now)
            logger.info("feedback %s linked to incident %s (was %s, incident %s) by %s", item.pk, incident.pk,
                        item.status, item.linked_incident_id, getattr(actor, "username", "automation"))
    return len(changed)


def feedback_create_action_item(*, items, actor, owner, title: str, now, priority: str = "P3", due_date=None):
    """One action item following up the selected feedback (one project), linked to every item."""
    from incidents.models import ActionItemType
    from incidents.services.action_items import action_item_create

    with transaction.atomic():
        locked = _lock(items, actor, now)
        if not locked:
            raise ValidationError("Select at least one feedback item.")
        _one_project(locked)
        description = "Follow-up of user feedback:\n" + "\n".join(
            f"- #{item.pk} ({item.get_source_display()}, {item.service}): {item.text[:200]}" for item in locked)
        action_item = action_item_create(project=locked[0].project, title=title, owner=owner, actor=actor,
                                         description=description, type=ActionItemType.OTHER, priority=priority,
                                         due_date=due_date)
        for item in locked:
            item.action_items.add(action_item)
            if item.status in (FeedbackStatus.NEW, FeedbackStatus.TRIAGED):
                FeedbackItem.objects.filter(pk=item.pk).update(status=FeedbackStatus.LINKED,
                                                               triaged_at=item.triaged_at or now)
    return action_item


def feedback_close(*, items, actor, now) -> int:
    with transaction.atomic():
        changed = [i for i in _lock(items, actor, now) if i.status != FeedbackStatus.CLOSED]
        for item in changed:
            FeedbackItem.objects.filter(pk=item.pk).update(status=FeedbackStatus.CLOSED, closed_at=now,
                                                           triaged_at=item.triaged_at or now)
            logger.info("feedback %s closed (was %s) by %s", item.pk, item.status,
                        getattr(actor, "username", "automation"))
    return len(changed)

"""One incident at a time, by id: what a worker applies for an admin action on "select all N"
(opsportal.services.bulk). Each call is the same service call the admin makes for a page's rows."""

from incidents.models import ActionItem, ActionItemStatus, Incident
from incidents.services import (
    action_item_reopen,
    action_item_set_status,
    action_item_verify,
    incident_acknowledge,
    incident_change_severity,
    incident_transition,
)


def acknowledge(*, pk: int, actor) -> None:
    incident_acknowledge(incident=Incident.objects.select_related("project").get(pk=pk), actor=actor)


def transition(*, pk: int, actor, to_status: str) -> None:
    incident_transition(incident=Incident.objects.select_related("project").get(pk=pk), to_status=to_status,
                        actor=actor)


def change_severity(*, pk: int, actor, severity: str, reason: str = "") -> None:
    incident_change_severity(incident=Incident.objects.select_related("project").get(pk=pk), severity=severity,
                             reason=reason, actor=actor)


def action_item_mark_done(*, pk: int, actor) -> None:
    action_item_set_status(item=ActionItem.objects.get(pk=pk), status=ActionItemStatus.DONE, actor=actor)


def action_item_reopen_one(*, pk: int, actor, comment: str) -> None:
    action_item_reopen(item=ActionItem.objects.get(pk=pk), actor=actor, comment=comment)


def action_item_verify_one(*, pk: int, actor, comment: str) -> None:
    action_item_verify(item=ActionItem.objects.get(pk=pk), actor=actor, comment=comment)

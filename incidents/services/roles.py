"""Incident roles: assignments and hand-overs, kept with their times."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident, IncidentEventKind, IncidentRole, IncidentRoleAssignment
from incidents.services.lifecycle import lock_incident
from incidents.services.timeline import record_event
from opsportal.actors import recorded_person


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def incident_assign_role(*, incident: Incident, role: str, user, actor=None) -> IncidentRoleAssignment:
    """Give `user` a role. Commander, deputy, scribe and communications lead have one holder at a
    time: the previous holder is relieved (a hand-over). Experts can be several."""
    if role not in IncidentRole.values:
        raise ValidationError({"role": f"role must be one of {', '.join(IncidentRole.values)}."})
    if user is None or not user.is_active:
        raise ValidationError({"user": "Pick an active user."})
    with transaction.atomic():
        incident = lock_incident(incident)
        active = IncidentRoleAssignment.objects.active().filter(incident=incident, role=role).select_related("user")
        current = list(active)
        if any(a.user_id == user.pk for a in current):
            return next(a for a in current if a.user_id == user.pk)
        now = timezone.now()
        handed_over_from = None
        if role in IncidentRole.single_holder() and current:
            handed_over_from = current[0].user
            active.update(relieved_at=now)
        assignment = IncidentRoleAssignment.objects.create(
            incident=incident, role=role, user=user, assigned_at=now,
            assigned_by=recorded_person(actor),
        )
        if role == IncidentRole.COMMANDER:
            incident.commander = user
            incident.save(update_fields=["commander", "updated_at"])
        label = IncidentRole(role).label
        text = (f"{label} handed over from {_name(handed_over_from)} to {_name(user)}." if handed_over_from
                else f"{_name(user)} is {label.lower()}.")
        record_event(incident, kind=IncidentEventKind.ROLE_CHANGE, actor=actor, occurred_at=now, text=text,
                     data={"role": role, "user": user.get_username(),
                           "previous": handed_over_from.get_username() if handed_over_from else None})
    return assignment


def incident_relieve_role(*, incident: Incident, role: str, user, actor=None) -> None:
    """End `user`'s role without a successor."""
    with transaction.atomic():
        incident = lock_incident(incident)
        updated = IncidentRoleAssignment.objects.active().filter(
            incident=incident, role=role, user=user
        ).update(relieved_at=timezone.now())
        if not updated:
            raise ValidationError({"user": f"{user.get_username()} does not hold the {role} role."})
        if role == IncidentRole.COMMANDER:
            incident.commander = None
            incident.save(update_fields=["commander", "updated_at"])
        record_event(incident, kind=IncidentEventKind.ROLE_CHANGE, actor=actor,
                     text=f"{_name(user)} is no longer {IncidentRole(role).label.lower()}.",
                     data={"role": role, "user": user.get_username(), "relieved": True})

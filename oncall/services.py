"""Writing schedules: all rows of a schedule or none, validated like the admin validates them."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from oncall.models import LayerParticipant, OnCallSchedule, ScheduleLayer, ScheduleOverride


def _check(actor, perm: str, obj) -> None:
    if actor is not None and not actor.has_perm(perm, obj):
        raise PermissionDenied(f"{perm} is needed in this project.")


@transaction.atomic
def schedule_create(*, project, name: str, time_zone: str, layers: list[dict], description: str = "",
                    actor=None) -> OnCallSchedule:
    """Create a schedule with its layers (each `{"name", "participants": [users in order], "rotation",
    "shift_hours", "handoff_date", "handoff_time", "restrict_*"}`); any invalid part rolls all back
    with the error keyed `layers[i].field`."""
    schedule = OnCallSchedule(project=project, name=name, time_zone=time_zone, description=description,
                              created_by=actor)
    _check(actor, "oncall.add_oncallschedule", schedule)
    if OnCallSchedule.objects.filter(project=project, name=name).exists():
        raise ValidationError({"name": "A schedule with this name already exists here."})
    schedule.full_clean()
    schedule.save()
    for position, spec in enumerate(layers):
        spec = dict(spec)
        participants = spec.pop("participants")
        layer = ScheduleLayer(schedule=schedule, position=position, **spec)
        try:
            layer.full_clean(exclude=["schedule"])
        except ValidationError as exc:
            raise ValidationError({f"layers[{position}].{field}": messages
                                   for field, messages in exc.message_dict.items()}) from exc
        layer.save()
        LayerParticipant.objects.bulk_create(
            LayerParticipant(layer=layer, position=i, user=user) for i, user in enumerate(participants)
        )
    return schedule


def users_by_username(usernames: list[str]) -> list:
    """Users in the given order; unknown or inactive names are a ValidationError naming them."""
    found = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames, is_active=True)}
    missing = [name for name in usernames if name not in found]
    if missing:
        raise ValidationError(f"Unknown or inactive user(s): {', '.join(missing)}.")
    return [found[name] for name in usernames]


def override_create(*, schedule: OnCallSchedule, user, start, end, reason: str = "", actor=None) -> ScheduleOverride:
    override = ScheduleOverride(schedule=schedule, user=user, start=start, end=end, reason=reason, created_by=actor)
    _check(actor, "oncall.add_scheduleoverride", override)
    override.full_clean()
    override.save()
    return override

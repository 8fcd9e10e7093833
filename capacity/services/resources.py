"""Creating resources and changing their capacity (every change recorded)."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from capacity.models import CapacityChange, DataSource, Resource
from capacity.templates_promql import render_template

logger = logging.getLogger(__name__)

RESOURCE_FIELDS = {
    "service", "name", "kind", "unit", "capacity", "warning_percent", "critical_percent", "data_source",
    "query_template", "template_params", "promql", "prometheus_url",
}


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - RESOURCE_FIELDS
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})


def _apply_template(fields: dict) -> None:
    """A chosen template fills `promql` (unless one is given) and makes the resource a Prometheus one."""
    template = fields.get("query_template") or ""
    params = fields.pop("template_params", None) or {}
    if not template:
        return
    if not fields.get("promql"):
        fields["promql"] = render_template(template, params)
    fields.setdefault("data_source", DataSource.PROMETHEUS)


def _validate(resource: Resource) -> None:
    resource.full_clean()
    if resource.data_source == DataSource.PROMETHEUS:
        missing = {name: "is required for a Prometheus resource." for name in ("promql", "prometheus_url")
                   if not getattr(resource, name)}
        if missing:
            raise ValidationError(missing)


def resource_create(*, actor=None, now=None, **fields) -> Resource:
    """Create a resource; its first capacity is the first row of its capacity history."""
    _check_fields(fields)
    _apply_template(fields)
    resource = Resource(**fields)
    _validate(resource)
    with transaction.atomic():
        resource.save()
        CapacityChange.objects.create(resource=resource, capacity=resource.capacity, previous_capacity=None,
                                      changed_at=now or timezone.now(), changed_by=actor, reason="created")
    return resource


def resource_update(*, resource: Resource, actor=None, now=None, reason: str = "", **fields) -> Resource:
    """Change a resource; a new capacity is recorded with who, when, old and new value and why."""
    _check_fields(fields)
    if "service" in fields and fields["service"] != resource.service:
        raise ValidationError({"service": "A resource cannot move to another service; create it there."})
    _apply_template(fields)
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        old_capacity = locked.capacity
        for name, value in fields.items():
            setattr(locked, name, value)
        _validate(locked)
        locked.save()
        if locked.capacity != old_capacity:
            capacity_change_record(resource=locked, old=old_capacity, actor=actor, now=now, reason=reason)
    return locked


def capacity_change_record(*, resource: Resource, old: float, actor=None, now=None, reason="") -> CapacityChange:
    logger.info("resource %s capacity %s -> %s by %s", resource.pk, old, resource.capacity,
                getattr(actor, "username", "automation"))
    return CapacityChange.objects.create(resource=resource, capacity=resource.capacity, previous_capacity=old,
                                         changed_at=now or timezone.now(), changed_by=actor, reason=reason[:300])


def capacity_at(resource: Resource, moment) -> float:
    """The capacity the resource had at `moment` (the current one before any recorded history)."""
    change = resource.capacity_changes.filter(changed_at__lte=moment).order_by("-changed_at", "-id").first()
    return change.capacity if change else resource.capacity

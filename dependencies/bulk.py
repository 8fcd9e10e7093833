"""One finding at a time, by id: what a worker applies for an admin action on "select all N"
(opsportal.admin.bulk.bulk_capable). Each call is the same service call the admin makes for a page's rows."""

from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from dependencies.models import DependencyFinding
from dependencies.services.acceptance import acceptance_request
from dependencies.services.findings import findings_assign_owner


def _finding(pk: int) -> DependencyFinding:
    return DependencyFinding.objects.select_related("service__project", "vulnerability", "component").get(pk=pk)


def assign_owner(*, pk: int, actor, owner_id: int | None) -> None:
    owner = get_user_model().objects.get(pk=owner_id) if owner_id is not None else None
    findings_assign_owner(findings=[_finding(pk)], owner=owner, actor=actor)


def request_acceptance(*, pk: int, actor, reason: str, expires_on: str) -> None:
    acceptance_request(finding=_finding(pk), actor=actor, now=timezone.now(), reason=reason,
                       expires_on=date.fromisoformat(expires_on))

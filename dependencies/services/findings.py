"""Owner assignment and the one-click action item of a finding."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dependencies.models import DependencyFinding


def findings_assign_owner(*, findings, owner, actor) -> int:
    """Give findings an owner; every finding must be one the actor may change, and the owner must see it."""
    findings = list(findings)
    for finding in findings:
        if not actor.has_perm("dependencies.change_dependencyfinding", finding):
            raise PermissionDenied(f"You may not change {finding}.")
        if owner is not None and not owner.has_perm("dependencies.view_dependencyfinding", finding):
            raise ValidationError({"owner": f"{owner.get_username()} cannot see {finding.service.project}."})
    return DependencyFinding.objects.filter(pk__in=[f.pk for f in findings]).update(owner=owner)


def finding_action_item_create(*, finding: DependencyFinding, actor, owner=None):
    """Open an action item to remediate the finding (due on the finding's deadline) and link it."""
    from incidents.services.action_items import action_item_create

    if not actor.has_perm("incidents.add_actionitem", finding.service.project):
        raise PermissionDenied("You may not create action items in this project.")
    if finding.action_item_id is not None:
        raise ValidationError({"action_item": "This finding already has an action item."})
    owner = owner or finding.owner or finding.service.owner or actor
    vulnerability, component = finding.vulnerability, finding.component
    fix = ", ".join(vulnerability.fixed_versions) or "no fixed version published yet"
    priority = {"critical": "P1", "high": "P1", "medium": "P2"}.get(finding.severity, "P3")
    with transaction.atomic():
        item = action_item_create(
            project=finding.service.project, owner=owner, actor=actor, type="mitigate", priority=priority,
            due_date=finding.due_date,
            title=(f"Fix {vulnerability.identifier} in {component.name} {component.version} "
                   f"({finding.service.slug})")[:300],
            description=f"{vulnerability.summary}\n\nSeverity {finding.severity}; fixed in: {fix}.",
        )
        finding.action_item = item
        finding.save(update_fields=["action_item"])
    return item

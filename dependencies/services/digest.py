"""Daily: one email per person with the overdue findings they own or manage (notify_once, keyed by person
and day, as the other digests)."""

import logging
from collections import defaultdict

from dependencies.deadlines import local_date
from dependencies.models import DependencyFinding, FindingStatus
from opsportal.access.selectors import project_managers
from opsportal.services.notifications import notify_once

logger = logging.getLogger(__name__)


def overdue_digests_send(*, now) -> int:
    """Returns how many digests were sent (a person already mailed today is not mailed again)."""
    by_person = defaultdict(dict)
    managers = {}
    findings = (DependencyFinding.objects.filter(status=FindingStatus.OPEN)
                .select_related("service__project", "component", "vulnerability", "owner").order_by("due_date", "id"))
    for finding in findings:
        project = finding.service.project
        if finding.due_date >= local_date(now, project):
            continue
        if project.pk not in managers:  # one query per project, not per finding
            managers[project.pk] = list(project_managers(project))
        people = set(managers[project.pk])
        if finding.owner is not None and finding.owner.has_perm("dependencies.view_dependencyfinding", finding):
            people.add(finding.owner)
        for person in people:
            by_person[person][finding.pk] = finding
    sent = 0
    for person, items in sorted(by_person.items(), key=lambda e: e[0].pk):
        if not person.email or not person.is_active:
            continue
        lines = "\n".join(
            f"- [{f.severity}] {f.vulnerability} in {f.component.name} {f.component.version} "
            f"({f.service}; due {f.due_date}{'; yours' if f.owner_id == person.pk else ''})" for f in items.values())
        try:
            sent += notify_once(key=f"dependency-overdue:{person.pk}:{now.date().isoformat()}", users=[person],
                                subject=f"{len(items)} overdue dependency finding(s)",
                                body=f"These vulnerable dependencies are past their remediation deadline:\n{lines}"
                                ) is not None
        except Exception:
            logger.exception("could not send the dependency digest to %s", person.pk)
    return sent

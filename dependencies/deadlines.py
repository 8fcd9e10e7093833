"""Remediation deadlines: days from first seen by severity, per project (defaults 7/30/90/180)."""

import zoneinfo
from datetime import timedelta

from dependencies.models import RemediationPolicy, Severity

DEFAULT_DAYS = {Severity.CRITICAL: 7, Severity.HIGH: 30, Severity.MEDIUM: 90, Severity.LOW: 180}
# No score and no label: treated as medium rather than given the longest deadline.
UNKNOWN_AS = Severity.MEDIUM


def policy_days(project) -> dict:
    policy = RemediationPolicy.objects.filter(project=project).first()
    if policy is None:
        return dict(DEFAULT_DAYS)
    return {Severity.CRITICAL: policy.critical_days, Severity.HIGH: policy.high_days,
            Severity.MEDIUM: policy.medium_days, Severity.LOW: policy.low_days}


def local_date(moment, project):
    """The calendar day of `moment` in the project's zone (deadlines are days, and days are local)."""
    return moment.astimezone(zoneinfo.ZoneInfo(project.time_zone or "UTC")).date()


def due_date(*, first_seen, severity: str, project, days: dict | None = None):
    days = days or policy_days(project)
    return local_date(first_seen, project) + timedelta(days=days[severity if severity in days else UNKNOWN_AS])

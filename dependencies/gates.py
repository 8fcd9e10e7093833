"""Quality gate `dependency_updates`: no overdue critical or high finding; NO_DATA without a recent scan."""

from datetime import timedelta

from django.utils import timezone

from dependencies.deadlines import local_date
from dependencies.models import Scan, Severity
from dependencies.selectors import overdue, project_findings

FRESH_SCAN = timedelta(days=14)


def evaluate(project, now=None) -> list[dict]:
    now = now or timezone.now()
    last = Scan.objects.filter(service__project=project).order_by("-received_at").values_list(
        "received_at", flat=True).first()
    if last is None:
        return [{"gate": "dependency_updates", "result": "NO_DATA", "reason": "No dependency scan received yet."}]
    if now - last > FRESH_SCAN:
        return [{"gate": "dependency_updates", "result": "NO_DATA",
                 "reason": f"No dependency scan in the last 14 days (the latest arrived {last:%Y-%m-%d})."}]
    late = list(overdue(project_findings(project), local_date(now, project))
                .filter(severity__in=(Severity.CRITICAL, Severity.HIGH))
                .select_related("service", "component", "vulnerability").order_by("due_date", "id")[:11])
    if late:
        listed = ", ".join(f"{f.vulnerability} in {f.component.name} {f.component.version} ({f.service.slug}, "
                           f"{f.severity}, due {f.due_date})" for f in late[:10])
        more = " and more" if len(late) > 10 else ""
        return [{"gate": "dependency_updates", "result": "FAIL",
                 "reason": f"Critical or high findings past their deadline: {listed}{more}."}]
    return [{"gate": "dependency_updates", "result": "PASS",
             "reason": f"Latest scan {last:%Y-%m-%d}; no critical or high finding past its deadline."}]

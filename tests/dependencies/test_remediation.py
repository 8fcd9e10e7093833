"""Risk acceptance (four-eyes, at most 180 days, expiry reopens), the overdue digest, the quality gate,
the weekly review item and the one-click action item."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dependencies import gates, review_findings
from dependencies.models import DependencyFinding
from dependencies.services import (
    acceptance_decide,
    acceptance_request,
    acceptances_expire,
    finding_action_item_create,
    findings_assign_owner,
)
from dependencies.services.digest import overdue_digests_send
from opsportal.errors import FourEyesViolation
from opsportal.models import Approval, Notification
from tests.dependencies.conftest import NOW, pip_audit

pytestmark = pytest.mark.django_db

CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def osv_report(*packages):
    """An OSV-Scanner report of (name, version, id, vector) on PyPI."""
    return {"results": [{"source": {"path": "requirements.txt", "type": "lockfile"}, "packages": [
        {"package": {"name": name, "version": version, "ecosystem": "PyPI"},
         "vulnerabilities": [{"id": vid, "summary": f"{vid} summary", "aliases": [],
                              "severity": [{"type": "CVSS_V3", "score": vector}] if vector else [],
                              "affected": [{"package": {"name": name, "ecosystem": "PyPI"},
                                            "ranges": [{"type": "ECOSYSTEM",
                                                        "events": [{"introduced": "0"}, {"fixed": "99.0"}]}]}]}],
         "groups": [{"ids": [vid]}]} for name, version, vid, vector in packages]}]}


def body(data) -> bytes:
    import json

    return json.dumps(data).encode()


@pytest.fixture
def finding(ingest):
    ingest(pip_audit(("django", "4.2.1", [("PYSEC-2023-1", ["4.2.2"], [])])))
    return DependencyFinding.objects.get()


def test_acceptance_needs_a_reason_and_an_expiry_within_180_days(finding, operator):
    with pytest.raises(ValidationError) as exc:
        acceptance_request(finding=finding, reason=" ", expires_on=date(2026, 3, 18), actor=operator, now=NOW)
    assert set(exc.value.message_dict) == {"reason", "expires_on"}
    with pytest.raises(ValidationError, match="at most 180 days"):
        acceptance_request(finding=finding, reason="r", expires_on=date(2026, 3, 18) + timedelta(days=181),
                           actor=operator, now=NOW)
    exactly = acceptance_request(finding=finding, reason="internal only", actor=operator, now=NOW,
                                 expires_on=date(2026, 3, 18) + timedelta(days=180))
    assert exactly.state == "pending"


def test_viewer_cannot_ask(finding, viewer):
    with pytest.raises(PermissionDenied):
        acceptance_request(finding=finding, reason="r", expires_on=date(2026, 4, 1), actor=viewer, now=NOW)


def test_four_eyes_the_requester_cannot_approve_even_as_manager(finding, manager, manager2):
    acceptance = acceptance_request(finding=finding, reason="r", expires_on=date(2026, 4, 1), actor=manager,
                                    now=NOW)
    with pytest.raises(FourEyesViolation):
        acceptance_decide(acceptance=acceptance, decision="approve", approver=manager, now=NOW)
    acceptance = acceptance_decide(acceptance=acceptance, decision="approve", approver=manager2, now=NOW)
    finding.refresh_from_db()
    assert (acceptance.state, finding.status) == ("approved", "risk_accepted")
    approval = Approval.objects.get()
    assert (approval.kind, approval.approver, approval.authors) == ("risk_acceptance", manager2, [manager.pk])


def test_operator_cannot_approve(finding, operator, manager):
    acceptance = acceptance_request(finding=finding, reason="r", expires_on=date(2026, 4, 1), actor=manager,
                                    now=NOW)
    with pytest.raises(PermissionDenied):
        acceptance_decide(acceptance=acceptance, decision="approve", approver=operator, now=NOW)


def test_rejection_leaves_the_finding_open(finding, operator, manager):
    acceptance = acceptance_request(finding=finding, reason="r", expires_on=date(2026, 4, 1), actor=operator,
                                    now=NOW)
    acceptance_decide(acceptance=acceptance, decision="reject", approver=manager, comment="fix it", now=NOW)
    finding.refresh_from_db()
    assert finding.status == "open"


def test_expired_acceptance_reopens_the_day_after_expiry(finding, operator, manager):
    acceptance = acceptance_request(finding=finding, reason="r", expires_on=date(2026, 4, 1), actor=operator,
                                    now=NOW)
    acceptance_decide(acceptance=acceptance, decision="approve", approver=manager, now=NOW)
    assert acceptances_expire(now=NOW.replace(month=4, day=1, hour=23)) == 0  # the last accepted day
    assert acceptances_expire(now=NOW.replace(month=4, day=2)) == 1
    finding.refresh_from_db()
    acceptance.refresh_from_db()
    assert (finding.status, acceptance.state) == ("open", "expired")


def test_accepted_finding_that_disappears_is_fixed(finding, operator, manager, ingest):
    acceptance = acceptance_request(finding=finding, reason="r", expires_on=date(2026, 4, 1), actor=operator,
                                    now=NOW)
    acceptance_decide(acceptance=acceptance, decision="approve", approver=manager, now=NOW)
    ingest(pip_audit(("django", "4.2.2", [])), at=NOW + timedelta(days=1))
    finding.refresh_from_db()
    assert finding.status == "fixed"


def test_overdue_digest_one_email_per_person_per_day(ingest, service, operator, manager, manager2):
    manager.email, manager2.email, operator.email = "m@example.org", "m2@example.org", "o@example.org"
    for user in (manager, manager2, operator):
        user.save()
    service.owner = operator
    service.save()
    ingest(body(osv_report(("django", "4.2.1", "GHSA-aaaa-bbbb-cccc", CRITICAL),
                           ("jinja2", "3.0.0", "GHSA-dddd-eeee-ffff", None))))
    assert overdue_digests_send(now=NOW + timedelta(days=7)) == 0  # critical due in exactly 7 days: not late
    late = NOW + timedelta(days=8)
    assert overdue_digests_send(now=late) == 3  # the owner and both Managers
    assert overdue_digests_send(now=late + timedelta(hours=3)) == 0  # once a day
    mine = Notification.objects.get(key=f"dependency-overdue:{operator.pk}:{late.date().isoformat()}")
    assert "GHSA-aaaa-bbbb-cccc" in mine.body and "yours" in mine.body and "GHSA-dddd" not in mine.body
    assert overdue_digests_send(now=late + timedelta(days=1)) == 3


def test_gate_no_data_fail_pass(ingest, project, service):
    assert gates.evaluate(project, now=NOW)[0]["result"] == "NO_DATA"
    ingest(body(osv_report(("django", "4.2.1", "GHSA-aaaa-bbbb-cccc", CRITICAL))))
    assert gates.evaluate(project, now=NOW)[0]["result"] == "PASS"
    fail = gates.evaluate(project, now=NOW + timedelta(days=8))[0]
    assert fail["result"] == "FAIL" and "GHSA-aaaa-bbbb-cccc" in fail["reason"]
    stale = gates.evaluate(project, now=NOW + timedelta(days=14, seconds=1))[0]
    assert stale["result"] == "NO_DATA" and "14 days" in stale["reason"]


def test_gate_ignores_overdue_medium(ingest, project):
    ingest(body(osv_report(("django", "4.2.1", "GHSA-aaaa-bbbb-cccc", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"))))
    ingest(pip_audit(("six", "1.0", [])), at=NOW + timedelta(days=100))
    assert gates.evaluate(project, now=NOW + timedelta(days=100))[0]["result"] == "PASS"


def test_gate_known_to_the_core(project):
    from opsportal.quality_gates import evaluate_gates

    rows = {row["gate"]: row for row in evaluate_gates(project)}
    assert rows["dependency_updates"]["result"] == "NO_DATA"


def test_weekly_review_lists_new_overdue_fixable_and_expiring(ingest, project, operator, manager):
    ingest(body(osv_report(("django", "4.2.1", "GHSA-aaaa-bbbb-cccc", CRITICAL),
                           ("jinja2", "3.0.0", "GHSA-dddd-eeee-ffff", None))))
    accepted = DependencyFinding.objects.get(vulnerability__identifier="GHSA-dddd-eeee-ffff")
    acceptance = acceptance_request(finding=accepted, reason="r", expires_on=date(2026, 3, 30), actor=operator,
                                    now=NOW)
    acceptance_decide(acceptance=acceptance, decision="approve", approver=manager, now=NOW)
    now = NOW + timedelta(days=8)
    found = review_findings.findings(project=project, cadence="weekly", period_start=NOW - timedelta(days=1),
                                     period_end=now, now=now)
    texts = [f["text"] for f in found]
    assert all(f["item"] == "dependency_updates" for f in found)
    assert any(t.startswith("Overdue since 2026-03-25: GHSA-aaaa-bbbb-cccc") for t in texts)
    assert any(t.startswith("New this week: GHSA-aaaa-bbbb-cccc") for t in texts)
    assert any(t.startswith("Risk acceptance ends 2026-03-30: GHSA-dddd-eeee-ffff") for t in texts)
    overdue = next(f for f in found if f["text"].startswith("Overdue"))
    assert overdue["severity"] == "critical"
    assert overdue["links"][1]["label"] == "create action item"
    # Before it is due, a fix is on offer.
    early = review_findings.findings(project=project, cadence="weekly", period_start=NOW, period_end=NOW,
                                     now=NOW)
    assert any(f["text"].startswith("Fix available (99.0): GHSA-aaaa-bbbb-cccc") for f in early)


def test_one_click_action_item_from_the_review_link(client, ingest, operator):

    ingest(body(osv_report(("django", "4.2.1", "GHSA-aaaa-bbbb-cccc", CRITICAL))))
    finding = DependencyFinding.objects.get()
    client.force_login(operator)
    url = f"/admin/dependencies/dependencyfinding/{finding.pk}/action-item/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"owner": operator.pk})
    assert response.status_code == 302
    finding.refresh_from_db()
    item = finding.action_item
    assert (item.priority, item.due_date, item.owner) == ("P1", finding.due_date, operator)
    assert "GHSA-aaaa-bbbb-cccc" in item.title
    with pytest.raises(ValidationError):
        finding_action_item_create(finding=finding, actor=operator)


def test_assign_owner_checks_the_owner_can_see_the_project(ingest, operator, nobody, manager):
    ingest(pip_audit(("django", "4.2.1", [("PYSEC-2023-1", [], [])])))
    findings = list(DependencyFinding.objects.all())
    with pytest.raises(ValidationError):
        findings_assign_owner(findings=findings, owner=nobody, actor=manager)
    assert findings_assign_owner(findings=findings, owner=operator, actor=manager) == 1

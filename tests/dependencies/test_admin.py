"""The findings page (chart, filters, bulk actions), acceptances decided in the admin, the vulnerability page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dependencies.models import DependencyFinding, RiskAcceptance
from tests.dependencies.conftest import pip_audit, sample

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/dependencies/dependencyfinding/"


@pytest.fixture
def findings(ingest):
    ingest(sample("dd_pip_audit_many_vulns_new.json"), at=timezone.now() - timedelta(days=3))
    return list(DependencyFinding.objects.order_by("id"))


def test_findings_page_shows_the_open_by_severity_chart_and_filters(client, viewer, findings):
    client.force_login(viewer)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    chart = response.context["open_chart"]
    assert [s.label for s in chart.series] == ["critical", "high", "medium", "low", "unknown"]
    assert chart.series[-1].values[-1] == 7  # all seven pip-audit findings are unscored, open now
    assert b"open-findings-by-severity" in response.content
    for query in ("?severity__exact=unknown", "?status__exact=open", "?overdue=yes", "?ecosystem=pypi",
                  "?q=PYSEC-2021-76", "?q=aiohttp"):
        assert client.get(CHANGELIST + query).status_code == 200, query
    assert len(client.get(CHANGELIST + "?q=PYSEC-2021-76").context["cl"].result_list) == 1
    assert len(client.get(CHANGELIST + "?overdue=yes").context["cl"].result_list) == 0


def test_bulk_assign_owner_and_request_acceptance(client, operator, manager2, findings):
    client.force_login(operator)
    ids = [str(f.pk) for f in findings[:2]]
    form = client.post(CHANGELIST, {"action": "assign_owner", "_selected_action": ids})
    assert form.status_code == 200 and b"Assign owner" in form.content
    client.post(CHANGELIST, {"action": "assign_owner", "_selected_action": ids, "confirm": "1",
                             "owner": manager2.pk})
    assert set(DependencyFinding.objects.filter(pk__in=ids).values_list("owner", flat=True)) == {manager2.pk}
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.post(CHANGELIST, {"action": "request_acceptance", "_selected_action": ids, "confirm": "1",
                             "reason": "Not reachable from outside", "expires_on": expires})
    assert RiskAcceptance.objects.filter(state="pending").count() == 2


def test_manager_approves_in_the_admin_but_not_their_own_request(client, manager, manager2, findings):
    client.force_login(manager)
    finding = findings[0]
    client.post(CHANGELIST, {"action": "request_acceptance", "_selected_action": [finding.pk], "confirm": "1",
                             "reason": "Compensating control", "expires_on": (timezone.localdate()
                                                                              + timedelta(days=10)).isoformat()})
    acceptance = RiskAcceptance.objects.get()
    client.post("/admin/dependencies/riskacceptance/", {"action": "approve", "_selected_action": [acceptance.pk]})
    acceptance.refresh_from_db()
    assert acceptance.state == "pending"  # four-eyes: refused with a message
    client.force_login(manager2)
    client.post("/admin/dependencies/riskacceptance/", {"action": "approve", "_selected_action": [acceptance.pk]})
    acceptance.refresh_from_db()
    finding.refresh_from_db()
    assert (acceptance.state, finding.status) == ("approved", "risk_accepted")


def test_vulnerability_page_lists_every_affected_service(client, viewer, ingest, project):
    from tests.factories import ServiceFactory

    other = ServiceFactory(project=project, slug="payments", name="Payments")
    vuln = ("PYSEC-2023-1", ["4.2.2"], [])
    ingest(pip_audit(("django", "4.2.1", [vuln])))
    ingest(pip_audit(("django", "4.1.0", [vuln])), target=other)
    finding = DependencyFinding.objects.first()
    client.force_login(viewer)
    response = client.get(f"/admin/dependencies/vulnerability/{finding.vulnerability_id}/change/")
    assert response.status_code == 200
    assert [f.service.slug for f in response.context["affected"]] == ["checkout", "payments"]
    assert b"Affected services (2)" in response.content


def test_select_all_findings_assigns_and_requests_acceptance_in_the_background(
        client, operator, manager2, findings, django_capture_on_commit_callbacks):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from opsportal.models import BulkActionRun

    client.force_login(operator)

    def post_all(action, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(CHANGELIST, {"action": action, "select_across": "1", "index": "0",
                                            ACTION_CHECKBOX_NAME: [findings[0].pk], **extra}, follow=True)

    form = post_all("assign_owner")
    assert '<input type="hidden" name="select_across" value="1">' in form.content.decode()
    assert not BulkActionRun.objects.exists()  # the form step queues nothing
    post_all("assign_owner", confirm="1", owner=manager2.pk)
    run = BulkActionRun.objects.get()
    assert (run.operation, run.kwargs, run.total, run.failed) == (
        "dependencies.bulk.assign_owner", {"owner_id": manager2.pk}, len(findings), 0)
    assert set(DependencyFinding.objects.values_list("owner", flat=True)) == {manager2.pk}
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    post_all("request_acceptance", confirm="1", reason="Internal only", expires_on=expires)
    assert RiskAcceptance.objects.filter(state="pending").count() == len(findings)

"""SLO admin: changelist columns without a query per row, change page numbers, review and escalation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opsportal.models import Approval, ValidationEntry
from slos.services import monitor_slo, slo_evaluate
from tests.slos.conftest import put


@pytest.fixture
def failing_slo(make_slo):
    slo = make_slo(slug="failing", name="Checkout failing")
    now = timezone.now()
    put(slo, now - timedelta(minutes=4), timedelta(minutes=1), 0, 1000)
    slo_evaluate(slo=slo, now=now)
    slo.refresh_from_db()
    return slo


def _changelist_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:slos_slo_changelist") + "?all=")
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_changelist_columns_cost_no_query_per_row(client, operator, make_slo, failing_slo):
    client.force_login(operator)
    for _ in range(4):
        make_slo()
    five, response = _changelist_queries(client)
    html = response.content.decode()
    assert "FAIL" in html and "NO_DATA" in html and "budget exhausted" in html
    for _ in range(95):
        make_slo()
    hundred, _response = _changelist_queries(client)
    assert five == hundred


def test_changelist_filters_by_status(client, viewer, make_slo, failing_slo):
    make_slo(slug="quiet", name="Quiet one")
    client.force_login(viewer)
    html = client.get(reverse("admin:slos_slo_changelist") + "?status__exact=FAIL").content.decode()
    assert "Checkout failing" in html and "Quiet one" not in html


def test_change_page_shows_each_window_and_recent_alerts(client, viewer, failing_slo):
    client.force_login(viewer)
    html = client.get(reverse("admin:slos_slo_change", args=[failing_slo.pk])).content.decode()
    for label in ("30d", "5m", "30m", "1h", "2h", "6h", "1d", "3d"):
        assert f"<td>{label}</td>" in html
    assert "1000.00x" in html  # every request bad: burn rate 1 / 0.001
    assert "page-1h" in html and "open" in html
    assert reverse("admin:slos_slo_escalate", args=[failing_slo.project_id]) in html


def test_review_action_records_an_slo_review_approval(client, manager, operator, failing_slo, make_slo):
    owned = make_slo(slug="owned", owner=manager)
    client.force_login(manager)
    url = reverse("admin:slos_slo_changelist")
    form = client.post(url, {"action": "record_compliance_review", "_selected_action": [failing_slo.pk]})
    assert form.status_code == 200 and b"Record review" in form.content
    client.post(url, {"action": "record_compliance_review", "_selected_action": [failing_slo.pk, owned.pk],
                      "confirm": "1", "decision": "approve", "comment": "Reviewed in the weekly SLO review"})
    approval = Approval.objects.get()
    assert (approval.kind, approval.subject_id, approval.approver) == ("slo_review", failing_slo.pk, manager)
    assert len(approval.content_sha256) == 64
    # Four-eyes: the manager owns `owned`, so no approval was recorded for it.
    assert not Approval.objects.filter(subject_id=owned.pk).exists()


def test_review_action_is_for_managers_only(client, operator, failing_slo):
    client.force_login(operator)
    response = client.get(reverse("admin:slos_slo_changelist"))
    assert b"record_compliance_review" not in response.content
    client.post(reverse("admin:slos_slo_changelist"), {
        "action": "record_compliance_review", "_selected_action": [failing_slo.pk], "confirm": "1",
        "decision": "approve"})
    assert not Approval.objects.exists()


def test_failed_check_offers_escalate_phase(client, operator, failing_slo):
    monitor_slo(failing_slo.project)
    client.force_login(operator)
    html = client.get(reverse("admin:slos_slo_escalate", args=[failing_slo.project_id])).content.decode()
    assert "slo.failing" in html
    assert 'value="escalate_phase_action"' in html
    assert reverse("admin:opsportal_project_changelist") in html
    # The button leads to the core escalation form.
    response = client.post(reverse("admin:opsportal_project_changelist"), {
        "action": "escalate_phase_action", "_selected_action": [failing_slo.project_id]})
    assert response.status_code == 200 and b"automation_enforced" in response.content


def test_monitor_action_reports_fail_with_escalation_link(client, operator, failing_slo):
    client.force_login(operator)
    response = client.post(reverse("admin:slos_slo_changelist"), {
        "action": "run_monitor_slo", "_selected_action": [failing_slo.pk]}, follow=True)
    html = response.content.decode()
    assert "SLO check (monitor_slo) of shop: FAIL (failing)" in html and "escalate phase" in html
    assert ValidationEntry.objects.filter(check_name="slo.failing", result="FAIL").exists()


def test_add_slo_in_admin_gets_default_tiers(client, operator, service):
    client.force_login(operator)
    response = client.post(reverse("admin:slos_slo_add"), {
        "project": service.project_id, "service": service.pk, "name": "Checkout availability",
        "slug": "checkout-availability", "sli_kind": "availability", "objective": "99.9",
        "window_kind": "rolling", "window_days": "30", "budgeting_method": "occurrences", "data_source": "push",
        "evaluation_interval": "00:01:00", "alerting_enabled": "on",
        "tiers-TOTAL_FORMS": "0", "tiers-INITIAL_FORMS": "0", "tiers-MIN_NUM_FORMS": "0", "tiers-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    from slos.models import SLO

    slo = SLO.objects.get(slug="checkout-availability")
    assert slo.tiers.count() == 4


def test_dashboard_panels_on_admin_home(client, viewer, failing_slo):
    client.force_login(viewer)
    html = client.get(reverse("admin:index")).content.decode()
    assert "SLOs failing or out of error budget" in html and "shop/failing" in html
    assert "Open burn-rate alerts" in html and "PAGE shop/failing page-1h" in html


def _home_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("admin:index")).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_and_alert_list_cost_the_same_for_few_and_many(client, api_as, viewer, make_slo):
    client.force_login(viewer)
    api = api_as(viewer)

    def burning(n):
        now = timezone.now()
        for _ in range(n):
            slo = make_slo()
            put(slo, now - timedelta(minutes=4), timedelta(minutes=1), 0, 1000)
            slo_evaluate(slo=slo, now=now)

    def alert_list_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/slo-alerts/?page_size=500").status_code == 200
        return len(ctx.captured_queries)

    burning(2)
    few = (_home_queries(client), alert_list_queries())
    burning(20)
    assert (_home_queries(client), alert_list_queries()) == few

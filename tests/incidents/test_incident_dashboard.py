"""Incident dashboard: every number agrees with GET /api/v1/incidents/metrics/ for the same period,
month by month and in total; the page draws what the API returns, in constant queries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import ActionItem, Incident
from tests.incidents.factories import declare

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
API = "/api/v1/projects/shop/dashboards/incidents/"
METRICS = "/api/v1/incidents/metrics/"


def incident(project, detected, severity="SEV2", ack=15, resolve=None, status="resolved"):
    with time_machine.travel(detected + timedelta(minutes=1), tick=False):
        item = declare(project, title=f"at {detected:%m-%d}", severity=severity, impact_started_at=detected
                       - timedelta(minutes=7), detected_at=detected)
    fields = {"acknowledged_at": detected + timedelta(minutes=ack), "status": status}
    if resolve is not None:
        fields.update(mitigated_at=detected + timedelta(minutes=resolve // 2),
                      resolved_at=detected + timedelta(minutes=resolve), open_group_key=None)
    Incident.objects.filter(pk=item.pk).update(**fields)
    return item


@pytest.fixture
def history(project):
    incident(project, datetime(2026, 8, 3, 9, tzinfo=UTC), "SEV1", ack=4, resolve=50)
    incident(project, datetime(2026, 8, 20, 9, tzinfo=UTC), "SEV3", ack=95, resolve=600)
    incident(project, datetime(2026, 9, 9, 22, tzinfo=UTC), "SEV2", ack=31, resolve=2000)
    incident(project, datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "SEV2", ack=3, resolve=90)
    incident(project, datetime(2026, 11, 20, 8, tzinfo=UTC), "SEV4", ack=10, status="investigating")


def test_numbers_agree_with_the_metrics_api(api_as, manager, project, history):
    api = api_as(manager)
    with time_machine.travel(NOW, tick=False):
        body = api.get(API, {"from": "2026-08-01", "to": "2026-11-26"}).json()
        total = api.get(METRICS, {"project": "shop", "since": body["from"], "until": body["to"]}).json()
        assert body["totals"] == total
        assert total["count"] == 5
        assert [m["month"] for m in body["monthly"]] == ["2026-08", "2026-09", "2026-10", "2026-11"]
        for month in body["monthly"]:
            start = datetime.fromisoformat(f"{month['month']}-01T00:00:00+00:00")
            end = (start + timedelta(days=32)).replace(day=1)
            expected = api.get(METRICS, {"project": "shop", "since": max(start.isoformat(), body["from"]),
                                         "until": min(end, NOW).isoformat()}).json()
            assert {k: month[k] for k in ("count", "metrics", "targets")} == expected, month["month"]
    assert body["monthly"][0]["metrics"]["mtta"]["mean_seconds"] == (4 + 95) * 60 // 2
    weeks = body["weekly_by_severity"]
    assert weeks[0]["week"] == "2026-07-27" and weeks[-1]["week"] == "2026-11-23"  # Mondays, quiet ones too
    assert len(weeks) == 18
    assert sum(w["SEV1"] + w["SEV2"] + w["SEV3"] + w["SEV4"] + w["SEV5"] for w in weeks) == 5
    assert next(w for w in weeks if w["week"] == "2026-08-03")["SEV1"] == 1
    # Detected 2026-11-20 08:00, six days before NOW.
    assert body["open_by_state"] == [{"status": "investigating", "under 1 day": 0, "1-7 days": 1, "7-30 days": 0,
                                      "over 30 days": 0}]
    assert body["postmortems"]["significant_incidents"] == 3


def test_month_boundaries_follow_the_project_zone(api_as, manager, project, history):
    project.time_zone = "Europe/Paris"
    project.save()
    with time_machine.travel(NOW, tick=False):
        body = api_as(manager).get(API, {"from": "2026-10-01", "to": "2026-11-30"}).json()
    # 2026-10-31 23:30 UTC is already 1 November in Paris.
    assert [(m["month"], m["count"]) for m in body["monthly"]] == [("2026-11", 2)]


def test_page_draws_the_api_numbers_in_constant_queries(client, manager, project, history):
    with time_machine.travel(NOW, tick=False):
        client.force_login(manager)  # at NOW: a session from the real day may have expired by then
        with CaptureQueriesContext(connection) as short:
            page = client.get("/admin/dashboards/incidents/", {"from": "2026-11-01"})
        with CaptureQueriesContext(connection) as long:
            client.get("/admin/dashboards/incidents/", {"from": "2025-12-01"})
    assert page.status_code == 200
    assert len(short) == len(long)
    html = page.content.decode()
    for key in ("incidents-weekly", "response-times", "target-breaches", "open-incidents", "action-items",
                "overdue-action-items"):
        assert f'id="chart-{key}-data"' in html
    assert ActionItem.objects.count() == 0

"""Findings on the right review items, the one-click action item, and the capacity_planning gate."""

from datetime import UTC, datetime, timedelta

from capacity import gates, review_findings
from capacity.models import ResourceActionItem
from capacity.services import resource_action_item_create, resource_create, samples_store
from tests.capacity.conftest import linear_daily
from tests.clock import frozen_at


def findings(project, cadence, now):
    return review_findings.findings(project=project, cadence=cadence, period_start=now - timedelta(days=1),
                                    period_end=now, now=now)


def test_daily_capacity_monitoring_lists_resources_above_thresholds(service, now):
    hot = resource_create(service=service, name="pool", kind="connections", unit="conn", capacity=200)
    warm = resource_create(service=service, name="disk", kind="disk", unit="GiB", capacity=100)
    cool = resource_create(service=service, name="cpu", kind="cpu", unit="cores", capacity=8)
    samples_store(resource=hot, samples=[(now, 190.0)])
    samples_store(resource=warm, samples=[(now, 82.0)])
    samples_store(resource=cool, samples=[(now, 1.0)])
    found = findings(service.project, "daily", now)
    assert [f["item"] for f in found] == ["capacity_monitoring", "capacity_monitoring"]
    assert [f["severity"] for f in found] == ["critical", "warning"]
    assert found[0]["text"].startswith("shop/checkout/pool: 95.0% of capacity")
    assert "82.0%" in found[1]["text"]


def test_daily_all_clear_and_no_resources_no_findings(service, project, now):
    assert findings(project, "daily", now) == []
    calm = resource_create(service=service, name="cpu", kind="cpu", unit="cores", capacity=8)
    samples_store(resource=calm, samples=[(now, 1.0)])
    found = findings(project, "daily", now)
    assert [(f["item"], f["severity"]) for f in found] == [("capacity_monitoring", "info")]


def test_monthly_capacity_planning_lists_forecasts_within_90_days_soonest_first(service, now, client, operator):
    soon = resource_create(service=service, name="soon", kind="disk", unit="%", capacity=100)
    later = resource_create(service=service, name="later", kind="disk", unit="%", capacity=100)
    never = resource_create(service=service, name="never", kind="disk", unit="%", capacity=100)
    far = resource_create(service=service, name="far", kind="disk", unit="%", capacity=100)
    linear_daily(later, now=now, days=28, level_now=40, per_day=1.0)  # critical in 50 days
    linear_daily(soon, now=now, days=28, level_now=70, per_day=1.0)  # critical in 20 days
    linear_daily(never, now=now, days=28, level_now=50, per_day=0.0)
    linear_daily(far, now=now, days=28, level_now=10, per_day=0.5)  # critical in 160 days
    found = findings(service.project, "monthly", now)
    assert [f["item"] for f in found] == ["capacity_planning"] * 2
    assert [f["text"].split(":")[0] for f in found] == ["shop/checkout/soon", "shop/checkout/later"]
    assert [f["severity"] for f in found] == ["critical", "warning"]
    assert str((now + timedelta(days=20)).date()) in found[0]["text"]
    action = found[0]["links"][1]
    assert action["label"] == "create action item"
    # The one click: a prefilled form, then the item is linked to the resource.
    client.force_login(operator)
    page = client.get(action["url"])
    assert page.status_code == 200 and b"Capacity: shop/checkout/soon" in page.content
    response = client.post(action["url"], {"title": "Grow the volume", "owner": operator.pk, "priority": "P2"})
    assert response.status_code == 302
    link = ResourceActionItem.objects.get(resource=soon)
    assert link.action_item.title == "Grow the volume" and link.action_item.status == "open"


def test_weekly_and_quarterly_do_not_list_capacity_items(service, now):
    r = resource_create(service=service, name="soon", kind="disk", unit="%", capacity=100)
    linear_daily(r, now=now, days=28, level_now=95, per_day=1.0)
    assert {f["item"] for f in findings(service.project, "weekly", now)} == {"performance_analysis"}
    assert findings(service.project, "quarterly", now) == []


def test_gate_fails_on_exhaustion_within_30_days_without_open_action_item(service, now, operator):
    assert gates.evaluate(service.project, now=now) == []  # nothing tracked: NO_DATA, never PASS
    r = resource_create(service=service, name="disk", kind="disk", unit="%", capacity=100)
    linear_daily(r, now=now, days=28, level_now=80, per_day=1.0)  # full in 20 days
    [result] = gates.evaluate(service.project, now=now)
    assert result["gate"] == "capacity_planning" and result["result"] == "FAIL"
    assert "shop/checkout/disk" in result["reason"]
    link = resource_action_item_create(resource=r, owner=operator, actor=operator)
    [result] = gates.evaluate(service.project, now=now)
    assert result["result"] == "PASS" and "each with an open action item" in result["reason"]
    from incidents.services.action_items import action_item_set_status

    action_item_set_status(item=link.action_item, status="done", actor=operator)
    [result] = gates.evaluate(service.project, now=now)
    assert result["result"] == "FAIL"


def test_gate_passes_when_nothing_runs_out(service, now):
    r = resource_create(service=service, name="disk", kind="disk", unit="%", capacity=100)
    linear_daily(r, now=now, days=28, level_now=40, per_day=1.0)  # full in 60 days
    [result] = gates.evaluate(service.project, now=now)
    assert result["result"] == "PASS" and "none runs out within 30 days" in result["reason"]


def test_gate_is_known_to_the_core(service, now):
    from opsportal.quality_gates import evaluate_gates

    rows = {row["gate"]: row for row in evaluate_gates(service.project)}
    assert rows["capacity_planning"]["result"] == "NO_DATA"


def test_gate_report_judges_capacity_at_the_callers_now(service, now):
    """opsportal.quality_gates reads the clock once and hands it to the capacity gate, so the report
    of a given instant does not depend on when the machine runs it."""
    from opsportal.quality_gates import evaluate_gates

    r = resource_create(service=service, name="disk", kind="disk", unit="%", capacity=100)
    linear_daily(r, now=now, days=28, level_now=80, per_day=1.0)  # full in 20 days
    rows = {row["gate"]: row for row in evaluate_gates(service.project, now=now)}
    assert rows["capacity_planning"]["result"] == "FAIL"
    with frozen_at(now + timedelta(days=400)):  # the machine's clock is elsewhere; the argument wins
        rows = {row["gate"]: row for row in evaluate_gates(service.project, now=now)}
    assert rows["capacity_planning"]["result"] == "FAIL"


def test_pull_task_reads_the_clock_once_and_passes_it_down(service, monkeypatch):
    from capacity import tasks

    seen = []
    monkeypatch.setattr("capacity.prometheus.pull_all", lambda now: seen.append(now) or 0)
    instant = datetime(2028, 2, 29, 23, 55, tzinfo=UTC)
    with frozen_at(instant):
        tasks.pull_prometheus()
    assert seen == [instant]

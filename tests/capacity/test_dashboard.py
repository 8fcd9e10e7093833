"""The performance dashboard and its API twin: same numbers, constant queries, access, and (browser) drawn."""

from datetime import timedelta

import pytest
import time_machine

from capacity.performance import performance_compare
from capacity.services import resource_create
from tests.capacity.conftest import linear_daily
from tests.capacity.test_performance import push

DAY = timedelta(days=1)


def seed(service, now):
    disk = resource_create(service=service, name="disk", kind="disk", unit="GiB", capacity=200)
    linear_daily(disk, now=now, days=28, level_now=80, per_day=2.0)  # 40% now, +1% of capacity a day
    week_end = now.replace(hour=0, minute=0)
    push(service, start=week_end - 35 * DAY, days=28, p95=200)
    push(service, start=week_end - 7 * DAY, days=7, p95=260)
    performance_compare(service=service, week_end=week_end, now=now)
    return disk


def test_api_twin_returns_the_numbers(api_as, viewer, service, now):
    disk = seed(service, now)
    with time_machine.travel(now, tick=False):
        body = api_as(viewer).get(f"/api/v1/projects/{service.project.slug}/dashboards/performance/").json()
    [svc] = body["services"]
    [res] = svc["resources"]
    assert res["id"] == disk.pk and res["utilisation"][27] == pytest.approx(40.0, abs=0.01)
    assert res["utilisation"][0] == pytest.approx(13.5, abs=0.6)  # 27 days ago, at that day's peak
    assert res["forecast"]["status"] == "rising"
    assert res["forecast_line"][27 + 30] == pytest.approx(70.0, abs=1)  # 40% + 30 days x 1%
    assert svc["latency"]["p95_ms"][-1] == 260.0 and svc["latency"]["p95_ms"][0] == 200.0
    assert [r["regressions"] for r in svc["regressions"]] == [["p95_ms", "p99_ms"]]
    assert body["forecasts"][0]["critical_at"].startswith(str((now + 50 * DAY).date()))


def test_admin_page_draws_the_same_numbers_with_constant_queries(client, viewer, service, now,
                                                                 django_assert_max_num_queries):
    seed(service, now)
    for i in range(5):
        r = resource_create(service=service, name=f"extra{i}", kind="cpu", unit="cores", capacity=8)
        linear_daily(r, now=now, days=10, level_now=4, per_day=0.1)
    client.force_login(viewer)
    with time_machine.travel(now, tick=False), django_assert_max_num_queries(16):
        page = client.get("/admin/dashboards/performance/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-opsportal-chart="') == 6 + 2  # six resources, latency and rate
    assert "Checkout: latency percentiles" in html and "Checkout: disk" in html
    assert "chart.umd.min.js" in html


def test_dashboard_tables_list_forecasts_and_regressions(service, now):
    from capacity.dashboard import _tables
    from capacity.dashboard_data import performance_dashboard

    seed(service, now)
    forecasts, regressions = _tables(performance_dashboard(service.project, now=now))
    assert forecasts["rows"][0][:3] == ["checkout", "disk", "rising"]
    assert regressions["rows"] == [["checkout", str((now - timedelta(days=7)).date()), "p95_ms, p99_ms",
                                    "none yet", "-"]]


def test_another_projects_dashboard_is_404(api_as, operator, service):
    from opsportal.access.models import ProjectMembership
    from tests.factories import ProjectFactory

    other = ProjectFactory(slug="other")
    ProjectMembership.objects.filter(project=other, user=operator).delete()
    assert api_as(operator).get("/api/v1/projects/other/dashboards/performance/").status_code == 404

"""SLO dashboard: admin page and API twin draw the same numbers, bad ranges are 400, queries do not grow
with SLOs or period, and another project's data never shows once access is wired."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal import dashboards
from opsportal.models import Project
from slos.dashboards import slo_dashboard_data
from tests.factories import ProjectFactory, ServiceFactory
from tests.slos.conftest import put_many

NOW = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
API = "/api/v1/projects/shop/dashboards/slo/"


def fill(slo, days=40, bad_hours=()):
    end = NOW.replace(minute=0)
    pairs = [(990, 1000) if k in bad_hours else (1000, 1000) for k in range(24 * days)]
    put_many(slo, end, HOUR, pairs)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def chart_specs(html: str) -> dict:
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'<script id="(chart-[\w-]+)-data" type="application/json">(.*?)</script>', html, re.S)
    }


def test_api_and_page_draw_the_same_numbers(client, api_as, manager, make_slo, clock):
    slo = make_slo(objective=Decimal("99.9"))
    fill(slo, bad_hours={24 * 40 - 3})  # one bad hour, 3 hours ago
    body = api_as(manager).get(API, {"slo": slo.slug}).json()
    assert body["from"] == (NOW - timedelta(days=30)).isoformat() and body["to"] == NOW.isoformat()
    assert body["summary"][-1] == {"period": "2026-11", "met": 1, "missed": 0, "no_data": 0}
    focus = body["focus"]
    assert focus["burn_rates"]["1h"][-3] == "10.0000"  # the bad hour (10 of 1000 bad at 0.1% allowed)
    assert focus["tiers"][0] == {"tier": "page-1h", "severity": "page", "long_window": "1h", "short_window": "5m",
                                 "factor": "14.4000"}
    client.force_login(manager)
    page = client.get("/admin/dashboards/slo/", {"slo": slo.slug})
    assert page.status_code == 200
    specs = chart_specs(page.content.decode())
    assert set(specs) == {"chart-slo-summary", f"chart-slo-{slo.pk}-months", "chart-burn-down", "chart-sli-daily",
                          "chart-burn-rates"}
    burn = specs["chart-burn-rates"]
    drawn = next(s for s in burn["series"] if s["label"] == "burn rate 1h")["values"]
    assert drawn == [None if v is None else float(v) for v in focus["burn_rates"]["1h"]]
    assert drawn[-3] == 10.0
    remaining = next(s for s in specs["chart-burn-down"]["series"] if s["label"] == "remaining %")["values"]
    assert remaining == [float(p["remaining"]) for p in focus["burn_down"]]
    months = specs[f"chart-slo-{slo.pk}-months"]
    assert months["labels"] == [m["period"] for m in body["slos"][0]["months"]]
    assert "Download CSV" in page.content.decode()


def test_bad_ranges_are_400_naming_the_field(api_as, manager, project, client, clock):
    api = api_as(manager)
    assert api.get(API, {"from": "2026-11-10", "to": "2026-11-01"}).json() == {"from": ["from must be before to."]}
    assert "from" in api.get(API, {"from": "2026-11-01T00:00:00"}).json()  # no offset
    assert "to" in api.get(API, {"to": "yesterday"}).json()
    assert "to" in api.get(API, {"from": "2024-01-01", "to": "2026-01-01"}).json()  # over 400 days
    assert api.get(API, {"from": "2026-11-01", "to": "2026-11-15"}).status_code == 200
    assert api.get(API, {"slo": "nope"}).json() == {"slo": ["No SLO 'nope' in project shop."]}
    client.force_login(manager)
    assert client.get("/admin/dashboards/slo/", {"from": "2026-13-01"}).status_code == 400


def test_dates_are_local_days_of_the_project(api_as, manager, project, clock):
    project.time_zone = "Europe/Paris"
    project.save()
    body = api_as(manager).get(API, {"from": "2026-11-01", "to": "2026-11-02"}).json()
    assert (body["from"], body["to"]) == ("2026-10-31T23:00:00+00:00", "2026-11-02T23:00:00+00:00")
    assert body["time_zone"] == "Europe/Paris"


def test_query_count_does_not_grow_with_slos_or_period(client, manager, make_slo, project, clock):
    client.force_login(manager)
    first = make_slo()
    fill(first, days=3)
    fill(make_slo(), days=3)

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/dashboards/slo/", params).status_code == 200
        return len(queries)

    few, few_long = count({}), count({"from": "2025-11-01"})
    one = count({"slo": first.slug})
    for _ in range(12):
        fill(make_slo(), days=3)
    assert count({}) == few == few_long
    assert count({"slo": first.slug, "from": "2025-12-01"}) == one


def test_other_projects_never_show_once_access_is_wired(client, api_as, viewer, manager, make_slo, monkeypatch,
                                                        clock):
    other = ProjectFactory(slug="bank", name="Bank")
    bank_slo = make_slo(project=other, service=ServiceFactory(project=other, slug="ledger"), slug="ledger-avail")
    make_slo(slug="shop-only")
    # The rule the access work (#10) provides: here, the viewer is a member of "bank" only.
    monkeypatch.setattr(dashboards, "visible_projects",
                        lambda user: Project.objects.filter(slug="bank") if user == viewer else Project.objects.all())
    api = api_as(viewer)
    assert api.get(API).status_code == 404
    assert api.get("/api/v1/projects/shop/dashboards/incidents/").status_code == 404
    assert [s["slug"] for s in api.get("/api/v1/projects/bank/dashboards/slo/").json()["slos"]] == [bank_slo.slug]
    client.force_login(viewer)
    page = client.get("/admin/dashboards/slo/").content.decode()
    assert bank_slo.name in page  # the project the viewer may see
    assert "shop-only" not in page and "Online Shop" not in page
    assert client.get("/admin/dashboards/slo/", {"project": "shop"}).status_code == 404


def test_selector_is_what_the_api_returns(api_as, manager, make_slo, project, clock):
    slo = make_slo()
    fill(slo, days=2)
    data = slo_dashboard_data(project=project, start=NOW - timedelta(days=30), end=NOW, now=NOW, params={})
    body = api_as(manager).get(API).json()
    assert body["summary"] == data["summary"]
    assert body["slos"][0]["months"][-1]["good"] == data["slos"][0]["months"][-1]["good"] == 48000


def test_admin_home_strip_and_slo_page_link_to_the_dashboards(client, manager, make_slo, project, clock):
    slo = make_slo()
    fill(slo, days=2)
    from slos.services import slo_evaluate

    slo_evaluate(slo=slo, now=NOW)
    client.force_login(manager)
    home = client.get("/admin/").content.decode()
    strip = home[home.index('id="home-strip"'):home.index('id="dashboard"') if 'id="dashboard"' in home else None]
    assert '<span style="display:block; font-size:1.6em">1</span>SLOs passing' in strip
    assert "open SEV1" in strip and "overdue action items" in strip
    assert 'href="/admin/dashboards/slo/"' in strip and 'href="/admin/dashboards/incidents/"' in strip
    change = client.get(f"/admin/slos/slo/{slo.pk}/change/").content.decode()
    assert f'href="/admin/dashboards/slo/?project=shop&amp;slo={slo.slug}"' in change


def test_fast_burn_rate_equals_the_exact_one():
    import random as rnd

    from slos import budget
    from slos.budget import WindowTotals
    from slos.dashboards import _burn_rate

    rng = rnd.Random(5)
    for _ in range(2000):
        total = rng.randint(0, 10**9)
        totals = WindowTotals(total - rng.randint(0, total), total)
        objective = Decimal(rng.randint(1, 999999)) / 10000
        assert _burn_rate(totals, objective) == budget.to_decimal(budget.burn_rate(totals, objective))

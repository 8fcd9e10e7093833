"""A real browser (Debian's Chromium via Playwright) opens both dashboards as a Manager: every chart drew
(its canvas has painted pixels), no console error occurred; a Viewer of another project sees none of
this project's data (with `visible_projects` given the membership rule #10 provides)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsportal import dashboards
from opsportal.models import Project
from tests.factories import ProjectFactory
from tests.incidents.factories import declare
from tests.incidents.test_postmortem_browser import ARTIFACTS, browser, login  # noqa: F401 (fixture)
from tests.slos.conftest import put_many

pytestmark = [pytest.mark.external, pytest.mark.django_db(transaction=True)]

PAINTED = """canvas => {
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { painted++; } }
  return painted;
}"""


def seed(project, make_slo):
    slo = make_slo(slug="checkout-availability", name="Checkout availability")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    put_many(slo, now, timedelta(hours=1), [(997, 1000) if k % 17 == 0 else (1000, 1000) for k in range(24 * 45)])
    for days, severity in ((3, "SEV1"), (12, "SEV2"), (40, "SEV3")):
        declare(project, title=f"outage {days} days ago", severity=severity,
                impact_started_at=timezone.now() - timedelta(days=days, minutes=5),
                detected_at=timezone.now() - timedelta(days=days))
    return slo


def open_dashboard(page, url):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_function("window.opsportalCharts && window.opsportalCharts.drawn() > 0")
    canvases = page.locator("figure.opsportal-chart canvas")
    painted = [canvases.nth(i).evaluate(PAINTED) for i in range(canvases.count())]
    return painted, errors


def test_both_dashboards_draw_without_console_errors(browser, live_server, project, manager, make_slo):  # noqa: F811
    slo = seed(project, make_slo)
    page = login(browser, live_server, "manager")
    assert page.locator("#home-strip").get_by_text("SLO dashboard").count() == 1
    painted, errors = open_dashboard(page, f"{live_server.url}/admin/dashboards/slo/?slo={slo.slug}")
    assert len(painted) == 5 and all(p > 500 for p in painted), painted
    assert errors == []
    page.screenshot(path=str(ARTIFACTS / "dashboard-slo.png"), full_page=True)
    painted, errors = open_dashboard(page, f"{live_server.url}/admin/dashboards/incidents/?from="
                                     f"{(timezone.now() - timedelta(days=60)).date().isoformat()}")
    assert len(painted) == 6 and all(p > 500 for p in painted), painted
    assert errors == []
    page.screenshot(path=str(ARTIFACTS / "dashboard-incidents.png"), full_page=True)


def test_viewer_of_another_project_sees_none_of_it(browser, live_server, project, viewer, make_slo,  # noqa: F811
                                                   monkeypatch):
    seed(project, make_slo)
    ProjectFactory(slug="bank", name="Bank")
    monkeypatch.setattr(dashboards, "visible_projects",
                        lambda user: Project.objects.filter(slug="bank") if user.username == "viewer"
                        else Project.objects.all())
    page = login(browser, live_server, "viewer")
    for slug in ("slo", "incidents"):
        page.goto(f"{live_server.url}/admin/dashboards/{slug}/")
        text = page.locator("#content").inner_text()
        assert "Online Shop" not in text and "Checkout availability" not in text and "outage" not in text
        response = page.goto(f"{live_server.url}/admin/dashboards/{slug}/?project=shop")
        assert response.status == 404
        response = page.goto(f"{live_server.url}/api/v1/projects/shop/dashboards/{slug}/")
        assert response.status == 404

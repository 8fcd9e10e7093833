"""Debian's Chromium (Playwright) opens the performance dashboard and the chart layer draws every chart."""

import pytest

from tests.capacity.test_dashboard import seed
from tests.incidents.test_postmortem_browser import ARTIFACTS, browser, login  # noqa: F401 (fixture)

pytestmark = [pytest.mark.external, pytest.mark.django_db(transaction=True)]


def test_dashboard_draws_in_a_real_browser(browser, live_server, service, manager):  # noqa: F811
    from django.utils import timezone

    # The live server reads the real clock, so the data is laid out around it (numbers are not asserted here).
    seed(service, timezone.now())
    page = login(browser, live_server, "manager")
    page.goto(f"{live_server.url}/admin/dashboards/performance/?project={service.project.slug}")
    page.wait_for_function("window.opsportalCharts && window.opsportalCharts.drawn() === 3")
    assert page.locator("canvas").count() == 3
    page.screenshot(path=str(ARTIFACTS / "performance-dashboard.png"), full_page=True)

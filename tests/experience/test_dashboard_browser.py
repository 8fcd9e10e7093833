"""Debian's Chromium (Playwright) opens the UX dashboard and the chart layer draws every chart."""

import pytest

from tests.experience.test_dashboard import seed
from tests.incidents.test_postmortem_browser import ARTIFACTS, browser, login  # noqa: F401 (fixture)

pytestmark = [pytest.mark.external, pytest.mark.django_db(transaction=True)]


def test_ux_dashboard_draws_in_a_real_browser(browser, live_server, project, service, manager):  # noqa: F811
    from django.utils import timezone

    # The live server reads the real clock, so the data is laid out around it (numbers are asserted elsewhere).
    seed(project, timezone.now())
    page = login(browser, live_server, "manager")
    page.goto(f"{live_server.url}/admin/dashboards/ux/?project={project.slug}")
    # CSAT, NPS, responses and Apdex for checkout; CSAT and NPS distributions; feedback by tag.
    page.wait_for_function("window.opsportalCharts && window.opsportalCharts.drawn() === 7")
    assert page.locator("canvas").count() == 7
    page.screenshot(path=str(ARTIFACTS / "ux-dashboard.png"), full_page=True)

"""A real browser (Debian's Chromium via Playwright) uses the autocomplete list filter: type, choose, the
list reloads filtered with the choice shown; the SLI measurement list asks for an SLO first."""

from decimal import Decimal

import pytest

from slos.services import slo_create
from tests.factories import ServiceFactory
from tests.incidents.test_postmortem_browser import browser, login  # noqa: F401  (the shared browser fixture)

pytestmark = [pytest.mark.external, pytest.mark.django_db(transaction=True)]


def test_choose_a_service_in_the_filter_box(browser, live_server, project, manager):  # noqa: F811
    for slug, name in [("payments", "Payments"), ("search", "Search")]:
        service = ServiceFactory(project=project, slug=slug, name=name)
        slo_create(project=project, service=service, name=f"{name} availability", slug=f"{slug}-availability",
                   objective=Decimal("99.9"))
    page = login(browser, live_server, "manager")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/slos/slo/")
    page.click("#changelist-filter .select2-selection")
    page.fill(".select2-search__field", "pay")
    page.locator(".select2-results__option", has_text="shop/payments").click()
    page.wait_for_url("**/admin/slos/slo/?service__id__exact=*")
    assert page.locator("#result_list tbody tr").all_inner_texts()[0].count("Payments availability") == 1
    assert page.locator("#result_list tbody tr").count() == 1
    assert page.locator("#changelist-filter .select2-selection__rendered").get_attribute("title") == "shop/payments"
    page.goto(f"{live_server.url}/admin/slos/slimeasurement/")
    assert "whose rows to list" in page.locator(".required-filter").inner_text()
    assert errors == []

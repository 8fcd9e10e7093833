"""Autocomplete list filters (opsportal.admin.scale.AutocompleteFilter): a search box, not every choice."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from slos.services import slo_create
from tests.factories import ServiceFactory
from tests.incidents.factories import declare


def slo_on(service, slug):
    return slo_create(project=service.project, service=service, name=slug.replace("-", " ").title(), slug=slug,
                      objective=Decimal("99.9"))


def test_slo_changelist_lists_no_service_choices_and_filters_by_the_chosen_one(client, manager, project):
    payments = ServiceFactory(project=project, slug="payments", name="Payments")
    search = ServiceFactory(project=project, slug="search", name="Search")
    for i in range(20):
        ServiceFactory(project=project, slug=f"unused-{i}", name=f"Unused service {i}")
    slo_on(payments, "payments-availability")
    slo_on(search, "search-latency")
    client.force_login(manager)

    page = client.get("/admin/slos/slo/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-field-name="service"' in html and "opsportal-autocomplete-filter" in html
    assert "Unused service 7" not in html  # the filter does not list the service table
    assert html.count("select2.full") == 1  # the scripts come once, in the head
    assert "opsportal/autocomplete_filter.js" in html

    filtered = client.get(f"/admin/slos/slo/?service__id__exact={payments.pk}")
    html = filtered.content.decode()
    assert "Payments Availability" in html and "Search Latency" not in html
    assert f'<option value="{payments.pk}" selected>' in html  # the chosen value is shown in the box


def test_the_filter_costs_one_query_however_many_choices(client, manager, project):
    payments = ServiceFactory(project=project, slug="payments", name="Payments")
    slo_on(payments, "payments-availability")
    client.force_login(manager)
    url = f"/admin/slos/slo/?service__id__exact={payments.pk}"
    client.get(url)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    few = queries()
    for i in range(50):
        ServiceFactory(project=project, slug=f"more-{i}")
    assert queries() == few


def test_autocomplete_answers_the_search_box(client, manager, project):
    ServiceFactory(project=project, slug="payments", name="Payments")
    ServiceFactory(project=project, slug="search", name="Search")
    client.force_login(manager)
    response = client.get("/admin/autocomplete/", {"app_label": "slos", "model_name": "slo",
                                                   "field_name": "service", "term": "paym"})
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["shop/payments"]


def test_incident_filter_on_services_many_to_many(client, manager, project):
    payments = ServiceFactory(project=project, slug="payments", name="Payments")
    search = ServiceFactory(project=project, slug="search", name="Search")
    declare(project, title="Card payments failing", services=[payments])
    declare(project, title="Search is slow", services=[search])
    declare(project, title="Both down", services=[search, payments])
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/admin/incidents/incident/?services__id__exact={search.pk}")
    assert [i.title for i in response.context["cl"].result_list] == ["Both down", "Search is slow"]
    html = response.content.decode()
    assert 'data-field-name="services"' in html and f'<option value="{search.pk}" selected>' in html
    assert not [q for q in ctx.captured_queries if "DISTINCT" in q["sql"].upper()]  # a semi-join, no dedup


def test_managers_can_search_users_for_the_owner_filter_but_not_without_the_list(client, manager, nobody, project):
    from tests.factories import UserFactory

    UserFactory(username="alice.oncall")
    params = {"app_label": "incidents", "model_name": "actionitem", "field_name": "owner", "term": "alice"}
    client.force_login(manager)  # may view action items, has no permission on users
    response = client.get("/admin/autocomplete/", params)
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["alice.oncall"]
    client.force_login(nobody)  # staff in no role: may not view action items
    assert client.get("/admin/autocomplete/", params).status_code == 403

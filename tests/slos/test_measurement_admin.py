"""Raw SLI measurements in the admin: the newest rows of one SLO, reached from the SLO's page."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.slos.conftest import MINUTE, NOW, put_many

URL = "/admin/slos/slimeasurement/"


def test_without_an_slo_the_list_reads_no_measurement(client, manager, make_slo):
    put_many(make_slo(), NOW, MINUTE, [(9, 10)] * 5)
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(URL)
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == []
    assert "whose rows to list (newest first)" in page.content.decode()
    assert not [q for q in ctx.captured_queries if 'FROM "slos_slimeasurement"' in q["sql"]]


def test_one_slos_newest_rows_first(client, manager, make_slo):
    checkout, payments = make_slo(), make_slo()
    put_many(checkout, NOW, MINUTE, [(9, 10), (8, 10), (7, 10)])
    put_many(payments, NOW, MINUTE, [(1, 1)] * 4)
    client.force_login(manager)
    page = client.get(URL + f"?slo__id__exact={checkout.pk}")
    rows = list(page.context["cl"].result_list)
    assert [(r.slo_id, r.start) for r in rows] == [
        (checkout.pk, NOW - timedelta(minutes=1)), (checkout.pk, NOW - timedelta(minutes=2)),
        (checkout.pk, NOW - timedelta(minutes=3)),
    ]
    assert [r.good for r in rows] == [7, 8, 9]
    assert f'<option value="{checkout.pk}" selected>' in page.content.decode()


def test_the_slo_page_links_to_its_measurements(client, manager, make_slo):
    slo = make_slo()
    client.force_login(manager)
    page = client.get(f"/admin/slos/slo/{slo.pk}/change/").content.decode()
    assert f'href="{URL}?slo__id__exact={slo.pk}">Raw measurements</a>' in page

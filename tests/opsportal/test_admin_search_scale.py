"""Admin search the way people look records up, and date drill-downs that never read a whole table."""

from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal.models import Notification
from opsportal.services import log_evidence
from tests.incidents.factories import declare


def titles(response):
    return [str(row) for row in response.context["cl"].result_list]


def test_a_reference_finds_that_incident_only(client, manager, project):
    for i in range(12):
        declare(project, title=f"Incident number {i + 1}")
    client.force_login(manager)
    assert titles(client.get("/admin/incidents/incident/?q=SHOP-1")) == ["SHOP-1 Incident number 1"]
    assert titles(client.get("/admin/incidents/incident/?q=shop-11")) == ["SHOP-11 Incident number 11"]


def test_a_number_finds_that_incident(client, manager, project):
    for i in range(12):
        declare(project, title=f"Incident number {i + 1}")
    client.force_login(manager)
    assert titles(client.get("/admin/incidents/incident/?q=12")) == ["SHOP-12 Incident number 12"]
    assert titles(client.get("/admin/incidents/incident/?q=%2310")) == ["SHOP-10 Incident number 10"]


def test_words_and_non_references_use_the_text_search(client, manager, project):
    declare(project, title="Region us-1 down")
    declare(project, title="Checkout slow")
    declare(project, title="Error 500 on search")
    client.force_login(manager)
    # Looks like a reference, is none: searched as text.
    assert titles(client.get("/admin/incidents/incident/?q=us-1")) == ["SHOP-1 Region us-1 down"]
    assert titles(client.get("/admin/incidents/incident/?q=slow")) == ["SHOP-2 Checkout slow"]
    # A number no incident has is searched as text too.
    assert titles(client.get("/admin/incidents/incident/?q=500")) == ["SHOP-3 Error 500 on search"]


def test_a_hash_finds_the_evidence_record_and_a_number_its_id(client, manager, project):
    first = log_evidence(project=project, kind="manual", summary="first", payload={"a": 1}, actor=manager)
    log_evidence(project=project, kind="manual", summary="second", payload={"a": 2}, actor=manager)
    client.force_login(manager)
    found = client.get(f"/admin/opsportal/evidencerecord/?q={first.payload_sha256.upper()}")
    assert [r.pk for r in found.context["cl"].result_list] == [first.pk]
    found = client.get(f"/admin/opsportal/evidencerecord/?q={first.pk}")
    assert [r.pk for r in found.context["cl"].result_list] == [first.pk]
    found = client.get("/admin/opsportal/evidencerecord/?q=second")
    assert [r.summary for r in found.context["cl"].result_list] == ["second"]


def make_dated_notifications(moments):
    for moment in moments:
        note = Notification.objects.create(key=f"k-{moment:%Y%m%d}", recipients=["a@example.com"],
                                           subject=f"at {moment:%Y-%m-%d}", body="-")
        Notification.objects.filter(pk=note.pk).update(created_at=moment)  # auto_now_add set "now"


def test_date_drilldown_lists_years_from_first_to_last_without_distinct(client, manager, settings):
    settings.TIME_ZONE = "UTC"
    make_dated_notifications([datetime(2024, 3, 5, tzinfo=UTC), datetime(2026, 7, 9, tzinfo=UTC)])
    url = "/admin/opsportal/notification/"
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    html = page.content.decode()
    for year in ("2024", "2025", "2026"):
        assert f"created_at__year={year}" in html
    assert "created_at__year=2023" not in html and "created_at__year=2027" not in html
    assert not [q for q in ctx.captured_queries if "DISTINCT" in q["sql"].upper()]

    year = client.get(url + "?created_at__year=2026").content.decode()
    assert year.count("created_at__month=") == 12
    month = client.get(url + "?created_at__year=2026&created_at__month=2")
    assert month.content.decode().count("created_at__day=") == 28
    day = client.get(url + "?created_at__year=2026&created_at__month=7&created_at__day=9")
    assert [r.subject for r in day.context["cl"].result_list] == ["at 2026-07-09"]


def test_small_tables_keep_djangos_drilldown(client, manager, project):
    client.force_login(manager)
    page = client.get("/admin/retros/retrospective/")
    assert page.status_code == 200  # Django's own date_hierarchy tag (no rows: nothing to show)


def test_words_in_alert_labels_find_each_incident_once_without_distinct(client, manager, project):
    from django.utils import timezone

    from incidents.models import Alert
    from incidents.services.alerts import alert_integration_create

    integration, _ = alert_integration_create(project=project, name="am")
    incident = declare(project, title="Payments failing")
    declare(project, title="Something else")
    for i in range(2):  # two matching alerts: a join would list the incident twice
        Alert.objects.create(integration=integration, project=project, incident=incident, fingerprint=f"f{i}",
                             alert_name="PaymentsDown", status="firing", labels={"cluster": "eu-west-7"},
                             labels_text="cluster=eu-west-7", starts_at=timezone.now(), last_received_at=timezone.now())
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/admin/incidents/incident/?q=eu-west-7+payments")
    assert titles(response) == ["SHOP-1 Payments failing"]
    assert not [q for q in ctx.captured_queries if "DISTINCT" in q["sql"].upper()]

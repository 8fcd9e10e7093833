"""The timeline changelist (every incident's entries): scoped, filtered by kind and incident (autocomplete),
searched by reference, number and words, drilled down by date, and read-only."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import IncidentEvent
from incidents.services import incident_add_note
from opsportal.access.models import ProjectMembership
from tests.factories import ProjectFactory
from tests.incidents.factories import declare

TIMELINE = "/admin/incidents/incidentevent/"


def texts(response):
    assert response.status_code == 200
    return sorted(e.text for e in response.context["cl"].result_list)


def test_lists_only_the_users_projects_newest_first(client, manager, project):
    ours = declare(project, title="Checkout errors")
    incident_add_note(incident=ours, text="Rolled back the deploy", actor=manager)
    elsewhere = ProjectFactory(slug="elsewhere")
    ProjectMembership.objects.filter(project=elsewhere, user=manager).delete()  # not one of the manager's
    theirs = declare(elsewhere, title="Elsewhere outage")
    incident_add_note(incident=theirs, text="Secret note of another project")
    client.force_login(manager)
    response = client.get(TIMELINE)
    shown = list(response.context["cl"].result_list)
    assert {e.incident_id for e in shown} == {ours.pk}
    assert shown == sorted(shown, key=lambda e: (e.occurred_at, e.pk), reverse=True)
    html = response.content.decode()
    assert "Secret note" not in html and ours.reference in html
    assert f"/admin/incidents/incident/{ours.pk}/change/" in html  # the incident column links to it
    assert client.get(f"{TIMELINE}{IncidentEvent.objects.get(text__startswith='Secret').pk}/change/"
                      ).status_code in (302, 404)


def test_filters_by_kind_and_incident_and_searches(client, manager, project):
    first, second = declare(project, title="Checkout errors"), declare(project, title="Search latency")
    incident_add_note(incident=first, text="Payments provider timing out", actor=manager)
    incident_add_note(incident=second, text="Index rebuild finished", actor=manager)
    client.force_login(manager)
    html = client.get(TIMELINE).content.decode()
    assert 'data-field-name="incident"' in html  # the incident filter is a search box, not a list
    assert texts(client.get(f"{TIMELINE}?kind__exact=note")) == ["Index rebuild finished",
                                                                  "Payments provider timing out"]
    assert all(e.incident_id == second.pk
               for e in client.get(f"{TIMELINE}?incident__id__exact={second.pk}").context["cl"].result_list)
    assert texts(client.get(f"{TIMELINE}?q=provider+timing")) == ["Payments provider timing out"]
    by_reference = client.get(f"{TIMELINE}?q={first.reference.lower()}").context["cl"].result_list
    assert {e.incident_id for e in by_reference} == {first.pk} and len(by_reference) >= 2  # declared + note
    note = IncidentEvent.objects.get(text="Index rebuild finished")
    assert texts(client.get(f"{TIMELINE}?q={note.pk}")) == ["Index rebuild finished"]


def test_date_drill_down_and_read_only(client, manager, project):
    incident = declare(project)
    earlier = incident_add_note(incident=incident, text="Back-dated scribe note", actor=manager,
                                occurred_at=incident.declared_at - timedelta(days=40))
    client.force_login(manager)
    when = timezone.localtime(earlier.occurred_at)  # the drill-down is by the local day (TIME_ZONE)
    drilled = client.get(f"{TIMELINE}?occurred_at__year={when.year}&occurred_at__month={when.month}"
                         f"&occurred_at__day={when.day}")
    assert "Back-dated scribe note" in texts(drilled)
    assert client.get(f"{TIMELINE}add/").status_code == 403
    detail = client.get(f"{TIMELINE}{earlier.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()


def test_constant_queries_whatever_the_rows(client, manager, project):
    client.force_login(manager)
    incident = declare(project)
    client.get(TIMELINE)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(TIMELINE).status_code == 200
        return len(ctx)

    few = queries()
    for i in range(15):
        incident_add_note(incident=declare(project, title=f"More {i}"), text=f"note {i}", actor=manager)
    incident_add_note(incident=incident, text="one more", actor=manager)
    assert queries() == few <= 20


def test_a_manager_of_no_project_gets_an_empty_list_not_an_error(client, manager, project):
    incident_add_note(incident=declare(project), text="Not for a non-member", actor=manager)
    ProjectMembership.objects.filter(user=manager).delete()
    client.force_login(manager)
    for url in (TIMELINE, "/admin/incidents/incident/", "/admin/opsportal/evidencerecord/"):
        response = client.get(url)
        assert response.status_code in (200, 403), url
        if response.status_code == 200:
            assert list(response.context["cl"].result_list) == []

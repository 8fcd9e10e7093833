"""Admin actions on "select all N" run as a background task (django-q2, inline in tests) with progress."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from incidents.models import Incident, IncidentStatus
from opsportal.models import BulkActionRun, BulkActionStatus
from tests.incidents.factories import declare

CHANGELIST = "/admin/incidents/incident/"


def test_select_all_acknowledges_in_the_background_and_records_progress(client, manager, project,
                                                                         django_capture_on_commit_callbacks):
    incidents = [declare(project, title=f"Errors {i}") for i in range(4)]
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {"action": "acknowledge_action", "select_across": "1", "index": "0",
                                            ACTION_CHECKBOX_NAME: [incidents[0].pk]}, follow=True)
    run = BulkActionRun.objects.get()
    assert run.label == "Acknowledge incidents" and run.model == "incidents.Incident"
    assert sorted(run.object_ids) == sorted(i.pk for i in incidents)
    # Tasks run inline in the test settings: the run is already finished.
    assert (run.status, run.total, run.done, run.failed) == (BulkActionStatus.FINISHED, 4, 4, 0)
    assert run.requested_by == manager and run.finished_at is not None
    assert set(Incident.objects.values_list("status", flat=True)) == {IncidentStatus.INVESTIGATING}
    messages = [str(m) for m in response.context["messages"]]
    assert any("4 rows queued for a worker" in m and f"/admin/opsportal/bulkactionrun/{run.pk}/change/" in m
               for m in messages), messages
    progress = client.get(f"/admin/opsportal/bulkactionrun/{run.pk}/change/").content.decode()
    assert '<progress value="4" max="4"></progress> 100% (4 of 4)' in progress


def test_refusals_are_counted_and_the_rest_goes_on(client, manager, project, django_capture_on_commit_callbacks):
    first = declare(project, title="Triage one")
    second = declare(project, title="Triage two")
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "close_action", "select_across": "1", "index": "0",
                                 ACTION_CHECKBOX_NAME: [first.pk]})
    run = BulkActionRun.objects.get()
    # Triage incidents cannot be closed directly: both refused, both counted, none half-done.
    assert (run.status, run.done, run.failed) == (BulkActionStatus.FINISHED, 2, 2)
    assert sorted(e.split(":")[0] for e in run.errors) == sorted([f"#{first.pk}", f"#{second.pk}"])
    assert set(Incident.objects.values_list("status", flat=True)) == {IncidentStatus.TRIAGE}


def test_a_page_selection_still_runs_in_the_request(client, manager, project):
    incident = declare(project)
    client.force_login(manager)
    client.post(CHANGELIST, {"action": "acknowledge_action", "index": "0", ACTION_CHECKBOX_NAME: [incident.pk]})
    assert not BulkActionRun.objects.exists()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING


def test_a_retried_task_does_not_apply_twice(project, manager, django_capture_on_commit_callbacks):
    from opsportal.services.bulk import bulk_action_execute, bulk_action_start

    incident = declare(project)
    with django_capture_on_commit_callbacks(execute=True):
        run = bulk_action_start(queryset=Incident.objects.all(), operation="incidents.bulk.acknowledge",
                                label="Acknowledge incidents", actor=manager)
    run.refresh_from_db()
    assert run.status == BulkActionStatus.FINISHED
    again = bulk_action_execute(run.pk)
    assert (again.done, again.failed) == (1, 0)
    assert incident.events.filter(kind="status_change").count() == 1

"""The other admin actions of unbounded tables on "select all N" (opsportal.admin.bulk.bulk_capable):
action items, incident severity (a two-step action with a form) and the email outbox."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from incidents.models import ActionItemStatus, Incident
from incidents.services import action_item_create, action_item_set_status
from opsportal.models import BulkActionRun, BulkActionStatus, Notification, NotificationStatus
from tests.incidents.factories import declare

ITEMS = "/admin/incidents/actionitem/"


def post_all(client, url, action, first_pk, capture, **extra):
    with capture(execute=True):
        return client.post(url, {"action": action, "select_across": "1", "index": "0",
                                 ACTION_CHECKBOX_NAME: [first_pk], **extra}, follow=True)


def test_select_all_action_items_mark_done_runs_in_the_background(client, manager, operator, project,
                                                                  django_capture_on_commit_callbacks):
    items = [action_item_create(project=project, title=f"Fix {i}", owner=operator) for i in range(3)]
    client.force_login(manager)
    response = post_all(client, ITEMS, "mark_done", items[0].pk, django_capture_on_commit_callbacks)
    run = BulkActionRun.objects.get()
    assert (run.label, run.model, run.operation) == ("Mark action items done", "incidents.ActionItem",
                                                     "incidents.bulk.action_item_mark_done")
    assert (run.status, run.total, run.done, run.failed) == (BulkActionStatus.FINISHED, 3, 3, 0)
    assert {i.status for i in type(items[0]).objects.all()} == {ActionItemStatus.DONE}
    assert any("3 rows queued" in str(m) for m in response.context["messages"])


def test_select_all_reopen_carries_the_comment_and_counts_refusals(client, manager, operator, project,
                                                                   django_capture_on_commit_callbacks):
    done = action_item_set_status(item=action_item_create(project=project, title="Done", owner=operator),
                                  status=ActionItemStatus.DONE, actor=operator)
    still_open = action_item_create(project=project, title="Open", owner=operator)
    client.force_login(manager)
    post_all(client, ITEMS, "reopen", done.pk, django_capture_on_commit_callbacks, comment="Regressed on Monday")
    run = BulkActionRun.objects.get()
    assert run.kwargs == {"comment": "Regressed on Monday"}
    assert (run.status, run.done) == (BulkActionStatus.FINISHED, 2)
    done.refresh_from_db()
    assert done.status == ActionItemStatus.OPEN
    assert run.failed == 1 and run.errors[0].startswith(f"#{still_open.pk}:")  # an open item cannot reopen


def test_a_page_of_action_items_still_runs_in_the_request(client, manager, operator, project):
    item = action_item_create(project=project, title="Fix", owner=operator)
    client.force_login(manager)
    client.post(ITEMS, {"action": "mark_done", "index": "0", ACTION_CHECKBOX_NAME: [item.pk]})
    assert not BulkActionRun.objects.exists()
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE


def test_change_severity_on_select_all_asks_first_then_queues_the_confirmed_choice(
        client, manager, project, django_capture_on_commit_callbacks):
    incidents = [declare(project, title=f"Errors {i}", severity="SEV3") for i in range(3)]
    client.force_login(manager)
    form = post_all(client, "/admin/incidents/incident/", "change_severity_action", incidents[0].pk,
                    django_capture_on_commit_callbacks)
    html = form.content.decode()
    assert not BulkActionRun.objects.exists()  # the form step: nothing queued yet
    assert '<input type="hidden" name="select_across" value="1">' in html
    post_all(client, "/admin/incidents/incident/", "change_severity_action", incidents[0].pk,
             django_capture_on_commit_callbacks, confirm="1", severity="SEV1", reason="Checkout down for all")
    run = BulkActionRun.objects.get()
    assert run.kwargs == {"severity": "SEV1", "reason": "Checkout down for all"}
    assert (run.status, run.done, run.failed) == (BulkActionStatus.FINISHED, 3, 0)
    assert set(Incident.objects.values_list("severity", flat=True)) == {"SEV1"}


def test_an_invalid_confirmation_queues_nothing(client, manager, project, django_capture_on_commit_callbacks):
    incident = declare(project, severity="SEV3")
    client.force_login(manager)
    response = post_all(client, "/admin/incidents/incident/", "change_severity_action", incident.pk,
                        django_capture_on_commit_callbacks, confirm="1", severity="SEV9")
    assert not BulkActionRun.objects.exists()
    assert "severity" in response.context["form"].errors
    incident.refresh_from_db()
    assert incident.severity == "SEV3"


def test_select_all_requeues_dead_letters_and_refuses_the_rest(admin_client, django_capture_on_commit_callbacks):
    dead = [Notification.objects.create(key=f"dead-{i}", recipients=["a@example.com"], subject="s", body="b",
                                        status=NotificationStatus.FAILED, attempts=5) for i in range(2)]
    sent = Notification.objects.create(key="sent", recipients=["a@example.com"], subject="s", body="b",
                                       status=NotificationStatus.SENT)
    post_all(admin_client, "/admin/opsportal/notification/", "requeue", dead[0].pk,
             django_capture_on_commit_callbacks)
    run = BulkActionRun.objects.get()
    assert (run.status, run.total, run.done, run.failed) == (BulkActionStatus.FINISHED, 3, 3, 1)
    assert run.errors == [f"#{sent.pk}: not dead-lettered (already queued or sent): left as it is"]
    assert dict(Notification.objects.values_list("key", "status")) == {
        "dead-0": NotificationStatus.QUEUED, "dead-1": NotificationStatus.QUEUED, "sent": NotificationStatus.SENT}

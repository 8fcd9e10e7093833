from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from incidents.models import ActionItem, ActionItemStatus
from incidents.services import action_item_create, action_item_reopen, action_item_set_status, action_item_verify
from incidents.services.action_items import action_items_escalate, action_items_send_overdue_digests
from opsportal.errors import FourEyesViolation, InvalidTransition
from opsportal.models import Approval, EvidenceRecord, Notification
from opsportal.selectors import get_evidence
from tests.clock import awkward_instants, frozen_at

pytestmark = pytest.mark.django_db
St = ActionItemStatus


@awkward_instants
def test_due_date_defaults_from_priority(project, operator, awkward_now):
    with frozen_at(awkward_now):
        items = {p: action_item_create(project=project, title="Fix", owner=operator, priority=p)
                 for p in ("P1", "P2", "P3")}
    today = timezone.localdate(awkward_now)  # the deployment's day at that instant (TIME_ZONE)
    assert {p: (item.due_date - today).days for p, item in items.items()} == {"P1": 15, "P2": 30, "P3": 60}


@awkward_instants
def test_due_days_are_configurable(project, operator, settings, awkward_now):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "ACTION_ITEM_DUE_DAYS": {"P1": 7}}
    with frozen_at(awkward_now):
        item = action_item_create(project=project, title="Fix", owner=operator, priority="P1")
    assert item.due_date == timezone.localdate(awkward_now) + timedelta(days=7)


def test_bad_input_names_the_fields(project):
    with pytest.raises(ValidationError) as exc:
        action_item_create(project=project, title=" ", owner=None, type="pray", priority="P9",
                           ticket_url="ftp://x")
    assert set(exc.value.message_dict) == {"title", "owner", "type", "priority", "ticket_url"}


def test_status_flow_and_wont_do_needs_a_reason(project, operator):
    item = action_item_create(project=project, title="Fix", owner=operator)
    item = action_item_set_status(item=item, status=St.IN_PROGRESS, actor=operator)
    item = action_item_set_status(item=item, status=St.DONE, actor=operator)
    assert item.completed_at is not None
    with pytest.raises(InvalidTransition):
        action_item_set_status(item=item, status=St.WONT_DO, actor=operator, reason="x")
    item = action_item_reopen(item=item, actor=operator)
    assert (item.status, item.completed_at) == (St.OPEN, None)
    with pytest.raises(ValidationError) as exc:
        action_item_set_status(item=item, status=St.WONT_DO, actor=operator)
    assert "reason" in exc.value.message_dict
    item = action_item_set_status(item=item, status=St.WONT_DO, actor=operator, reason="Service retired.")
    assert item.wont_do_reason == "Service retired."


def test_prevent_and_detect_items_await_verification_by_a_manager_not_the_owner(project, operator, manager,
                                                                                 manager2):
    item = action_item_create(project=project, title="Alert on queue depth", type="detect", owner=manager)
    process = action_item_create(project=project, title="Update on-call guide", type="process", owner=manager)
    with pytest.raises(InvalidTransition):
        action_item_verify(item=item, actor=manager2, comment="Too early")
    item = action_item_set_status(item=item, status=St.DONE, actor=manager)
    process = action_item_set_status(item=process, status=St.DONE, actor=manager)
    assert item.awaiting_verification and not process.awaiting_verification
    assert list(ActionItem.objects.awaiting_verification()) == [item]
    with pytest.raises(PermissionDenied):
        action_item_verify(item=item, actor=operator, comment="Looks fine")
    with pytest.raises(FourEyesViolation):
        action_item_verify(item=item, actor=manager, comment="Mine works")
    with pytest.raises(ValidationError):
        action_item_verify(item=item, actor=manager2, comment="")
    item = action_item_verify(item=item, actor=manager2, comment="Alert fired in the game day on 24 Nov.")
    assert item.verified_by == manager2 and item.verified_at is not None
    approval = Approval.objects.get(kind="improvement_action")
    assert (approval.approver, approval.decision, approval.comment) == (manager2, "approve",
                                                                         "Alert fired in the game day on 24 Nov.")
    assert EvidenceRecord.objects.filter(kind="improvement", payload__action_item_id=item.pk).exists()
    with pytest.raises(InvalidTransition):
        action_item_reopen(item=item, actor=manager2)
    improvements = get_evidence(project)["improvements"]
    assert {(i["title"], i["verification"]) for i in improvements} == {
        ("Alert on queue depth", "verified"), ("Update on-call guide", "not_required")}


def test_manager_reopening_an_unverified_item_records_that_it_did_not_work(project, operator, manager):
    item = action_item_create(project=project, title="Rate limit", type="prevent", owner=operator)
    item = action_item_set_status(item=item, status=St.DONE, actor=operator)
    with pytest.raises(ValidationError):
        action_item_reopen(item=item, actor=manager, comment="")
    item = action_item_reopen(item=item, actor=manager, comment="Load test still overwhelms checkout.")
    assert item.status == St.OPEN
    assert Approval.objects.get().decision == "request_changes"


@awkward_instants
def test_overdue_digest_is_one_per_owner_per_day(project, operator, manager, awkward_now):
    today = timezone.localdate(awkward_now)
    for title in ("A", "B", "C"):
        action_item_create(project=project, title=title, owner=operator, due_date=today - timedelta(days=1))
    action_item_create(project=project, title="D", owner=manager, due_date=today - timedelta(days=2))
    action_item_create(project=project, title="Not yet", owner=manager, due_date=today)
    assert action_items_send_overdue_digests(today) == 2
    assert action_items_send_overdue_digests(today) == 0
    digest = Notification.objects.get(key=f"actionitems-overdue:{operator.pk}:{today.isoformat()}")
    assert "3 overdue" in digest.subject and all(t in digest.body for t in ("A", "B", "C"))
    assert action_items_send_overdue_digests(today + timedelta(days=1)) == 2  # next day, again


@awkward_instants
def test_escalation_after_14_days_goes_to_managers_once(project, operator, manager, manager2, awkward_now):
    today = timezone.localdate(awkward_now)
    late = action_item_create(project=project, title="Very late", owner=operator, due_date=today - timedelta(days=15))
    action_item_create(project=project, title="Just late", owner=operator, due_date=today - timedelta(days=14))
    assert action_items_escalate(today) == 1
    assert action_items_escalate(today + timedelta(days=1)) == 1  # "Just late" crosses the line the next day
    assert action_items_escalate(today + timedelta(days=2)) == 0  # each only once
    notification = Notification.objects.get(key=f"actionitem-escalation:{late.pk}")
    assert sorted(notification.recipients) == sorted([manager.email, manager2.email])


def test_escalation_days_configurable(project, operator, manager, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "ACTION_ITEM_ESCALATE_AFTER_DAYS": 3}
    today = timezone.localdate()
    action_item_create(project=project, title="Late", owner=operator, due_date=today - timedelta(days=4))
    assert action_items_escalate(today) == 1


def test_admin_filters_and_actions(client, project, operator, manager, manager2):
    today = timezone.localdate()
    late = action_item_create(project=project, title="Late item", owner=operator, due_date=today - timedelta(days=2))
    done = action_item_create(project=project, title="Done detect", type="detect", owner=manager)
    action_item_set_status(item=done, status=St.DONE, actor=manager)
    url = reverse("admin:incidents_actionitem_changelist")
    client.force_login(manager2)
    overdue_page = client.get(url, {"followup": "overdue"}).content.decode()
    assert "Late item" in overdue_page and "Done detect" not in overdue_page and "overdue 2 days" in overdue_page
    awaiting_page = client.get(url, {"followup": "awaiting_verification"}).content.decode()
    assert "Done detect" in awaiting_page and "Late item" not in awaiting_page
    response = client.post(url, {"action": "verify", "_selected_action": [done.pk], "confirm": "1",
                                 "comment": "Caught the last regression."}, follow=True)
    assert response.status_code == 200
    done.refresh_from_db()
    assert done.verified_by == manager2
    client.post(url, {"action": "mark_done", "_selected_action": [late.pk]})
    late.refresh_from_db()
    assert late.status == St.DONE
    client.force_login(operator)
    choices = [value for value, _label in client.get(url).context["action_form"].fields["action"].choices]
    assert "verify" not in choices and "mark_done" in choices


def test_admin_changelist_query_count_is_constant(client, project, operator, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n):
        for _ in range(n):
            action_item_create(project=project, title=f"Item {ActionItem.objects.count()}", owner=operator)

    url = reverse("admin:incidents_actionitem_changelist")
    client.force_login(manager)
    make(5)
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    make(60)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(five) == len(many)


def test_item_page_verifies_and_changes_status(client, project, operator, manager):
    item = action_item_create(project=project, title="Alert on refunds", type="detect", owner=operator)
    page_url = reverse("admin:incidents_actionitem_change", args=[item.pk])
    decide = reverse("admin:incidents_actionitem_decide", args=[item.pk])
    client.force_login(operator)
    client.post(decide, {"step": "done"})
    item.refresh_from_db()
    assert item.status == St.DONE
    assert 'id="ai-verify"' not in client.get(page_url).content.decode()  # the owner cannot verify
    assert client.post(decide, {"step": "verify", "comment": "mine"}).status_code == 403
    client.force_login(manager)
    page = client.get(page_url).content.decode()
    assert "awaiting verification" in page and 'id="ai-verify"' in page
    response = client.post(decide, {"step": "verify", "comment": ""}, follow=True)
    assert "Not changed" in response.content.decode()
    client.post(decide, {"step": "verify", "comment": "Refund alert fired in staging."})
    item.refresh_from_db()
    assert item.verified_by == manager

"""issue 17: the email outbox: back-off, sweep, dead letter, admin requeue (clock passed explicitly)."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail

from opsportal.models import Notification, NotificationStatus
from opsportal.services.notifications import (
    backoff,
    email_outbox_sweep,
    notification_requeue,
)

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def queued(key="k", at=T0):
    return Notification.objects.create(key=key, recipients=["a@example.com"], subject=f"about {key}", body="b",
                                       next_attempt_at=at)


def test_backoff_doubles_from_the_base(settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "EMAIL_RETRY_BASE_SECONDS": 60}
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]


def test_sweep_retries_with_backoff_until_sent(db, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "EMAIL_MAX_ATTEMPTS": 5, "EMAIL_RETRY_BASE_SECONDS": 60}
    row = queued()
    outcomes = iter([OSError("refused"), OSError("451 try later"), None])

    def flaky(*args, **kwargs):
        outcome = next(outcomes)
        if outcome:
            raise outcome
        return mail.send_mail(*args, **kwargs)

    with mock.patch("opsportal.services.notifications.send_mail", side_effect=flaky):
        assert email_outbox_sweep(now=T0) == 1                      # attempt 1 fails
        row.refresh_from_db()
        assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 1, T0 + timedelta(minutes=1))
        assert email_outbox_sweep(now=T0 + timedelta(seconds=59)) == 0   # not due yet
        assert email_outbox_sweep(now=T0 + timedelta(minutes=1)) == 1    # attempt 2 fails
        row.refresh_from_db()
        assert (row.attempts, row.next_attempt_at) == (2, T0 + timedelta(minutes=3))
        assert email_outbox_sweep(now=T0 + timedelta(minutes=3)) == 1    # attempt 3 succeeds
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 3, T0 + timedelta(minutes=3), "")
    assert [m.subject for m in mail.outbox] == ["about k"]
    assert email_outbox_sweep(now=T0 + timedelta(hours=1)) == 0


def test_dead_letter_after_the_last_attempt_and_requeue(db, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "EMAIL_MAX_ATTEMPTS": 3, "EMAIL_RETRY_BASE_SECONDS": 60}
    row = queued()
    with mock.patch("opsportal.services.notifications.send_mail", side_effect=TimeoutError("timed out")):
        for minute in (0, 1, 3):
            email_outbox_sweep(now=T0 + timedelta(minutes=minute))
        row.refresh_from_db()
        assert (row.status, row.attempts) == (NotificationStatus.FAILED, 3)
        assert row.last_error == "TimeoutError: timed out"
        assert email_outbox_sweep(now=T0 + timedelta(days=1)) == 0   # dead letters are left alone
    assert notification_requeue(notification=row, now=T0 + timedelta(days=1)) is True
    assert notification_requeue(notification=row) is False           # only dead letters
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 0)
    email_outbox_sweep(now=T0 + timedelta(days=1))
    row.refresh_from_db()
    assert row.status == "sent"


def test_one_broken_row_does_not_stop_the_sweep(db):
    first, second = queued("a"), queued("b")
    from opsportal.services import outbox

    real = outbox.outbox_attempt

    def crash_on_first(channel, entry_id, now=None):
        if entry_id == first.pk:
            raise RuntimeError("bug")
        return real(channel, entry_id, now=now)

    with mock.patch("opsportal.services.outbox.outbox_attempt", side_effect=crash_on_first):
        assert email_outbox_sweep(now=T0) == 2
    second.refresh_from_db()
    assert second.status == "sent"


def test_email_timeout_is_set(settings):
    from django.core.mail import get_connection

    from opsportal import settings as production

    assert production.EMAIL_TIMEOUT == 10
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert connection.timeout == settings.EMAIL_TIMEOUT


@pytest.mark.django_db
def test_admin_shows_dead_letters_and_managers_requeue_them(client, manager, operator, project):
    dead = queued("dead")
    Notification.objects.filter(pk=dead.pk).update(status=NotificationStatus.FAILED, attempts=5,
                                                   last_error="SMTPRecipientsRefused", project=project)
    client.force_login(operator)
    page = client.get("/admin/opsportal/notification/?status__exact=failed")
    assert page.status_code == 200 and b"SMTPRecipientsRefused" in page.content
    assert b"Queue the selected dead letters (failed) again" not in page.content
    client.force_login(manager)
    page = client.get("/admin/opsportal/notification/?status__exact=failed")
    assert b"Queue the selected dead letters (failed) again" in page.content
    response = client.post("/admin/opsportal/notification/", {"action": "requeue", "_selected_action": [dead.pk]})
    assert response.status_code == 302
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("queued", 0)


@pytest.mark.no_group_memberships
def test_a_message_to_a_person_outside_any_project_is_read_by_the_organisations_managers_only(
        client, roles, project):
    """A digest lists items of several projects: not every signed-in user's business, nor that of a
    project's members. The organisation's Managers (who run the Outbox) see it; a project's messages
    are its members' (a project Manager sees those only; the organisation Manager here is in none)."""
    from django.contrib.auth.models import Group

    from opsportal.access.services import membership_grant
    from opsportal.models import OutboxMessage
    from opsportal.roles import MANAGERS
    from tests.factories import UserFactory

    digest = queued("actionitems-overdue:7:2026-03-29")
    incident_mail = queued("incident-declared:1")
    Notification.objects.filter(pk=incident_mail.pk).update(project=project)
    org_manager = UserFactory(username="org-manager", is_staff=True)
    org_manager.groups.add(Group.objects.get(name=MANAGERS))
    project_manager = UserFactory(username="project-manager", is_staff=True)
    membership_grant(project=project, user=project_manager, role="manager", enforce=False)
    for user, expected in ((org_manager, {digest.pk}), (project_manager, {incident_mail.pk})):
        client.force_login(user)
        page = client.get("/admin/opsportal/notification/")
        assert page.status_code == 200
        assert {row.pk for row in page.context["cl"].result_list} == expected, user
        outbox = client.get("/admin/opsportal/outboxmessage/")
        assert {row.pk for row in outbox.context["cl"].result_list} == expected, user
        assert user.has_perm("opsportal.view_notification", digest) == (user is org_manager)
        assert user.has_perm("opsportal.view_outboxmessage", OutboxMessage.objects.get(pk=digest.pk)) == (
            user is org_manager)
    client.force_login(project_manager)
    assert client.get(f"/admin/opsportal/notification/{digest.pk}/change/").status_code in (302, 403, 404)

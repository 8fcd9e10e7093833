from unittest import mock

import pytest
from django.core import mail

from opsportal.models import Notification
from opsportal.services.notifications import notification_send, notify_once


@pytest.mark.django_db(transaction=True)
def test_same_key_sends_once(operator):
    operator.email = "omar@example.com"
    operator.save()
    first = notify_once(key="digest:omar:2026-11-26", users=[operator], subject="3 overdue items", body="...")
    second = notify_once(key="digest:omar:2026-11-26", users=[operator], subject="3 overdue items", body="...")
    assert first is not None and second is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["omar@example.com"]
    assert Notification.objects.get().status == "sent"


def test_nobody_to_tell_creates_nothing(db):
    assert notify_once(key="k", users=[], subject="s", body="b") is None
    assert not Notification.objects.exists()


def test_failed_send_is_recorded_and_left_in_the_outbox(db):
    notification = Notification.objects.create(key="k", recipients=["a@example.com"], subject="s", body="b")
    with mock.patch("opsportal.services.notifications.send_mail", side_effect=OSError("smtp down")):
        assert notification_send(notification.pk) == "queued"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("queued", 1)
    assert "smtp down" in notification.last_error
    # Not due yet: a second attempt right away does nothing.
    assert notification_send(notification.pk) == "queued"
    notification.refresh_from_db()
    assert notification.attempts == 1

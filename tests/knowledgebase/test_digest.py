"""Daily stale-documentation digest (one per owner per day) and overdue-training reminders."""

from datetime import timedelta
from unittest import mock

from django.core import mail
from django.utils import timezone

from knowledgebase import services, tasks
from knowledgebase.models import ArticleKind
from knowledgebase.schedules import SCHEDULES
from opsportal.models import Notification
from tests.factories import UserFactory


def _stale(article_factory, owner, days=200, **fields):
    article = article_factory(None, owner=owner, publish=True, **fields)
    return services.article_set_last_review(article=article, reviewed_at=timezone.now() - timedelta(days=days))


def test_daily_schedule_is_declared():
    entry = next(e for e in SCHEDULES if e["func"] == "knowledgebase.tasks.daily_documentation_check")
    assert entry["schedule_type"] == "D"


def test_one_digest_per_owner_listing_each_stale_article(article_factory, django_capture_on_commit_callbacks):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    _stale(article_factory, ann, title="Restart checkout")
    _stale(article_factory, ann, title="Rotate keys")
    _stale(article_factory, bob, title="Search reindex")
    article_factory(None, owner=bob, publish=True, title="Fresh one")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.stale_digests_send()
    assert result == {"stale": 3, "owners": 2, "sent": 2, "failed": 0, "unowned": 0}
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"ann@example.com", "bob@example.com"}
    assert "Restart checkout" in by_recipient["ann@example.com"].body
    assert "Rotate keys" in by_recipient["ann@example.com"].body
    assert "Fresh one" not in by_recipient["bob@example.com"].body
    assert by_recipient["ann@example.com"].subject == "[OpsPortal] 2 stale article(s) to review"


def test_second_run_the_same_day_sends_nothing(article_factory, django_capture_on_commit_callbacks):
    _stale(article_factory, UserFactory(username="ann"))
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.daily_documentation_check()
        second = tasks.daily_documentation_check()
    assert (first["stale"]["sent"], second["stale"]["sent"]) == (1, 0)
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(key__startswith="kb.stale-digest:").count() == 1


def test_next_day_sends_again(article_factory):
    _stale(article_factory, UserFactory(username="ann"))
    services.stale_digests_send()
    services.stale_digests_send(now=timezone.now() + timedelta(days=1))
    assert Notification.objects.filter(key__startswith="kb.stale-digest:").count() == 2


def test_one_owner_failing_does_not_stop_the_others(article_factory):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    _stale(article_factory, ann)
    _stale(article_factory, bob)
    real = services.digests.notify_once

    def flaky(**kwargs):
        if "ann@example.com" in [u.email for u in kwargs["users"]]:
            raise RuntimeError("mail backend down")
        return real(**kwargs)

    with mock.patch("knowledgebase.services.digests.notify_once", side_effect=flaky):
        result = services.stale_digests_send()
    assert (result["sent"], result["failed"]) == (1, 1)
    assert Notification.objects.get().recipients == ["bob@example.com"]


def test_unowned_stale_articles_are_counted(article_factory):
    _stale(article_factory, None)
    assert services.stale_digests_send()["unowned"] == 1


def test_overdue_training_reminder_once_a_week(article_factory, manager, django_capture_on_commit_callbacks):
    learner = UserFactory(username="learner")
    article = article_factory(manager, kind=ArticleKind.TRAINING, publish=True, title="On-call basics")
    services.training_assign(article=article, due_on=timezone.localdate() - timedelta(days=1), actor=manager,
                             users=[learner])
    with django_capture_on_commit_callbacks(execute=True):
        first = services.overdue_training_reminders_send()
        second = services.overdue_training_reminders_send()
    assert (first["sent"], second["sent"]) == (1, 0)
    assert "On-call basics" in mail.outbox[0].body and mail.outbox[0].to == ["learner@example.com"]


def test_digest_links_use_the_portal_address(article_factory, settings):
    settings.OPSPORTAL_BASE_URL = "https://ops.example/"
    article = _stale(article_factory, UserFactory(username="ann"))
    services.stale_digests_send()
    assert f"https://ops.example/admin/knowledgebase/article/{article.pk}/change/" in Notification.objects.get().body

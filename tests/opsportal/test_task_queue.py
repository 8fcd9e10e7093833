"""opsportal.task_queue: one broker per thread on Redis, none kept on the ORM broker."""

import threading
import uuid

import pytest
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf

from opsportal import task_queue
from tests.conftest import require_external
from tests.qcluster import redis_reachable, redis_test_url

REDIS_URL = redis_test_url(6)


@pytest.fixture
def redis_broker(monkeypatch):
    """django-q2 configured for Redis with a queue of this test's own."""
    if not redis_reachable(REDIS_URL):
        require_external(f"Redis is not reachable at {REDIS_URL}")
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "SYNC", False)  # the test settings run tasks in place
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"task-queue-{uuid.uuid4().hex[:8]}")
    monkeypatch.setattr(task_queue, "_kept", threading.local())
    yield
    broker = RedisBroker()
    broker.delete_queue()


def test_tasks_queued_from_one_thread_share_one_broker_and_connection(redis_broker):
    first = task_queue.enqueue("math.floor", 1.5)
    second = task_queue.enqueue("math.floor", 2.5)
    broker = task_queue.thread_broker()
    assert isinstance(broker, RedisBroker)
    assert first != second
    assert broker.queue_size() == 2  # both tasks are on the cluster's list
    pool = broker.connection.connection_pool
    assert len(pool._available_connections) + len(pool._in_use_connections) == 1


def test_each_thread_and_each_forked_process_gets_its_own_broker(redis_broker, monkeypatch):
    mine = task_queue.thread_broker()
    other = []
    thread = threading.Thread(target=lambda: other.append(task_queue.thread_broker()))
    thread.start()
    thread.join()
    assert other[0] is not mine
    assert task_queue.thread_broker() is mine
    monkeypatch.setattr(task_queue.os, "getpid", lambda: -1)  # as in a process forked after the first use
    assert task_queue.thread_broker() is not mine


def test_an_explicit_broker_or_cluster_is_left_to_django_q(redis_broker, monkeypatch):
    seen = []
    monkeypatch.setattr(task_queue, "async_task", lambda func, *args, **kwargs: seen.append(kwargs) or "id")
    explicit = object()
    task_queue.enqueue("math.floor", 1.5, broker=explicit)
    task_queue.enqueue("math.floor", 1.5, cluster="other")
    task_queue.enqueue("math.floor", 1.5)
    assert seen[0]["broker"] is explicit
    assert "broker" not in seen[1]  # django-q2 builds the broker of that cluster's queue
    assert seen[2]["broker"] is task_queue.thread_broker()


def test_the_orm_broker_is_not_kept(monkeypatch):
    monkeypatch.setattr(Conf, "ORM", "default")
    seen = []
    monkeypatch.setattr(task_queue, "async_task", lambda func, *args, **kwargs: seen.append(kwargs) or "id")
    assert task_queue.thread_broker() is None
    task_queue.enqueue("math.floor", 1.5)
    assert seen == [{}]


@pytest.mark.django_db
@pytest.mark.parametrize("success, kept", [(True, False), (False, True)])
def test_a_task_queued_with_successes_not_kept_keeps_only_its_failure(success, kept):
    """What outbox attempts and SLO evaluations rely on: their rows record the outcome, and a
    failure still reaches the Failed tasks list and /metrics (django-q2's monitor, as in a worker)."""
    from datetime import UTC, datetime

    from django_q.brokers import get_broker
    from django_q.models import Task
    from django_q.monitor import save_task

    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # any instant: only whether a row is stored matters
    package = {"id": uuid.uuid4().hex, "name": "outbox-attempt", "func": "opsportal.tasks.outbox_attempt",
               "args": ("email", 1), "kwargs": {}, "started": now, "stopped": now, "result": None,
               "success": success, "save": task_queue.SUCCESSES_NOT_KEPT, "sync": True}
    save_task(package, get_broker())
    assert Task.objects.filter(id=package["id"]).exists() is kept


def test_apps_queue_tasks_only_through_enqueue():
    """A direct async_task would open a Redis connection per task again (docs/EXTENSION_POINTS.md)."""
    from pathlib import Path

    from django.apps import apps as registry
    from django.conf import settings

    repo = Path(settings.BASE_DIR)
    apps = {Path(config.path) for config in registry.get_app_configs() if Path(config.path).parent == repo}
    assert repo / "experience" in apps and repo / "opsportal" in apps
    direct = [str(path.relative_to(repo)) for app in apps for path in app.rglob("*.py")
              if "async_task(" in path.read_text() and path.name != "task_queue.py"]
    assert direct == []

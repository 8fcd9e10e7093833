"""Queue a background task, reusing one broker connection per thread.

django-q2's `async_task` builds a new broker for every call unless it is given one; on Redis that is
a new connection pool and a TCP connect (and a disconnect when it is collected) per task queued:
2.4 ms of CPU per call against 0.2 ms with a kept broker, measured on the load-test machine
(bench/README.md). The webhook, measurement pushes and every outbox message queue a task, so the
web processes pay it many times a second under an alert storm.

Each thread keeps its own broker (redis-py reconnects a dropped connection on the next command;
a forked process builds a new one). The ORM broker (SQLite, `make run`) is not kept: queueing is an
insert on the request's own database connection there, and building it has side effects (it closes
stale database connections).
"""

import os
import threading

from django_q.brokers import Broker, get_broker
from django_q.conf import Conf
from django_q.tasks import async_task

_kept = threading.local()

# `save=SUCCESSES_NOT_KEPT` for a task whose outcome is recorded elsewhere (an outbox row, an SLO's
# evaluation): django-q2 then stores its result only when it fails (the Failed tasks list and
# /metrics), and a worker saves an insert and the monitor's work per task.
SUCCESSES_NOT_KEPT = False


def thread_broker() -> Broker | None:
    """This thread's broker, or None where a kept one would not help (the ORM broker)."""
    if Conf.ORM:
        return None
    broker = getattr(_kept, "broker", None)
    if broker is None or _kept.pid != os.getpid():
        broker, _kept.pid = get_broker(), os.getpid()
        _kept.broker = broker
    return broker


def enqueue(func: str, *args, **kwargs) -> str:
    """`django_q.tasks.async_task` on this thread's broker; returns the task id."""
    broker = thread_broker()
    if broker is not None and "broker" not in kwargs and "cluster" not in kwargs:
        kwargs["broker"] = broker
    return async_task(func, *args, **kwargs)

"""Two (or more) real `manage.py qcluster` processes on the Redis broker against the test database:
exactly-once tests fire a schedule twice at once and assert that the work happened once."""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from tests.conftest import require_external

REPO = Path(__file__).resolve().parents[1]


def redis_test_url(db: int) -> str:
    """The Redis the tests use: OPSPORTAL_REDIS_URL (CI sets it), else a local server's database
    `db` (modules that run real workers at once keep to databases of their own)."""
    return os.environ.get("OPSPORTAL_REDIS_URL") or f"redis://127.0.0.1:6379/{db}"


def redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def fire_twice(func: str, name: str) -> None:
    """Two schedules of `func`, both due now: two workers pick them up at the same moment."""
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    due = timezone.now() - timedelta(seconds=5)
    for schedule in (name, f"{name}.second-firing"):
        Schedule.objects.create(name=schedule, func=func, schedule_type=Schedule.MINUTES, minutes=10, repeats=-1,
                                next_run=due)


@contextmanager
def qcluster_workers(*, redis_url: str, prefix: str, count: int = 2, extra_env: dict | None = None):
    """Start `count` workers (one process each) on their own queue name; yield a function returning the
    tail of their output, with `.workers` and `.portal(code)` (Python run in a portal process on the same
    broker: its enqueues go to Redis, not inline). Workers stop, and the queue is deleted, on exit."""
    if not redis_reachable(redis_url):
        require_external(f"Redis is not reachable at {redis_url}")
    db = connection.settings_dict
    workdir = Path(tempfile.mkdtemp(prefix=f"{prefix}-qcluster-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsportal.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "OPSPORTAL_REDIS_URL": redis_url,
        "OPSPORTAL_Q_NAME": f"{prefix}-{uuid.uuid4().hex[:8]}",
        "OPSPORTAL_Q_WORKERS": "1",
        "OPSPORTAL_VAR_DIR": str(workdir),
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    logs = [open(workdir / f"qcluster-{i}.log", "w") for i in range(count)]  # closed in finally
    workers = [subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True) for log in logs]

    def output() -> str:
        return "\n".join((workdir / f"qcluster-{i}.log").read_text()[-3000:] for i in range(count))

    def portal(code: str) -> str:
        result = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=REPO,
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    output.workers, output.portal = workers, portal
    try:
        yield output
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
        for log in logs:
            log.close()
        try:
            import redis

            redis.from_url(redis_url).delete(f"django_q:{env['OPSPORTAL_Q_NAME']}:q")  # the broker's list
        except Exception:
            pass


def wait_for_tasks(func: str, count: int, workers, timeout: float = 120):
    """The tasks of `func` once `count` have run (the qcluster scheduler looks about every 30 seconds)."""
    from django_q.models import Task

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Task.objects.filter(func=func).count() >= count or any(w.poll() is not None for w in workers):
            break
        time.sleep(1)
    return list(Task.objects.filter(func=func))

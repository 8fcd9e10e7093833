"""Retention of django-q2's task results (the admin's Successful tasks).

django-q2 can cap successful results itself (`Q_CLUSTER["save_limit"]` > 0), but it does so on every
task: it locks and reads every stored success (`SELECT ... FOR UPDATE` of up to save_limit rows) to
delete the oldest. Under an alert storm that was the first lock wait in PostgreSQL and a large part of
the workers' CPU (bench/README.md, session 6). So results are kept without that cap
(`save_limit` 0) and this daily task deletes successes older than OPSPORTAL_TASK_RESULTS_DAYS, in
short batches. Failures are never deleted here: they are the Failed tasks list people work through,
and /metrics counts them.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

BATCH = 5_000


def keep_days() -> int:
    return int(settings.OPSPORTAL.get("TASK_RESULTS_KEEP_DAYS", 7))


def task_results_prune(*, now: datetime, days: int | None = None) -> int:
    """Delete successful task results that stopped more than `days` ago; returns how many."""
    from django_q.models import Success

    cutoff = now - timedelta(days=keep_days() if days is None else days)
    deleted = 0
    while True:
        with transaction.atomic():  # one short transaction per batch: workers keep saving results meanwhile
            batch = list(Success.objects.filter(stopped__lt=cutoff).order_by().values_list("pk", flat=True)[:BATCH])
            if not batch:
                return deleted
            deleted += Success.objects.filter(pk__in=batch).delete()[0]

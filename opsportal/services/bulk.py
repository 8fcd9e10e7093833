"""Admin actions on large selections, run by a worker with their progress recorded."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from opsportal.models import BulkActionRun, BulkActionStatus
from opsportal.task_queue import enqueue

PROGRESS_EVERY = 200  # rows between progress writes
MAX_ERRORS_KEPT = 100


def bulk_action_start(*, queryset, operation: str, label: str, actor, kwargs: dict | None = None) -> BulkActionRun:
    """Record the selection's ids now (what the user saw is what gets changed) and queue the run."""
    import_string(operation)  # fail here, in the request, on a wrong path
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        run = BulkActionRun.objects.create(
            label=label, operation=operation, kwargs=kwargs or {}, model=queryset.model._meta.label,
            object_ids=ids, total=len(ids), requested_by=actor,
        )
        transaction.on_commit(lambda: enqueue("opsportal.tasks.run_bulk_action", run.pk))
    return run


def bulk_action_execute(run_id: int) -> BulkActionRun:
    """Apply the operation to each row in its own transaction; a refusal is counted and kept, the rest go on."""
    run = BulkActionRun.objects.select_related("requested_by").get(pk=run_id)
    if run.status != BulkActionStatus.QUEUED:
        return run  # a retried task does not apply the action twice
    operation = import_string(run.operation)
    run.status, run.started_at = BulkActionStatus.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    try:
        for position, pk in enumerate(run.object_ids, start=1):
            try:
                operation(pk=pk, actor=run.requested_by, **run.kwargs)
            except (ValidationError, PermissionDenied, LookupError) as exc:
                run.failed += 1
                if len(run.errors) < MAX_ERRORS_KEPT:
                    run.errors.append(f"#{pk}: {'; '.join(getattr(exc, 'messages', None) or [str(exc)])}")
            run.done = position
            if position % PROGRESS_EVERY == 0:
                run.save(update_fields=["done", "failed", "errors"])
    except Exception:
        run.status, run.finished_at = BulkActionStatus.FAILED, timezone.now()
        run.save(update_fields=["done", "failed", "errors", "status", "finished_at"])
        raise
    run.status, run.finished_at = BulkActionStatus.FINISHED, timezone.now()
    run.save(update_fields=["done", "failed", "errors", "status", "finished_at"])
    return run

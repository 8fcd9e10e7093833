"""Background tasks of the core (thin: they call services)."""

import os
import socket

from django.utils import timezone

from opsportal.models import WorkerHeartbeat


def worker_heartbeat() -> str:
    """Record that a worker of this host is alive and processing scheduled work."""
    worker = f"{socket.gethostname()}:{os.getppid()}"
    WorkerHeartbeat.objects.update_or_create(worker=worker, defaults={"last_seen": timezone.now()})
    return worker


def daily_gate_report() -> dict:
    """Daily: a gate report per active project, once a day (a re-run adds nothing); ends failed
    if any project's report failed."""
    from opsportal.background import fail_if_any
    from opsportal.daily_reports import daily_gate_reports

    outcome = daily_gate_reports()
    return fail_if_any(outcome, failed=outcome["failed"], what="daily gate report")


def outbox_attempt(channel: str, entry_id: int) -> str:
    """First attempt of an outbox message (queued after the commit that created it)."""
    from opsportal.services.outbox import outbox_attempt as attempt

    return attempt(channel, entry_id)


def sweep_outbox() -> int:
    """Retry due messages of every outbox channel (back-off, dead letter after the last attempt)."""
    from opsportal.services.outbox import outbox_sweep

    return outbox_sweep()


def send_notification(notification_id: int) -> str:
    # Kept for tasks queued before the outbox was shared (issue 17): same attempt, email channel.
    return outbox_attempt("email", notification_id)


def sweep_email_outbox() -> int:
    """Retry due emails of the outbox only (back-off, dead letter after the last attempt)."""
    from opsportal.services.notifications import email_outbox_sweep

    return email_outbox_sweep()


def prune_task_results() -> int:
    """Daily: delete successful task results older than OPSPORTAL_TASK_RESULTS_DAYS (failures stay)."""
    from opsportal.task_results import task_results_prune

    return task_results_prune(now=timezone.now())


def run_bulk_action(run_id: int) -> int:
    from opsportal.services.bulk import bulk_action_execute

    return bulk_action_execute(run_id).done

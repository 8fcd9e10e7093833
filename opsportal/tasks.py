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

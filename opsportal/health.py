"""Health endpoints (no login; answered by HealthProbeMiddleware before host checks).

- /healthz/live: the process answers. No dependencies, so a liveness probe never restarts a
  healthy web process because the database, Redis or the worker is late.
- /healthz/ready: the database and the cache answer; 503 otherwise (take the process out of the
  load balancer, do not restart it).
- /healthz: for humans and monitors: database and worker heartbeat, 503 when either is down.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from opsportal.models import WorkerHeartbeat


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def worker_status() -> dict:
    max_age = settings.OPSPORTAL["WORKER_HEARTBEAT_MAX_AGE_SECONDS"]
    try:
        beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    except DatabaseError:
        return {"ok": False, "error": "database unavailable"}
    if beat is None:
        return {"ok": False, "error": "no worker has reported yet (is `manage.py qcluster` running?)"}
    age = timezone.now() - beat.last_seen
    return {
        "ok": age <= timedelta(seconds=max_age),
        "last_seen": beat.last_seen.isoformat(),
        "age_seconds": int(age.total_seconds()),
        "max_age_seconds": max_age,
    }


@never_cache
@require_GET
def healthz(request):
    database = database_status()
    worker = worker_status() if database["ok"] else {"ok": False, "error": "database unavailable"}
    healthy = database["ok"] and worker["ok"]
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "database": database, "worker": worker},
        status=200 if healthy else 503,
    )


def cache_status() -> dict:
    """Write and read back a short-lived key (Redis when configured, else the process-local cache)."""
    probe = uuid.uuid4().hex
    try:
        cache.set("opsportal:healthz:ready", probe, timeout=10)
        ok = cache.get("opsportal:healthz:ready") == probe
    except Exception as exc:  # any backend failure (connection refused, timeout) means not ready
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": ok} if ok else {"ok": False, "error": "value not read back"}


@never_cache
@require_GET
def healthz_live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def healthz_ready(request):
    database = database_status()
    cache_ = cache_status()
    ready = database["ok"] and cache_["ok"]
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "database": database, "cache": cache_},
        status=200 if ready else 503,
    )

"""Request ids, and health probes answered before host checks and the HTTPS redirect."""

import logging
import re
import time
import uuid

from opsportal.observability.logging import request_id_var

logger = logging.getLogger("opsportal.requests")
# An incoming id is kept only when it is short and plain (it ends up in logs and headers).
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy (or makes one), puts it on every log line of the
    request and on the response, and logs one line per request with status and duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={
                    "method": request.method, "path": request.path, "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class HealthProbeMiddleware:
    """/healthz, /healthz/live, /healthz/ready and /metrics answer here, before SecurityMiddleware's
    HTTPS redirect and before anything calls request.get_host(): an orchestrator probes, and
    Prometheus scrapes, a pod IP over plain HTTP, which ALLOWED_HOSTS and SECURE_SSL_REDIRECT would
    otherwise refuse. /metrics keeps its own token or address check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            from opsportal import health
            from opsportal.observability.metrics import metrics

            view = {
                "/healthz": health.healthz,
                "/healthz/live": health.healthz_live,
                "/healthz/ready": health.healthz_ready,
                "/metrics": metrics,
            }.get(request.path_info)
            if view is not None:
                return view(request)
        return self.get_response(request)

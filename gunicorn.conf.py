"""gunicorn settings for OpsPortal, from environment variables (docs/deploy.md, docs/configuration.md).

Run as `gunicorn -c gunicorn.conf.py opsportal.wsgi` (bin/run-prod does).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}")
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
# One request per process (sync workers) by default: a request spends most of its time in Python,
# not waiting on the database, so threads of one process take turns on its interpreter lock and a
# quick read waits behind a slow page in the same process. Under the load test (bench/README.md,
# session 8) 4 x 1 kept API reads' p95 under 250 ms in 6 runs of 7, 4 x 4 in 2 of 6. Threads (gthread)
# help where requests wait on I/O; behind a buffering proxy sync workers are what gunicorn advises.
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# A sync worker busy with one request longer than this is killed and restarted, a streamed response
# included (an evidence export streams ~100,000 records a second; raise it for millions).
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Keep-alive applies to gthread workers only (sync workers close each connection).
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak cannot grow without bound (jitter avoids all at once).
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# Which proxies may set X-Forwarded-For / -Proto (comma-separated IPs, `*` for any).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"))
# Django logs one JSON line per request (with its request id); gunicorn's own access log is off
# unless asked for, its error log goes to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Load the app before forking: workers share memory and a broken deploy fails at start, not per request.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") not in {"0", "false", "no", "off"}
proc_name = "opsportal-web"

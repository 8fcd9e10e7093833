"""Pulling SLI counts from a Prometheus-compatible server (Prometheus, Thanos, Mimir, VictoriaMetrics).

For each completed evaluation interval [start, end) the pull evaluates the SLO's PromQL
as an instant query at `end` (`GET <base>/api/v1/query?query=...&time=<end>`):

* A query containing `$window` gets the interval's length substituted (`1m`, `5m`, `1h`):
  `sum(increase(http_requests_total{job="checkout"}[$window]))` is the usual form. Note that
  `increase` extrapolates to the window edges, so its counts are estimates (rounded to whole
  events); `sum(http_requests_total) - sum(http_requests_total offset $window)` is exact when
  samples fall on the interval boundaries (but does not survive counter resets).
* A query without `$window` is taken as a counter selector and wrapped as
  `sum(increase(<query>[$window]))`.

Counts are stored through the push ingestion service (upsert, one row per interval), so
re-pulling an interval replaces it. Anything that is not one finite, non-negative number
(unreachable server, timeout, HTTP error, Prometheus error JSON, empty result, several
series, NaN) stops the pull of that SLO at that interval: nothing is stored for it, the SLO
records NO_DATA with the reason, and the next run retries from the same interval.
"""

import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Max

from opsportal.outbound import open_url
from slos.models import SLO, SLIMeasurement
from slos.windows import duration_label

logger = logging.getLogger(__name__)

WINDOW_PLACEHOLDER = "$window"


def _setting(name: str, default):
    return getattr(settings, name, default)


def timeout_seconds() -> float:
    """Per-request timeout: short, because the pull runs every minute for every SLO."""
    return float(_setting("SLO_PROMETHEUS_TIMEOUT", 5))


def max_intervals_per_run() -> int:
    """Catch-up is bounded: a long outage is back-filled over several runs, oldest first."""
    return int(_setting("SLO_PROMETHEUS_MAX_INTERVALS", 60))


def initial_lookback() -> timedelta:
    """How far back the first pull of an SLO starts."""
    return _setting("SLO_PROMETHEUS_INITIAL_LOOKBACK", timedelta(hours=1))


def settle_delay() -> timedelta:
    """An interval is pulled only this long after it ended, so the last scrape has landed."""
    return _setting("SLO_PROMETHEUS_SETTLE_DELAY", timedelta(seconds=30))


class PullError(Exception):
    """The server did not give one usable number; the message is the reason shown on the SLO."""


@dataclass
class PullResult:
    slo_id: int
    status: str  # PullStatus.OK or PullStatus.NO_DATA
    stored: int
    reason: str = ""


def render_query(promql: str, interval: timedelta) -> str:
    """The PromQL sent for one interval (see the module docstring for the two forms)."""
    promql = promql.strip()
    if WINDOW_PLACEHOLDER not in promql:
        promql = f"sum(increase({promql}[{WINDOW_PLACEHOLDER}]))"
    return promql.replace(WINDOW_PLACEHOLDER, duration_label(interval))


def query_instant(base_url: str, promql: str, at: datetime, *, timeout: float | None = None) -> Decimal:
    """Evaluate `promql` at `at` and return its single sample value; anything else is a PullError."""
    params = urllib.parse.urlencode({"query": promql, "time": f"{at.timestamp():.3f}"})
    url = f"{base_url.rstrip('/')}/api/v1/query?{params}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with open_url(request, timeout=timeout or timeout_seconds()) as response:  # allow-list, no redirects
            body = response.read()
    except urllib.error.HTTPError as exc:
        # Prometheus answers bad queries with 400/422 and an error JSON body: show its message.
        detail = _error_detail(exc.read())
        raise PullError(f"HTTP {exc.code} from {base_url}" + (f": {detail}" if detail else "")) from None
    except TimeoutError:
        raise PullError(f"timed out after {timeout or timeout_seconds()}s asking {base_url}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise PullError(f"timed out after {timeout or timeout_seconds()}s asking {base_url}") from None
        raise PullError(f"cannot reach {base_url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # connection reset, malformed URL
        raise PullError(f"cannot reach {base_url}: {exc}") from None
    return parse_query_response(body)


def _error_detail(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(payload, dict) and payload.get("status") == "error":
        return f"{payload.get('errorType', 'error')}: {payload.get('error', '')}".strip()
    return ""


def parse_query_response(body: bytes) -> Decimal:
    """The one finite, non-negative value of an instant query's JSON answer."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PullError("the answer is not JSON") from None
    if not isinstance(payload, dict):
        raise PullError("the answer is not a Prometheus API object")
    if payload.get("status") != "success":
        raise PullError(f"query failed: {payload.get('errorType', 'error')}: {payload.get('error', 'no reason given')}")
    data = payload.get("data") or {}
    result_type, result = data.get("resultType"), data.get("result")
    if result_type == "scalar":
        raw = result[1] if isinstance(result, list) and len(result) == 2 else None
    elif result_type == "vector" and isinstance(result, list):
        if not result:
            raise PullError("empty result: the query matched no series at that time")
        if len(result) > 1:
            raise PullError(f"the query returned {len(result)} series; aggregate it to one, e.g. with sum()")
        value = result[0].get("value") if isinstance(result[0], dict) else None
        raw = value[1] if isinstance(value, list) and len(value) == 2 else None
    else:
        raise PullError(f"unexpected result type {result_type!r}; an instant vector or scalar is needed")
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise PullError(f"the sample value {raw!r} is not a number") from None
    if number.is_nan() or not number.is_finite():
        raise PullError(f"the sample value is {raw}")
    if number < 0:
        raise PullError(f"the sample value {raw} is negative (a counter reset inside the interval?)")
    return number


def whole_events(value: Decimal) -> int:
    """Counts are whole events: `increase` extrapolates to fractions, rounded half-even."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _aligned_floor(moment: datetime, interval: timedelta) -> datetime:
    seconds = int(interval.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def pending_intervals(slo: SLO, now: datetime) -> list[tuple[datetime, datetime]]:
    """Completed intervals not pulled yet, oldest first: from the end of the last stored measurement
    (or the initial lookback, aligned to the interval; never before the SLO's window) to
    `now - settle delay`, at most the run's cap."""
    interval = slo.evaluation_interval
    last_start = SLIMeasurement.objects.filter(slo=slo).aggregate(last=Max("start"))["last"]
    horizon = now - settle_delay()
    # Nothing older than the SLO's window is worth pulling (an SLO switched from push to Prometheus
    # long after its last pushed row starts at the window's edge).
    oldest = _aligned_floor(now - timedelta(days=slo.window_days), interval)
    if last_start is not None:
        start = max(last_start + interval, oldest)
    else:
        start = max(_aligned_floor(now - initial_lookback(), interval), oldest)
    intervals = []
    while start + interval <= horizon and len(intervals) < max_intervals_per_run():
        intervals.append((start, start + interval))
        start += interval
    return intervals


def pull_counts(slo: SLO, start: datetime, end: datetime) -> dict:
    """One interval's measurement row (for `measurements_ingest`), or a PullError."""
    interval = end - start
    total = whole_events(query_instant(slo.prometheus_url, render_query(slo.promql_total, interval), end))
    if slo.promql_good.strip():
        good = whole_events(query_instant(slo.prometheus_url, render_query(slo.promql_good, interval), end))
    else:
        bad = whole_events(query_instant(slo.prometheus_url, render_query(slo.promql_bad, interval), end))
        # Extrapolated estimates of two series can disagree by a fraction; never more bad than total.
        good = total - min(bad, total)
    return {"start": start.isoformat(), "end": end.isoformat(), "good": min(good, total), "total": total}

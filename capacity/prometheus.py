"""Pulling resource usage from a Prometheus-compatible server with `/api/v1/query_range`.

The range is cut into chunks of at most MAX_POINTS steps (Prometheus refuses more than 11,000
points per series). Each pull continues where the last one stopped (`pulled_until`); a first pull
reaches back OPSPORTAL_CAPACITY_INITIAL_LOOKBACK (default 2 days). Every failure (unreachable,
HTTP error, bad query, more than one series, non-numeric values) is recorded on the resource
(`pull_status`, `pull_error`) and logged, never raised into the scheduler.
"""

import json
import logging
import math
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction

from capacity.models import DataSource, PullStatus, Resource
from capacity.services.samples import samples_store
from opsportal.outbound import OutboundRefused, open_url

logger = logging.getLogger(__name__)
MAX_POINTS = 10_000


class PullError(Exception):
    pass


def step() -> timedelta:
    return getattr(settings, "OPSPORTAL_CAPACITY_PULL_STEP", timedelta(minutes=1))


def initial_lookback() -> timedelta:
    return getattr(settings, "OPSPORTAL_CAPACITY_INITIAL_LOOKBACK", timedelta(days=2))


def timeout_seconds() -> float:
    return float(getattr(settings, "OPSPORTAL_CAPACITY_PULL_TIMEOUT", 10))


def parse_range_response(body: bytes) -> list[tuple[datetime, float]]:
    """The (time, value) points of a query_range answer holding at most one series."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PullError("the answer is not JSON") from None
    if not isinstance(payload, dict) or payload.get("status") != "success":
        raise PullError(f"query failed: {payload.get('error', 'unknown error') if isinstance(payload, dict) else ''}")
    data = payload.get("data") or {}
    if data.get("resultType") != "matrix":
        raise PullError(f"expected a range vector (matrix), got {data.get('resultType')!r}")
    series = data.get("result") or []
    if len(series) > 1:
        raise PullError(f"the query returns {len(series)} series; aggregate it to one (e.g. sum(...))")
    points = []
    for series_item in series:
        for stamp, text in series_item.get("values", []):
            try:
                value = float(text)
            except (TypeError, ValueError):
                raise PullError(f"non-numeric value {text!r}") from None
            if not math.isfinite(value) or value < 0:
                continue  # NaN / Inf / negative: no usable usage at that step
            points.append((datetime.fromtimestamp(float(stamp), tz=UTC), value))
    return points


def query_range(base_url: str, promql: str, start: datetime, end: datetime, step_: timedelta) -> list:
    params = urllib.parse.urlencode({"query": promql, "start": f"{start.timestamp():.3f}",
                                     "end": f"{end.timestamp():.3f}", "step": f"{step_.total_seconds():g}s"})
    request = urllib.request.Request(f"{base_url.rstrip('/')}/api/v1/query_range?{params}",
                                     headers={"Accept": "application/json"})
    try:
        with open_url(request, timeout=timeout_seconds()) as response:  # allow-list, no redirects
            return parse_range_response(response.read())
    except OutboundRefused as exc:
        raise PullError(f"refused: {exc}") from None
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error", "")
        except (ValueError, AttributeError, UnicodeDecodeError):
            detail = ""
        raise PullError(f"HTTP {exc.code} from {base_url}" + (f": {detail}" if detail else "")) from None
    except TimeoutError:
        raise PullError(f"timed out after {timeout_seconds()}s asking {base_url}") from None
    except urllib.error.URLError as exc:
        raise PullError(f"cannot reach {base_url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise PullError(f"cannot reach {base_url}: {exc}") from None


def resource_pull(*, resource: Resource, now: datetime) -> dict:
    """Pull the resource's usage since the last pull up to `now` (the caller's clock); record the
    outcome on the resource."""
    now = now.astimezone(UTC)
    resource.refresh_from_db(fields=["pulled_until"])  # where the previous pull (maybe another worker) stopped
    step_ = step()
    end = datetime.fromtimestamp(now.timestamp() // step_.total_seconds() * step_.total_seconds(), tz=UTC)
    start = resource.pulled_until + step_ if resource.pulled_until else end - initial_lookback()
    stored = 0
    try:
        if resource.data_source != DataSource.PROMETHEUS or not resource.promql or not resource.prometheus_url:
            raise PullError("not a Prometheus resource (data source, PromQL and URL are needed)")
        chunk = step_ * (MAX_POINTS - 1)
        cursor = start
        while cursor <= end:
            upper = min(end, cursor + chunk)
            points = query_range(resource.prometheus_url, resource.promql, cursor, upper, step_)
            stored += samples_store(resource=resource, samples=points).received
            Resource.objects.filter(pk=resource.pk).update(pulled_until=upper)
            cursor = upper + step_
    except PullError as exc:
        logger.warning("capacity pull of resource %s failed: %s", resource.pk, exc)
        with transaction.atomic():
            Resource.objects.filter(pk=resource.pk).update(pull_status=PullStatus.FAILED, pull_error=str(exc)[:2000],
                                                           pulled_at=now)
        return {"status": PullStatus.FAILED, "error": str(exc), "stored": stored}
    Resource.objects.filter(pk=resource.pk).update(pull_status=PullStatus.OK, pull_error="", pulled_at=now,
                                                   pulled_until=end)
    return {"status": PullStatus.OK, "error": "", "stored": stored}


def pull_all(now: datetime) -> int:
    """Every Prometheus resource of an active project; one failure does not stop the others."""
    pulled = 0
    for resource in Resource.objects.filter(data_source=DataSource.PROMETHEUS, service__project__active=True):
        try:
            resource_pull(resource=resource, now=now)
            pulled += 1
        except Exception:
            logger.exception("capacity pull of resource %s crashed", resource.pk)
    from capacity.models import PerformanceSource

    for source in PerformanceSource.objects.filter(service__project__active=True):
        try:
            performance_pull(source=source, now=now)
            pulled += 1
        except Exception:
            logger.exception("performance pull of service %s crashed", source.service_id)
    return pulled


def performance_queries(source) -> dict[str, str]:
    """Request rate and p50/p95/p99 (in ms) from the source's HTTP histogram."""
    selector = "{" + source.selector + "}" if source.selector else ""
    buckets = f"sum by (le) (rate({source.histogram}_bucket{selector}[5m]))"
    queries = {"request_rate": f"sum(rate({source.histogram}_count{selector}[5m]))"}
    for name, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        queries[name] = f"histogram_quantile({q}, {buckets}) * 1000"
    return queries


def performance_pull(*, source, now: datetime) -> dict:
    """Pull the service's request rate and latency percentiles since the last pull (steps where all four
    have a value are stored); failures are recorded on the source."""
    from capacity.models import PerformanceSample, PerformanceSource

    now = now.astimezone(UTC)
    step_ = step()
    end = datetime.fromtimestamp(now.timestamp() // step_.total_seconds() * step_.total_seconds(), tz=UTC)
    start = source.pulled_until + step_ if source.pulled_until else end - initial_lookback()
    start = max(start, end - step_ * (MAX_POINTS - 1))  # one chunk: older gaps are not back-filled
    try:
        series = {name: dict(query_range(source.prometheus_url, promql, start, end, step_))
                  for name, promql in performance_queries(source).items()}
    except PullError as exc:
        logger.warning("performance pull of service %s failed: %s", source.service_id, exc)
        PerformanceSource.objects.filter(pk=source.pk).update(pull_status=PullStatus.FAILED,
                                                              pull_error=str(exc)[:2000], pulled_at=now)
        return {"status": PullStatus.FAILED, "error": str(exc), "stored": 0}
    rows = []
    for at in sorted(series["request_rate"]):
        values = {name: series[name].get(at) for name in series}
        if any(v is None for v in values.values()):
            continue
        # Interpolated quantiles of sparse buckets can come out unordered: keep them monotone.
        values["p95_ms"] = max(values["p95_ms"], values["p50_ms"])
        values["p99_ms"] = max(values["p99_ms"], values["p95_ms"])
        rows.append(PerformanceSample(service_id=source.service_id, at=at, **values))
    with transaction.atomic():
        PerformanceSample.objects.bulk_create(rows, batch_size=1000, update_conflicts=True,
                                              unique_fields=["service", "at"],
                                              update_fields=["request_rate", "p50_ms", "p95_ms", "p99_ms"])
        PerformanceSource.objects.filter(pk=source.pk).update(pull_status=PullStatus.OK, pull_error="",
                                                              pulled_at=now, pulled_until=end)
    return {"status": PullStatus.OK, "error": "", "stored": len(rows)}

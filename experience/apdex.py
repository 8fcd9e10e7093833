"""Apdex counts: pushed per interval, or read from a Prometheus latency histogram.

A histogram's cumulative `le` buckets give the counts directly when buckets sit exactly at T and
4T: satisfied = bucket(T), tolerating = bucket(4T) - bucket(T), frustrated = +Inf - bucket(4T).
Any other T would need interpolation inside a bucket, which invents numbers: such a T is refused
with the buckets that exist.
"""

import logging
import math
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from experience.models import ApdexPrometheusSource, ApdexSample, ApdexSource
from experience.services.rows import Row, RowsRejected, check_list

logger = logging.getLogger(__name__)

MAX_ROWS = 5_000
ROW_FIELDS = {"service", "start", "end", "threshold_ms", "satisfied", "tolerating", "frustrated"}
MAX_COUNT = 10**12


class BucketMissing(ValueError):
    """The histogram has no `le` bucket at T or at 4T."""


@dataclass
class ApdexCounts:
    satisfied: int
    tolerating: int
    frustrated: int

    @property
    def total(self) -> int:
        return self.satisfied + self.tolerating + self.frustrated


def _bound(le: str) -> float:
    return math.inf if le in ("+Inf", "Inf", "inf") else float(le)


def _bucket(buckets: dict[float, float], bound: float, name: str):
    for le, count in buckets.items():
        if math.isclose(le, bound, rel_tol=1e-9, abs_tol=1e-12):
            return count
    listed = ", ".join("+Inf" if math.isinf(b) else f"{b:g}" for b in sorted(buckets))
    raise BucketMissing(f"the histogram has no le=\"{bound:g}\" bucket for {name}; its buckets are {listed}. "
                        f"Choose a T whose T and 4T are both bucket bounds.")


def counts_from_histogram(buckets: dict[str, float], threshold_seconds: float) -> ApdexCounts:
    """Apdex counts from cumulative histogram buckets {le: count} (le as Prometheus writes it, seconds)."""
    by_bound = {_bound(le): float(count) for le, count in buckets.items()}
    if not any(math.isinf(b) for b in by_bound):
        raise BucketMissing("the histogram has no le=\"+Inf\" bucket (the total).")
    at_t = _bucket(by_bound, threshold_seconds, "T")
    at_4t = _bucket(by_bound, 4 * threshold_seconds, "4T")
    total = by_bound[math.inf]
    # increase() extrapolates to fractions; counts are whole requests.
    satisfied, within_4t, total = round(at_t), round(at_4t), round(total)
    if not 0 <= satisfied <= within_4t <= total:
        raise ValueError("the histogram's buckets are not cumulative (a counter reset inside the interval?)")
    return ApdexCounts(satisfied=satisfied, tolerating=within_4t - satisfied, frustrated=total - within_4t)


def histogram_query(metric: str, selector: str, start: datetime, end: datetime) -> str:
    seconds = int((end - start).total_seconds())
    return f"sum by (le) (increase({metric}_bucket{{{selector}}}[{seconds}s]))"


def parse_vector_buckets(body: bytes) -> dict[str, float]:
    """{le: value} of an instant query answer grouped by le (Prometheus HTTP API, resultType vector)."""
    from slos.sources.prometheus import PullError, _api_data

    data = _api_data(body)
    if data.get("resultType") != "vector":
        raise PullError(f"expected a vector answer, got {data.get('resultType')!r}")
    buckets = {}
    for series in data.get("result") or []:
        le = (series.get("metric") or {}).get("le")
        if le is None:
            raise PullError("a series has no le label: query sum by (le) of the _bucket metric")
        buckets[le] = float(series["value"][1])
    if not buckets:
        raise PullError("the query returned no series (no requests, or a wrong metric name)")
    return buckets


def apdex_pull(*, service, prometheus_url: str, metric: str, selector: str, threshold_ms: int,
               start: datetime, end: datetime) -> ApdexSample:
    """Read the histogram's increase over [start, end] at `end` and store it as one Apdex interval."""
    from slos.sources.prometheus import _get

    query = histogram_query(metric, selector, start, end)
    params = urllib.parse.urlencode({"query": query, "time": f"{end.timestamp():.3f}"})
    body = _get(prometheus_url, f"/api/v1/query?{params}", None, None)
    counts = counts_from_histogram(parse_vector_buckets(body), threshold_ms / 1000)
    sample, _ = ApdexSample.objects.update_or_create(
        service=service, threshold_ms=threshold_ms, start=start,
        defaults={"end": end, "satisfied": counts.satisfied, "tolerating": counts.tolerating,
                  "frustrated": counts.frustrated, "source": ApdexSource.PROMETHEUS},
    )
    return sample


# A source far behind (a long Prometheus outage) catches up this many intervals per run, oldest first.
MAX_INTERVALS_PER_RUN = 24


def _grid_floor(moment: datetime, step: timedelta) -> datetime:
    seconds = int(step.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=UTC)


def apdex_source_pull(*, source: ApdexPrometheusSource, now: datetime) -> int:
    """Store the intervals of `source` completed since it last stored one (on its first run, the last
    completed interval), oldest first. The first interval that fails stops the run: the reason is
    kept on the source (admin) and the next run starts again at that interval, so nothing is skipped.
    Returns how many intervals were stored."""
    from slos.sources.prometheus import PullError

    step = timedelta(minutes=source.interval_minutes)
    completed = _grid_floor(now, step)  # intervals on a grid from the epoch: UTC, DST-proof
    start = source.pulled_until or completed - step
    stored, error = 0, ""
    while start + step <= completed and stored < MAX_INTERVALS_PER_RUN:
        try:
            apdex_pull(service=source.service, prometheus_url=source.prometheus_url, metric=source.metric,
                       selector=source.selector, threshold_ms=source.threshold_ms, start=start, end=start + step)
        except (PullError, ValueError) as exc:  # BucketMissing and non-cumulative buckets are ValueErrors
            error = f"{start.isoformat()}: {exc}"
            break
        start, stored = start + step, stored + 1
    changes = {"last_pull_at": now, "last_error": error[:2000]}
    if stored:
        changes["pulled_until"] = start
    ApdexPrometheusSource.objects.filter(pk=source.pk).update(**changes)
    for name, value in changes.items():  # the caller sees the outcome without reading the row again
        setattr(source, name, value)
    return stored


def apdex_sources_pull(*, now: datetime) -> dict:
    """Every active source of an active project; one source's failure is recorded and the others run."""
    sources = (ApdexPrometheusSource.objects.filter(active=True, service__project__active=True)
               .select_related("service").order_by("pk"))
    outcome = {"sources": 0, "intervals": 0, "failed": []}
    for source in sources:
        outcome["sources"] += 1
        try:
            outcome["intervals"] += apdex_source_pull(source=source, now=now)
        except Exception:  # an unexpected error of one source must not stop the others
            logger.exception("Apdex pull of source %s failed", source.pk)
            outcome["failed"].append(str(source))
            continue
        if source.last_error:
            outcome["failed"].append(str(source))
    return outcome


def apdex_samples_ingest(*, project, rows) -> int:
    """Store pushed Apdex counts {service, start, end, threshold_ms, satisfied, tolerating, frustrated}:
    all or none. Re-sending an interval (same service, T and start) replaces it."""
    from experience.services.intake import _service, _services

    check_list(rows, max_rows=MAX_ROWS, what="Apdex count")
    services = _services(project, rows)
    errors, samples, seen = [], [], set()
    for index, data in enumerate(rows):
        if not isinstance(data, dict):
            errors.append({"index": index, "field": "row", "message": "must be an object."})
            continue
        row = Row(index, data, errors)
        before = len(errors)
        row.unknown(ROW_FIELDS)
        service = _service(row, services, required=True)
        start, end = row.moment("start"), row.moment("end")
        values = {name: row.integer(name) for name in ("threshold_ms", "satisfied", "tolerating", "frustrated")}
        for name, value in values.items():
            low = 1 if name == "threshold_ms" else 0
            if value is not None and not low <= value <= MAX_COUNT:
                row.error(name, f"must be between {low} and {MAX_COUNT}.")
        if start and end and start >= end:
            row.error("end", "end must be after start.")
        if len(errors) > before:
            continue
        key = (service.pk, values["threshold_ms"], start)
        if key in seen:
            row.error("start", "repeats another row's interval and T; send each interval once.")
            continue
        seen.add(key)
        samples.append(ApdexSample(service=service, start=start, end=end, **values))
    if errors:
        raise RowsRejected(errors)
    with transaction.atomic():
        ApdexSample.objects.bulk_create(samples, batch_size=1000, update_conflicts=True,
                                        unique_fields=["service", "threshold_ms", "start"],
                                        update_fields=["end", "satisfied", "tolerating", "frustrated", "source"])
    return len(samples)

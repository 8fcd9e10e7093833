"""Pulling SLI counts from a Prometheus-compatible server (Prometheus, Thanos, Mimir, VictoriaMetrics).

All pending evaluation intervals [start, end) of an SLO are pulled with one range query per PromQL
expression (`GET <base>/api/v1/query_range?query=...&start=<first end>&end=<last end>&step=<interval>`):
the sample at each step is the interval ending there.

* A query containing `$window` (or Sloth's `{{.window}}`) gets the interval's length substituted
  (`1m`, `5m`, `1h`): `sum(increase(http_requests_total{job="checkout"}[$window]))` is the usual form.
* A query without it is taken as a series selector and wrapped as `sum(increase(<query>[$window]))`
  (counters) or `sum(avg_over_time(<query>[$window]))` (gauges, `counter=False`); anything else is
  refused when the SLO is saved (`query_problem`). A constant (`vector(1)`) is sent as it is.
* `increase()` and `rate()` give fractions. Counts are stored as whole events with the rounding
  carried to the next interval (`SLO.pull_carry`), so 0.3 bad events a minute become 3 in ten
  minutes rather than zero every minute.

Optional bearer or basic authentication and a tenant header (`X-Scope-OrgID`) come from the SLO.
Counts are stored through the push ingestion service (upsert, one row per interval), so re-pulling
an interval replaces it. Anything that is not one finite, non-negative number per interval
(unreachable server, timeout, HTTP error, Prometheus error JSON, no sample, several series, NaN)
stops the pull of that SLO at that interval: the intervals before it are stored, the SLO records
NO_DATA with the reason, and the next run retries from that interval.
"""

import base64
import json
import logging
import re
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
# Sloth's spelling of the same placeholder, accepted so Sloth queries run unchanged.
SLOTH_WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")
# A bare series selector: what can be wrapped as increase(<selector>[$window]).
# A constant (`vector(1)`, `1`): the same value every interval, sent as it is (e.g. the total of a
# raw error-ratio SLI, where each interval counts as one event).
CONSTANT = re.compile(r"^\s*(?:vector\(\s*[0-9.]+\s*\)|[0-9.]+)\s*$")
SERIES_SELECTOR = re.compile(r'^\s*(?:[a-zA-Z_:][a-zA-Z0-9_:]*\s*)?(?:\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\})?\s*$')


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


def has_window(promql: str) -> bool:
    return WINDOW_PLACEHOLDER in promql or bool(SLOTH_WINDOW_PLACEHOLDER.search(promql))


def query_problem(promql: str) -> str | None:
    """Why the portal cannot run this query, or None. Checked when the SLO is saved (import, admin,
    API) rather than discovered at pull time: a query without $window is wrapped as
    sum(increase(<query>[$window])), which only works for a bare series selector."""
    promql = (promql or "").strip()
    if not promql or has_window(promql) or CONSTANT.match(promql) or (SERIES_SELECTOR.match(promql)
                                                                       and promql != "{}"):
        return None
    return ("has no $window and is not a bare series selector, so it cannot be wrapped in "
            "increase(...[$window]); put $window where the range goes, e.g. sum(increase(metric[$window]))")


def render_query(promql: str, interval: timedelta, *, counter: bool = True) -> str:
    """The PromQL sent for one interval (see the module docstring for the two forms). Gauges
    (`counter=False`) without $window are averaged over the interval instead of increased."""
    promql = promql.strip()
    if CONSTANT.match(promql):
        return promql
    if not has_window(promql):
        wrapper = "sum(increase({}[{}]))" if counter else "sum(avg_over_time({}[{}]))"
        promql = wrapper.format(promql, WINDOW_PLACEHOLDER)
    promql = SLOTH_WINDOW_PLACEHOLDER.sub(WINDOW_PLACEHOLDER, promql)
    return promql.replace(WINDOW_PLACEHOLDER, duration_label(interval))


def request_headers(slo) -> dict:
    """Accept, plus the SLO's authentication and tenant headers (the secret never leaves this call)."""
    headers = {"Accept": "application/json"}
    auth = getattr(slo, "prometheus_auth", "none")
    if auth == "bearer":
        headers["Authorization"] = f"Bearer {slo.prometheus_secret}"
    elif auth == "basic":
        pair = f"{slo.prometheus_username}:{slo.prometheus_secret}".encode()
        headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
    if getattr(slo, "prometheus_tenant", ""):
        headers["X-Scope-OrgID"] = slo.prometheus_tenant
    return headers


def query_range(base_url: str, promql: str, first_end: datetime, last_end: datetime, step: timedelta, *,
                timeout: float | None = None, headers: dict | None = None) -> dict[int, Decimal | PullError]:
    """One range query: {unix second of each step: its value, or the PullError saying why it is unusable}.
    Steps without a sample are missing from the answer."""
    params = urllib.parse.urlencode({
        "query": promql, "start": f"{first_end.timestamp():.3f}", "end": f"{last_end.timestamp():.3f}",
        "step": f"{int(step.total_seconds())}s",
    })
    return parse_range_response(_get(base_url, f"/api/v1/query_range?{params}", timeout, headers))


def _get(base_url: str, path: str, timeout: float | None, headers: dict | None) -> bytes:
    url = f"{base_url.rstrip('/')}{path}"
    request = urllib.request.Request(url, headers=headers or {"Accept": "application/json"})
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
    return body


def _error_detail(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(payload, dict) and payload.get("status") == "error":
        return f"{payload.get('errorType', 'error')}: {payload.get('error', '')}".strip()
    return ""


def _sample(raw) -> Decimal:
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise PullError(f"the sample value {raw!r} is not a number") from None
    if number.is_nan() or not number.is_finite():
        raise PullError(f"the sample value is {raw}")
    if number < 0:
        raise PullError(f"the sample value {raw} is negative (a counter reset inside the interval?)")
    return number


def _api_data(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PullError("the answer is not JSON") from None
    if not isinstance(payload, dict):
        raise PullError("the answer is not a Prometheus API object")
    if payload.get("status") != "success":
        raise PullError(f"query failed: {payload.get('errorType', 'error')}: {payload.get('error', 'no reason given')}")
    return payload.get("data") or {}


def parse_range_response(body: bytes) -> dict[int, Decimal | PullError]:
    """A range query's answer: one series (aggregate to one) of [time, value] pairs."""
    data = _api_data(body)
    result_type, result = data.get("resultType"), data.get("result")
    if result_type != "matrix" or not isinstance(result, list):
        raise PullError(f"unexpected result type {result_type!r}; a range query answers with a matrix")
    if len(result) > 1:
        raise PullError(f"the query returned {len(result)} series; aggregate it to one, e.g. with sum()")
    values = result[0].get("values") if result and isinstance(result[0], dict) else []
    samples: dict[int, Decimal | PullError] = {}
    for pair in values if isinstance(values, list) else []:
        if not isinstance(pair, list) or len(pair) != 2:
            raise PullError("malformed sample in the answer")
        try:
            at = round(float(pair[0]))
        except (TypeError, ValueError):
            raise PullError("malformed sample time in the answer") from None
        try:
            samples[at] = _sample(pair[1])
        except PullError as exc:
            samples[at] = exc
    return samples


def carry_round(value: Decimal, carry: Decimal) -> tuple[int, Decimal]:
    """Whole events for this interval and the fraction carried to the next one: the stored counts
    add up to the pulled ones (within half an event), however small each interval's share."""
    exact = value + carry
    whole = max(0, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)))
    return whole, exact - whole


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


def pull_range(slo: SLO, intervals: list[tuple[datetime, datetime]]) -> tuple[list[dict], str]:
    """Rows for the leading intervals that have a usable number for every query, and the reason the
    rest were not pulled ("" when all were). One range request per query. Rounding fractions are
    carried between intervals and runs through `slo.pull_carry` (the caller saves it with the rows)."""
    if not intervals:
        return [], ""
    step = intervals[0][1] - intervals[0][0]
    first_end, last_end = intervals[0][1], intervals[-1][1]
    headers = request_headers(slo)
    counted = "good" if slo.promql_good.strip() else "bad"
    queries = {"total": slo.promql_total, counted: slo.promql_good if counted == "good" else slo.promql_bad}
    series = {}
    for name, promql in queries.items():
        try:
            series[name] = query_range(slo.prometheus_url, render_query(promql, step, counter=slo.counter),
                                       first_end, last_end, step, headers=headers)
        except PullError as exc:
            start, end = intervals[0]
            return [], f"interval {start:%Y-%m-%d %H:%M}Z-{end:%H:%M}Z: {exc}"
    carry = {key: Decimal(str(value)) for key, value in (slo.pull_carry or {}).items() if key in ("total", "bad")}
    rows, reason = [], ""
    for start, end in intervals:
        at = round(end.timestamp())
        values = {}
        for name in queries:
            value = series[name].get(at)
            if value is None:
                value = PullError("empty result: the query matched no series at that time")
            if isinstance(value, PullError):
                reason = f"interval {start:%Y-%m-%d %H:%M}Z-{end:%H:%M}Z: {value}"
                break
            values[name] = value
        if reason:
            break
        total, carry["total"] = carry_round(values["total"], carry.get("total", Decimal(0)))
        if counted == "good":
            # good = total - bad: carry the bad events so rare errors are not rounded away.
            bad_exact = max(values["total"] - values["good"], Decimal(0))
        else:
            bad_exact = values["bad"]
        bad, carry["bad"] = carry_round(bad_exact, carry.get("bad", Decimal(0)))
        if bad > total:  # two extrapolated series can disagree by a fraction: never more bad than total
            carry["bad"] += bad - total
            bad = total
        rows.append({"start": start.isoformat(), "end": end.isoformat(), "good": total - bad, "total": total})
    slo.pull_carry = {key: str(value) for key, value in carry.items()}
    return rows, reason

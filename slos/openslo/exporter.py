"""Export a project's services and SLOs as `openslo/v1` documents."""

from decimal import Decimal

import yaml

from opsportal.models import Service
from slos.models import SLO, BudgetingMethod, DataSource, SLIKind, WindowKind
from slos.openslo.documents import (
    ANNOTATION_ALERTING,
    ANNOTATION_EVALUATION_INTERVAL,
    ANNOTATION_SLI_KIND,
    ANNOTATION_THRESHOLD_MS,
    API_VERSION,
    PROMETHEUS_SOURCE_TYPE,
    PUSH_SOURCE_TYPE,
    format_duration,
)

# Calendar windows start at the first of the month (quarter) in the zone; OpenSLO wants a start time.
CALENDAR_START = "2020-01-01 00:00:00"


def _ratio(percent) -> float:
    """99.9 -> 0.999 as the shortest float that reads back as the same decimal."""
    return float((Decimal(percent) / 100).normalize())


def _annotation_duration(length) -> str:
    """Our own annotation: OpenSLO shorthand when it can say it, else seconds (90s)."""
    try:
        return format_duration(length)
    except ValueError:
        return f"{int(length.total_seconds())}s"


def _slice_window(length):
    """OpenSLO's timeSliceWindow is a shorthand or a number of seconds (for 90 s slices)."""
    try:
        return format_duration(length)
    except ValueError:
        return int(length.total_seconds())


def _metric(slo: SLO, query: str, count: str) -> dict:
    if slo.data_source == DataSource.PROMETHEUS:
        return {"metricSource": {"type": PROMETHEUS_SOURCE_TYPE,
                                 "spec": {"query": query, "url": slo.prometheus_url}}}
    return {"metricSource": {"type": PUSH_SOURCE_TYPE, "spec": {"count": count}}}


def service_document(service: Service) -> dict:
    return {
        "apiVersion": API_VERSION,
        "kind": "Service",
        "metadata": {"name": service.slug, "displayName": service.name},
        "spec": {"description": service.description},
    }


def slo_document(slo: SLO) -> dict:
    annotations = {ANNOTATION_SLI_KIND: slo.sli_kind}
    if slo.sli_kind == SLIKind.LATENCY:
        annotations[ANNOTATION_THRESHOLD_MS] = str(slo.threshold_ms)
    if slo.data_source == DataSource.PROMETHEUS:
        annotations[ANNOTATION_EVALUATION_INTERVAL] = _annotation_duration(slo.evaluation_interval)
    if not slo.alerting_enabled:
        annotations[ANNOTATION_ALERTING] = "false"
    ratio = {"counter": slo.counter}
    if slo.data_source == DataSource.PROMETHEUS and slo.promql_bad.strip():
        ratio["bad"] = _metric(slo, slo.promql_bad, "bad")
    else:
        ratio["good"] = _metric(slo, slo.promql_good, "good")
    ratio["total"] = _metric(slo, slo.promql_total, "total")
    if slo.window_kind == WindowKind.ROLLING:
        window = {"duration": f"{slo.window_days}d", "isRolling": True}
    else:
        window = {
            "duration": "1M" if slo.window_kind == WindowKind.CALENDAR_MONTH else "1Q",
            "isRolling": False,
            "calendar": {"startTime": CALENDAR_START, "timeZone": slo.zone_name},
        }
    objective = {"displayName": slo.target_display, "target": _ratio(slo.objective)}
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        objective["timeSliceTarget"] = _ratio(slo.slice_target)
        objective["timeSliceWindow"] = _slice_window(slo.slice_length)
    return {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": {"name": slo.slug, "displayName": slo.name, "annotations": annotations,
                     **({"labels": dict(slo.labels)} if slo.labels else {})},
        "spec": {
            "description": slo.description,
            "service": slo.service.slug,
            "indicator": {"metadata": {"name": f"{slo.slug}-sli"}, "spec": {"ratioMetric": ratio}},
            "timeWindow": [window],
            "budgetingMethod": "Timeslices" if slo.budgeting_method == BudgetingMethod.TIMESLICES else "Occurrences",
            "objectives": [objective],
        },
    }


def export_documents(project) -> list[dict]:
    """The project's services, then its SLOs (each with its indicator inline), in slug order."""
    services = Service.objects.filter(project=project).order_by("slug")
    slos = SLO.objects.filter(project=project).select_related("project", "service").order_by("slug")
    return [service_document(s) for s in services] + [slo_document(s) for s in slos]


def export_yaml(project) -> str:
    return yaml.safe_dump_all(export_documents(project), sort_keys=False, width=1000, allow_unicode=True)

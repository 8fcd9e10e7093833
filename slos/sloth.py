"""Sloth specs as openslo/v1 documents, so they go through the one OpenSLO import pipeline.

Sloth (github.com/slok/sloth) has two spellings of the same spec: `version: prometheus/v1` files
(snake_case keys) and the Kubernetes `PrometheusServiceLevel` resource (`apiVersion:
sloth.slok.dev/v1`, camelCase). Each SLO becomes an SLO named `<service>-<slo>` (Sloth's own
`sloth_id`) over Sloth's default 30-day window, with:

* `events` SLIs: the error query as bad events, the total query as total ({{.window}} is kept: the
  portal substitutes it like $window);
* `raw` SLIs: the error ratio as "bad" with a constant total of 1 per interval (so intervals are
  averaged, as Sloth does);
* page and ticket alerts: the Workbook tiers Sloth uses (14.4x/6x page, 3x/1x ticket), carrying the
  alert's name and labels; a disabled alert drops its tiers.

SLI plugins run Go code inside Sloth and cannot run here: such SLOs are refused with the reason.
"""

import re

from slos.openslo.documents import API_VERSION, PROMETHEUS_SOURCE_TYPE

SLOTH_V1 = "prometheus/v1"
SLOTH_K8S_API = "sloth.slok.dev/v1"
SLOTH_WINDOW = "30d"
PAGE_TIERS = ("page-1h", "page-6h")
TICKET_TIERS = ("ticket-1d", "ticket-3d")


def is_sloth(body: dict) -> bool:
    version = str(body.get("version", ""))
    return version.startswith("prometheus/") or str(body.get("apiVersion", "")).startswith("sloth.slok.dev/")


def _key(mapping: dict, snake: str, camel: str):
    return mapping.get(snake, mapping.get(camel)) if isinstance(mapping, dict) else None


def _slug(text) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _labels(value) -> dict:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def sloth_documents(body: dict, index: int, notes: list[str]) -> list[dict]:
    from slos.openslo.normalize import NormalizeError

    k8s = "apiVersion" in body
    if k8s:
        if body.get("apiVersion") != SLOTH_K8S_API or body.get("kind") != "PrometheusServiceLevel":
            raise NormalizeError(index, "", "apiVersion",
                                 f"expected apiVersion {SLOTH_K8S_API} and kind PrometheusServiceLevel, got "
                                 f"{body.get('apiVersion')!r} {body.get('kind')!r}")
        spec = body.get("spec")
        prefix = "spec."
    else:
        if body.get("version") != SLOTH_V1:
            raise NormalizeError(index, "", "version", f"Sloth spec version {body.get('version')!r} is not "
                                                       f"supported; expected {SLOTH_V1}")
        spec, prefix = body, ""
    if not isinstance(spec, dict):
        raise NormalizeError(index, "", prefix.rstrip(".") or "spec", "must be a mapping")
    service = spec.get("service")
    if not isinstance(service, str) or not _slug(service):
        raise NormalizeError(index, "", f"{prefix}service", "is required: the Sloth service name")
    service_slug = _slug(service)[:63]
    slos = spec.get("slos")
    if not isinstance(slos, list) or not slos:
        raise NormalizeError(index, service, f"{prefix}slos", "is required: a list of SLOs")
    common_labels = _labels(spec.get("labels"))
    if _key(spec, "slo_plugins", "sloPlugins"):
        notes.append(f"document {index} ({service}): Sloth SLO plugins of the spec not applied (they run inside "
                     "Sloth's rule generator).")
    documents = [{"apiVersion": API_VERSION, "kind": "Service", "_generated": True,
                  "metadata": {"name": service_slug, "displayName": service}, "spec": {}}]
    for position, slo in enumerate(slos):
        path = f"{prefix}slos[{position}]"
        if not isinstance(slo, dict) or not isinstance(slo.get("name"), str):
            raise NormalizeError(index, service, f"{path}.name", "is required")
        documents.append(_slo_document(slo, service, service_slug, common_labels, index, path, notes))
    return documents


def _indicator(sli: dict, index: int, service: str, path: str) -> dict:
    from slos.openslo.normalize import NormalizeError

    def source(query):
        return {"metricSource": {"type": PROMETHEUS_SOURCE_TYPE, "spec": {"query": query}}}

    if not isinstance(sli, dict):
        raise NormalizeError(index, service, f"{path}.sli", "is required")
    events, raw = sli.get("events"), sli.get("raw")
    if isinstance(events, dict):
        error, total = _key(events, "error_query", "errorQuery"), _key(events, "total_query", "totalQuery")
        if not isinstance(error, str) or not isinstance(total, str):
            raise NormalizeError(index, service, f"{path}.sli.events", "needs error_query and total_query")
        return {"ratioMetric": {"counter": True, "bad": source(error.strip()), "total": source(total.strip())}}
    if isinstance(raw, dict):
        ratio = _key(raw, "error_ratio_query", "errorRatioQuery")
        if not isinstance(ratio, str):
            raise NormalizeError(index, service, f"{path}.sli.raw", "needs error_ratio_query")
        return {"ratioMetric": {"counter": False, "bad": source(ratio.strip()), "total": source("vector(1)")}}
    if "plugin" in sli:
        raise NormalizeError(index, service, f"{path}.sli.plugin",
                             "SLI plugins run Go code inside Sloth and cannot run in the portal; write the SLI "
                             "as events (error_query/total_query) or raw (error_ratio_query)")
    raise NormalizeError(index, service, f"{path}.sli", "needs events or raw")


def _slo_document(slo, service, service_slug, common_labels, index, path, notes) -> dict:
    from slos.openslo.normalize import NormalizeError

    name = f"{service_slug}-{_slug(slo['name'])}"
    if len(name) > 63:
        notes.append(f"document {index} ({service}): SLO name {name!r} shortened to {name[:63].strip('-')!r}.")
        name = name[:63].strip("-")
    objective = slo.get("objective")
    if isinstance(objective, bool) or not isinstance(objective, (int, float)):
        raise NormalizeError(index, service, f"{path}.objective", "is required: a percentage such as 99.9")
    labels = {**common_labels, **_labels(slo.get("labels"))}
    if isinstance(slo.get("plugins"), dict) and slo["plugins"].get("chain"):
        notes.append(f"document {index} ({name}): Sloth SLO plugins not applied (they run inside Sloth).")
    alerting = slo.get("alerting") if isinstance(slo.get("alerting"), dict) else {}
    alert_labels = _labels(alerting.get("labels"))
    tiers, enabled = [], False
    for key, camel, names in (("page_alert", "pageAlert", PAGE_TIERS), ("ticket_alert", "ticketAlert", TICKET_TIERS)):
        alert = _key(alerting, key, camel)
        alert = alert if isinstance(alert, dict) else {}
        if alert.get("disable"):
            continue
        enabled = True
        tiers += [{"name": tier, "labels": {**alert_labels, **_labels(alert.get("labels"))}} for tier in names]
    if alerting.get("annotations") or any(
            isinstance(_key(alerting, k, c), dict) and _key(alerting, k, c).get("annotations")
            for k, c in (("page_alert", "pageAlert"), ("ticket_alert", "ticketAlert"))):
        notes.append(f"document {index} ({name}): alert annotations not imported (the exported alerts write "
                     "their own summary).")
    # Exact decimal: 99.9 -> "0.999" (the importer reads targets as decimals, not binary floats).
    from decimal import Decimal

    target = format(Decimal(str(objective)) / 100, "f")
    return {
        "apiVersion": API_VERSION, "kind": "SLO",
        "_sloth": {"tiers": tiers, "alert_name": alerting.get("name") or "", "alerting": enabled},
        "metadata": {"name": name, "displayName": f"{service} {slo['name']}", "labels": labels},
        "spec": {
            "description": slo.get("description") or "",
            "service": service_slug,
            "indicator": {"metadata": {"name": f"{name}-sli"}, "spec": _indicator(slo.get("sli"), index, service,
                                                                                   path)},
            "timeWindow": [{"duration": SLOTH_WINDOW, "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"target": target}],
        },
    }

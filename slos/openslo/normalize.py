"""Bring what people publish into the `openslo/v1` shape the importer validates.

Handled here, each with a note in the import result so nothing changes silently:

* a file whose top level is a YAML list of documents;
* Sloth specs (`version: prometheus/v1`, `apiVersion: sloth.slok.dev/v1`), see `slos.sloth`;
* `openslo/v1alpha` SLOs (converted to v1);
* `DataSource` documents and `metricSourceRef` (type and URL come from the data source);
* `AlertPolicy` / `AlertCondition` of kind burnrate (become burn-rate tiers);
* several objectives in one SLO (one SLO per objective, named after it).

Kinds the portal has no use for (AlertNotificationTarget, ...) are skipped with a note.
"""

import copy
import re
from decimal import Decimal, InvalidOperation

from slos.models import Severity
from slos.openslo.documents import API_VERSION, PROMETHEUS_SOURCE_TYPE, fixed_duration

V1ALPHA = "openslo/v1alpha"
SKIPPED_KINDS = ("AlertNotificationTarget",)
# AlertCondition severities that page; any other severity files a ticket.
PAGING = {"page", "critical", "sev1", "sev2", "p1", "p2", "high", "urgent"}
V1ALPHA_UNITS = {"second": None, "minute": "m", "hour": "h", "day": "d", "week": "w", "month": "M", "quarter": "Q",
                 "year": "Y"}


class NormalizeError(Exception):
    def __init__(self, index: int, name: str, path: str, reason: str):
        self.index, self.name, self.path, self.reason = index, name, path, reason
        super().__init__(f"{path}: {reason}")


def _name(body) -> str:
    if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
        name = body["metadata"].get("name")
        return name if isinstance(name, str) else ""
    return ""


def slug_of(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return slug[:63].strip("-") or "objective"


def flatten(raw: list) -> list:
    """Documents of a multi-document file, each list at the top level expanded in place."""
    documents = []
    for body in raw:
        if isinstance(body, list):
            documents.extend(body)
        else:
            documents.append(body)
    return documents


def expand(raw: list, notes: list[str]) -> list:
    """Every document as openslo/v1 Service, SLI or SLO (or left as it is, for the importer to refuse)."""
    from slos.sloth import is_sloth, sloth_documents

    documents = []
    for index, body in enumerate(flatten(raw)):
        if isinstance(body, dict) and is_sloth(body):
            documents.extend(sloth_documents(body, index, notes))
        elif isinstance(body, dict) and body.get("apiVersion") == V1ALPHA:
            documents.extend(_from_v1alpha(body, index, notes))
        else:
            documents.append(body)
    sources = {_name(d): d for d in documents if isinstance(d, dict) and d.get("kind") == "DataSource"}
    conditions = {_name(d): d for d in documents if isinstance(d, dict) and d.get("kind") == "AlertCondition"}
    policies = {_name(d): d for d in documents if isinstance(d, dict) and d.get("kind") == "AlertPolicy"}
    result = []
    for index, body in enumerate(documents):
        kind = body.get("kind") if isinstance(body, dict) else None
        if kind in ("DataSource", "AlertCondition", "AlertPolicy") and body.get("apiVersion") == API_VERSION:
            continue  # used through references below
        if kind in SKIPPED_KINDS and body.get("apiVersion") == API_VERSION:
            notes.append(f"document {index} ({_name(body)}): {kind} not imported (the portal notifies through "
                         "its own alert integrations).")
            continue
        if kind == "SLO" and body.get("apiVersion") == API_VERSION and isinstance(body.get("spec"), dict):
            body = copy.deepcopy(body)
            _resolve_sources(body, index, sources)
            _resolve_alert_policies(body, index, policies, conditions, notes)
            result.extend(_split_objectives(body, index, notes))
        elif kind == "SLI" and body.get("apiVersion") == API_VERSION and isinstance(body.get("spec"), dict):
            body = copy.deepcopy(body)
            _resolve_sources(body, index, sources, prefix="spec")
            result.append(body)
        else:
            result.append(body)
    return result


def _ratio_parts(spec: dict):
    ratio = spec.get("ratioMetric") if isinstance(spec, dict) else None
    if not isinstance(ratio, dict):
        return []
    return [(part, ratio[part]) for part in ("good", "bad", "total") if isinstance(ratio.get(part), dict)]


def _resolve_sources(body: dict, index: int, sources: dict, prefix: str = "spec.indicator.spec") -> None:
    """`metricSourceRef: prometheus-datasource` -> type and URL from that DataSource."""
    spec = body["spec"]
    indicator_spec = spec if prefix == "spec" else (spec.get("indicator") or {}).get("spec")
    for part, metric in _ratio_parts(indicator_spec):
        source = metric.get("metricSource")
        if not isinstance(source, dict) or "metricSourceRef" not in source:
            continue
        ref = source["metricSourceRef"]
        path = f"{prefix}.ratioMetric.{part}.metricSource.metricSourceRef"
        data_source = sources.get(ref)
        if data_source is None:
            raise NormalizeError(index, _name(body), path, f"no DataSource document named {ref!r} in this file")
        ds_spec = data_source.get("spec") if isinstance(data_source.get("spec"), dict) else {}
        ds_type = ds_spec.get("type")
        source.setdefault("type", ds_type)
        if source["type"] != ds_type:
            raise NormalizeError(index, _name(body), f"{prefix}.ratioMetric.{part}.metricSource.type",
                                 f"{source['type']!r} differs from DataSource {ref!r}'s type {ds_type!r}")
        details = ds_spec.get("connectionDetails") if isinstance(ds_spec.get("connectionDetails"), dict) else {}
        url = details.get("url") or details.get("address") or details.get("endpoint")
        spec_part = source.setdefault("spec", {})
        if isinstance(spec_part, dict) and url and "url" not in spec_part:
            spec_part["url"] = url


def _condition_tier(condition_doc: dict, index: int, slo_name: str, notes: list[str]):
    spec = condition_doc.get("spec") if isinstance(condition_doc.get("spec"), dict) else {}
    name = _name(condition_doc) or "condition"
    condition = spec.get("condition") if isinstance(spec.get("condition"), dict) else {}
    kind = condition.get("kind", "burnrate")
    if kind != "burnrate":
        notes.append(f"document {index} ({slo_name}): AlertCondition {name!r} of kind {kind!r} not imported "
                     "(only burnrate conditions become burn-rate tiers).")
        return None
    if condition.get("op") not in ("gt", "gte"):
        notes.append(f"document {index} ({slo_name}): AlertCondition {name!r} with op {condition.get('op')!r} not "
                     "imported (a burn-rate tier fires when the burn rate is above the threshold: use gt or gte).")
        return None
    try:
        threshold = Decimal(str(condition.get("threshold")))
        long_window = fixed_duration(condition.get("lookbackWindow"))
    except (InvalidOperation, ValueError, TypeError):
        raise NormalizeError(index, slo_name, f"AlertCondition {name}.spec.condition",
                             "a burnrate condition needs a numeric threshold and a lookbackWindow like 1h") from None
    if not threshold > 0:
        raise NormalizeError(index, slo_name, f"AlertCondition {name}.spec.condition.threshold", "must be above 0")
    severity = Severity.PAGE if str(spec.get("severity", "")).lower() in PAGING else Severity.TICKET
    # The Workbook's short window is a twelfth of the long one (1h/5m, 6h/30m, 1d/2h, 3d/6h).
    short_window = long_window / 12
    notes.append(f"document {index} ({slo_name}): AlertCondition {name!r} imported as a {severity} tier: burn "
                 f"rate above {threshold} over {condition.get('lookbackWindow')} (short window a twelfth of it"
                 + (f"; alertAfter {condition['alertAfter']} not used" if condition.get("alertAfter") else "") + ").")
    return {"name": slug_of(name)[:40], "severity": severity, "long_window": long_window,
            "short_window": short_window, "factor": threshold}


def _resolve_alert_policies(body: dict, index: int, policies: dict, conditions: dict, notes: list[str]) -> None:
    """spec.alertPolicies (names or inline AlertPolicy documents) -> body["_tiers"]."""
    refs = body["spec"].pop("alertPolicies", None)
    if not refs:
        return
    tiers = []
    for position, ref in enumerate(refs if isinstance(refs, list) else []):
        policy = policies.get(ref) if isinstance(ref, str) else ref
        if isinstance(ref, dict) and "alertPolicyRef" in ref:
            policy = policies.get(ref["alertPolicyRef"])
        if not isinstance(policy, dict):
            raise NormalizeError(index, _name(body), f"spec.alertPolicies[{position}]",
                                 f"no AlertPolicy document named {ref!r} in this file")
        policy_spec = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
        for condition in policy_spec.get("conditions") or []:
            if isinstance(condition, dict) and "conditionRef" in condition:
                found = conditions.get(condition["conditionRef"])
                if found is None:
                    raise NormalizeError(index, _name(body), f"spec.alertPolicies[{position}].conditions",
                                         f"no AlertCondition named {condition['conditionRef']!r} in this file")
                condition = found
            if isinstance(condition, dict):
                tier = _condition_tier(condition, index, _name(body), notes)
                if tier is not None:
                    tiers.append(tier)
        if policy_spec.get("notificationTargets"):
            notes.append(f"document {index} ({_name(body)}): notification targets of AlertPolicy "
                         f"{_name(policy) or position!r} not imported (alerts reach people through Alertmanager).")
    if tiers:
        body["_tiers"] = tiers


def _split_objectives(body: dict, index: int, notes: list[str]) -> list[dict]:
    objectives = body["spec"].get("objectives")
    if not isinstance(objectives, list) or len(objectives) <= 1:
        return [body]
    names = []
    for position, objective in enumerate(objectives):
        label = objective.get("name") or objective.get("displayName") if isinstance(objective, dict) else None
        names.append(slug_of(label) if label else str(position + 1))
    if len(set(names)) != len(names):
        names = [str(position + 1) for position in range(len(objectives))]
    result = []
    for objective, suffix in zip(objectives, names, strict=True):
        clone = copy.deepcopy(body)
        clone["spec"]["objectives"] = [objective]
        base = _name(body)
        clone["metadata"]["name"] = f"{base[:63 - len(suffix) - 1]}-{suffix}".strip("-")
        display = body["metadata"].get("displayName") or base
        if isinstance(objective, dict) and objective.get("displayName"):
            clone["metadata"]["displayName"] = f"{display} ({objective['displayName']})"
        result.append(clone)
    notes.append(f"document {index} ({_name(body)}): {len(objectives)} objectives became {len(objectives)} SLOs: "
                 + ", ".join(_name(c) for c in result) + ".")
    return result


def _from_v1alpha(body: dict, index: int, notes: list[str]) -> list[dict]:
    """openslo/v1alpha SLO (as Sloth's examples use it) -> openslo/v1: one SLO, or one per objective
    when the objectives measure different ratios (v1 has one indicator per SLO)."""
    name = _name(body)
    if body.get("kind") != "SLO":
        converted = copy.deepcopy(body)
        converted["apiVersion"] = API_VERSION
        notes.append(f"document {index} ({name}): openslo/v1alpha {body.get('kind')} read as openslo/v1.")
        return [converted]
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    objectives = spec.get("objectives") if isinstance(spec.get("objectives"), list) else []
    windows = spec.get("timeWindows") if isinstance(spec.get("timeWindows"), list) else []
    if not objectives or not windows:
        raise NormalizeError(index, name, "spec", "an openslo/v1alpha SLO needs objectives and timeWindows")
    window = windows[0] if isinstance(windows[0], dict) else {}
    unit = V1ALPHA_UNITS.get(str(window.get("unit", "")).lower())
    if unit is None or not isinstance(window.get("count"), int):
        raise NormalizeError(index, name, "spec.timeWindows[0]",
                             "needs a whole count and a unit of Minute, Hour, Day, Week, Month, Quarter or Year")
    v1_window = {"duration": f"{window['count']}{unit}", "isRolling": window.get("isRolling", True)}
    if window.get("calendar"):
        v1_window["calendar"] = window["calendar"]
        v1_window["isRolling"] = False
    v1_objectives, indicators = [], []
    for position, objective in enumerate(objectives):
        if not isinstance(objective, dict) or not isinstance(objective.get("ratioMetrics"), dict):
            raise NormalizeError(index, name, f"spec.objectives[{position}]",
                                 "only ratioMetrics objectives can be converted from openslo/v1alpha")
        ratio = {"counter": objective["ratioMetrics"].get("incremental", True)}
        for part in ("good", "bad", "total"):
            metric = objective["ratioMetrics"].get(part)
            if isinstance(metric, dict):
                source = str(metric.get("source", "")).lower()
                ratio[part] = {"metricSource": {
                    "type": PROMETHEUS_SOURCE_TYPE if source == "prometheus" else metric.get("source"),
                    "spec": {"query": metric.get("query")},
                }}
        indicators.append(ratio)
        v1_objectives.append({k: v for k, v in objective.items() if k in ("displayName", "target", "name",
                                                                           "timeSliceTarget", "timeSliceWindow")})
    notes.append(f"document {index} ({name}): openslo/v1alpha converted to openslo/v1 (timeWindows -> timeWindow "
                 f"{v1_window['duration']}, objectives[].ratioMetrics -> indicator.spec.ratioMetric).")

    def document(doc_name, indicator, objectives):
        metadata = copy.deepcopy(body.get("metadata") or {})
        metadata["name"] = doc_name
        return {
            "apiVersion": API_VERSION, "kind": "SLO", "metadata": metadata,
            "spec": {
                "description": spec.get("description", ""), "service": spec.get("service"),
                "indicator": {"metadata": {"name": f"{doc_name}-sli"}, "spec": {"ratioMetric": indicator}},
                "timeWindow": [v1_window], "budgetingMethod": spec.get("budgetingMethod", "Occurrences"),
                "objectives": objectives,
            },
        }

    if all(i == indicators[0] for i in indicators[1:]):
        return [document(name, indicators[0], v1_objectives)]
    split = [document(f"{name[:60]}-{position + 1}", indicator, [objective])
             for position, (indicator, objective) in enumerate(zip(indicators, v1_objectives, strict=True))]
    notes.append(f"document {index} ({name}): {len(split)} objectives with different ratioMetrics became "
                 f"{len(split)} SLOs: " + ", ".join(d["metadata"]["name"] for d in split) + ".")
    return split

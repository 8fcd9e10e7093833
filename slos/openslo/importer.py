"""Import `openslo/v1` documents into a project: validate everything, then write in one transaction."""

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from opsportal.models import Service
from slos.models import LABEL_NAME, SLO, BudgetingMethod, DataSource, SLIKind, WindowKind
from slos.openslo.documents import (
    ANNOTATION_ALERTING,
    ANNOTATION_EVALUATION_INTERVAL,
    ANNOTATION_SLI_KIND,
    ANNOTATION_THRESHOLD_MS,
    API_VERSION,
    PROMETHEUS_SOURCE_TYPE,
    PUSH_SOURCE_TYPE,
    OpenSLOError,
    Problem,
    annotation_duration,
    fixed_duration,
    parse_duration,
)
from slos.openslo.normalize import NormalizeError, expand
from slos.openslo.normalize import _name as _name
from slos.services import slo_create, slo_update, tier_replace
from slos.services.definitions import DEFAULT_TIERS
from slos.sources.prometheus import query_problem

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$")
KINDS = ("Service", "SLI", "SLO")
# Read through references (see slos.openslo.normalize), not imported on their own.
USED_KINDS = ("DataSource", "AlertPolicy", "AlertCondition")
# Where a model field's error points in the document.
FIELD_PATHS = {
    "slug": "metadata.name", "name": "metadata.displayName", "description": "spec.description",
    "service": "spec.service", "objective": "spec.objectives[0].target",
    "window_days": "spec.timeWindow[0].duration", "window_kind": "spec.timeWindow[0].duration",
    "time_zone": "spec.timeWindow[0].calendar.timeZone", "slice_target": "spec.objectives[0].timeSliceTarget",
    "slice_length": "spec.objectives[0].timeSliceWindow", "budgeting_method": "spec.budgetingMethod",
    "prometheus_url": "spec.indicator.spec.ratioMetric.total.metricSource.spec.url",
    "promql_good": "spec.indicator.spec.ratioMetric.good.metricSource.spec.query",
    "promql_bad": "spec.indicator.spec.ratioMetric.bad.metricSource.spec.query",
    "promql_total": "spec.indicator.spec.ratioMetric.total.metricSource.spec.query",
    "threshold_ms": f"metadata.annotations.{ANNOTATION_THRESHOLD_MS}",
    "sli_kind": f"metadata.annotations.{ANNOTATION_SLI_KIND}",
    "evaluation_interval": f"metadata.annotations.{ANNOTATION_EVALUATION_INTERVAL}",
}


class Invalid(Exception):
    def __init__(self, path: str, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


@dataclass
class Document:
    index: int
    kind: str
    name: str
    body: dict
    fields: dict = field(default_factory=dict)


def _get(mapping, path: str, key: str, *, required=True, kind=None):
    if not isinstance(mapping, dict):
        raise Invalid(path, "must be a mapping")
    if key not in mapping or mapping[key] is None:
        if required:
            raise Invalid(f"{path}.{key}" if path else key, "is required")
        return None
    value = mapping[key]
    if kind is not None and not isinstance(value, kind):
        expected = {str: "a string", dict: "a mapping", list: "a list", bool: "true or false"}.get(kind, str(kind))
        raise Invalid(f"{path}.{key}" if path else key, f"must be {expected}, got {type(value).__name__}")
    return value


def _fraction_to_percent(value, path: str) -> Decimal:
    """target 0.999 -> 99.9 (exact: read from the YAML text, not a binary float)."""
    number = _decimal(value, path)
    if not 0 < number < 1:
        raise Invalid(path, f"must be between 0 and 1 (exclusive), got {value}")
    # 0.99999 -> 99.999 (not 99.99900: the model counts decimal places as written).
    return (number * 100).normalize()


def _decimal(value, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Invalid(path, f"must be a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(path, f"must be a number, got {value!r}") from None
    if not number.is_finite():
        raise Invalid(path, f"must be a finite number, got {value!r}")
    return number


def _metric(ratio: dict, part: str, path: str) -> tuple[str, dict]:
    metric = _get(ratio, path, part, kind=dict)
    source = _get(metric, f"{path}.{part}", "metricSource", kind=dict)
    source_path = f"{path}.{part}.metricSource"
    source_type = _get(source, source_path, "type", kind=str)
    if source_type not in (PROMETHEUS_SOURCE_TYPE, PUSH_SOURCE_TYPE):
        raise Invalid(f"{source_path}.type",
                      f"{source_type!r} is not supported; use {PROMETHEUS_SOURCE_TYPE} (or {PUSH_SOURCE_TYPE})")
    spec = _get(source, source_path, "spec", required=False, kind=dict) or {}
    return source_type, {**spec, "_path": f"{source_path}.spec"}


def _indicator_fields(spec: dict, path: str, default_url: str | None) -> dict:
    if "thresholdMetric" in spec:
        raise Invalid(f"{path}.thresholdMetric", "threshold metrics are not supported; use ratioMetric")
    ratio = _get(spec, path, "ratioMetric", kind=dict)
    rpath = f"{path}.ratioMetric"
    if ("good" in ratio) == ("bad" in ratio):
        raise Invalid(rpath, "give exactly one of good and bad (plus total)")
    counted = "good" if "good" in ratio else "bad"
    parts = {counted: _metric(ratio, counted, rpath), "total": _metric(ratio, "total", rpath)}
    types = {source_type for source_type, _ in parts.values()}
    if len(types) > 1:
        raise Invalid(rpath, f"{counted} and total must come from the same kind of metric source")
    if types == {PUSH_SOURCE_TYPE}:
        return {"data_source": DataSource.PUSH, "prometheus_url": "", "promql_good": "", "promql_bad": "",
                "promql_total": "", "_counted": counted}
    counter = ratio.get("counter", True)
    if not isinstance(counter, bool):
        raise Invalid(f"{rpath}.counter", "must be true or false")
    fields = {"data_source": DataSource.PROMETHEUS, "promql_good": "", "promql_bad": "", "_counted": counted,
              "counter": counter}
    urls = set()
    for part, (_, source_spec) in parts.items():
        query = source_spec.get("query")
        if not isinstance(query, str) or not query.strip():
            raise Invalid(f"{source_spec['_path']}.query", "is required: the PromQL of the counter")
        problem = query_problem(query)
        if problem:
            raise Invalid(f"{source_spec['_path']}.query", problem)
        fields[f"promql_{part}"] = query.strip()
        url = source_spec.get("url") or default_url
        if not isinstance(url, str) or not url:
            raise Invalid(f"{source_spec['_path']}.url",
                          "is required: the Prometheus base URL (or pass --prometheus-url)")
        urls.add(url)
    if len(urls) > 1:
        raise Invalid(rpath, f"{counted} and total must use the same Prometheus server")
    fields["prometheus_url"] = urls.pop()
    return fields


def _window_fields(spec: dict, note=lambda text: None) -> dict:
    windows = _get(spec, "spec", "timeWindow", kind=list)
    if len(windows) != 1:
        raise Invalid("spec.timeWindow", f"exactly one time window is supported, got {len(windows)}")
    window, path = windows[0], "spec.timeWindow[0]"
    duration = _get(window, path, "duration", kind=str)
    calendar = _get(window, path, "calendar", required=False, kind=dict)
    rolling = _get(window, path, "isRolling", required=False, kind=bool)
    rolling = calendar is None if rolling is None else rolling
    try:
        count, unit = parse_duration(duration)
    except ValueError as exc:
        raise Invalid(f"{path}.duration", str(exc)) from None
    if rolling:
        if calendar is not None:
            raise Invalid(f"{path}.calendar", "a rolling window (isRolling: true) has no calendar")
        try:
            length = fixed_duration(duration)
        except ValueError as exc:
            raise Invalid(f"{path}.duration", f"{exc} (rolling windows are whole days)") from None
        if length % timedelta(days=1):
            raise Invalid(f"{path}.duration", f"{duration!r} is not a whole number of days (m is minutes, M months)")
        days = length // timedelta(days=1)
        if not 1 <= days <= 400:
            raise Invalid(f"{path}.duration", f"rolling windows are 1 to 400 days, got {days}")
        return {"window_kind": WindowKind.ROLLING, "window_days": days, "time_zone": ""}
    if calendar is None:
        raise Invalid(f"{path}.calendar", "is required for a calendar window (isRolling: false)")
    if (count, unit) == (1, "M"):
        kind = WindowKind.CALENDAR_MONTH
    elif (count, unit) in ((1, "Q"), (3, "M")):
        kind = WindowKind.CALENDAR_QUARTER
    else:
        raise Invalid(f"{path}.duration", f"calendar windows are 1M (month) or 1Q (quarter), got {duration!r}")
    start = _get(calendar, f"{path}.calendar", "startTime")
    try:
        datetime.fromisoformat(str(start))
    except ValueError:
        raise Invalid(f"{path}.calendar.startTime", f"{start!r} is not a date-time like 2024-01-01 00:00:00") from None
    begins = datetime.fromisoformat(str(start))
    aligned = (begins.day, begins.hour, begins.minute, begins.second) == (1, 0, 0, 0) and (
        kind == WindowKind.CALENDAR_MONTH or begins.month in (1, 4, 7, 10))
    if not aligned:
        note(f"calendar startTime {start} not imported: calendar windows start on the first day of each "
             f"{'month' if kind == WindowKind.CALENDAR_MONTH else 'quarter'} at midnight in the time zone")
    zone = _get(calendar, f"{path}.calendar", "timeZone", kind=str)
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"{path}.calendar.timeZone", f"{zone!r} is not an IANA time zone") from None
    return {"window_kind": kind, "window_days": 30, "time_zone": zone}


def _objective_fields(spec: dict, method: str) -> dict:
    objectives = _get(spec, "spec", "objectives", kind=list)
    if len(objectives) != 1:
        raise Invalid("spec.objectives", f"exactly one objective is supported, got {len(objectives)}")
    objective, path = objectives[0], "spec.objectives[0]"
    if not isinstance(objective, dict):
        raise Invalid(path, "must be a mapping")
    if ("target" in objective) == ("targetPercent" in objective):
        raise Invalid(path, "give exactly one of target (0-1) and targetPercent (0-100)")
    if "target" in objective:
        percent = _fraction_to_percent(objective["target"], f"{path}.target")
    else:
        percent = _decimal(objective["targetPercent"], f"{path}.targetPercent")
        if not 0 < percent < 100:
            raise Invalid(f"{path}.targetPercent", f"must be between 0 and 100 (exclusive), got {percent}")
        percent = percent.normalize()
    fields = {"objective": percent, "budgeting_method": BudgetingMethod.OCCURRENCES,
              "slice_length": None, "slice_target": None}
    if method == "Timeslices":
        fields["budgeting_method"] = BudgetingMethod.TIMESLICES
        slice_target = _get(objective, path, "timeSliceTarget")
        number = _decimal(slice_target, f"{path}.timeSliceTarget")
        if not 0 < number <= 1:
            raise Invalid(f"{path}.timeSliceTarget", f"must be above 0 and at most 1, got {slice_target}")
        fields["slice_target"] = (number * 100).normalize()
        window = _get(objective, path, "timeSliceWindow")
        if isinstance(window, int) and not isinstance(window, bool) and window > 0:
            fields["slice_length"] = timedelta(seconds=window)  # OpenSLO: numeric is seconds
        else:
            try:
                fields["slice_length"] = fixed_duration(window)
            except ValueError as exc:
                raise Invalid(f"{path}.timeSliceWindow", str(exc)) from None
    return fields


def _annotation_fields(metadata: dict) -> dict:
    annotations = metadata.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise Invalid("metadata.annotations", "must be a mapping")
    fields = {}
    kind = annotations.get(ANNOTATION_SLI_KIND)
    if kind is not None:
        if kind not in SLIKind.values:
            raise Invalid(f"metadata.annotations.{ANNOTATION_SLI_KIND}", f"must be one of {', '.join(SLIKind.values)}")
        fields["sli_kind"] = kind
    threshold = annotations.get(ANNOTATION_THRESHOLD_MS)
    if threshold is not None:
        if not str(threshold).isdigit() or int(threshold) < 1:
            raise Invalid(f"metadata.annotations.{ANNOTATION_THRESHOLD_MS}", "must be a whole number of ms above 0")
        fields["threshold_ms"] = int(threshold)
    interval = annotations.get(ANNOTATION_EVALUATION_INTERVAL)
    if interval is not None:
        try:
            fields["evaluation_interval"] = annotation_duration(interval)
        except ValueError as exc:
            raise Invalid(f"metadata.annotations.{ANNOTATION_EVALUATION_INTERVAL}", str(exc)) from None
    alerting = annotations.get(ANNOTATION_ALERTING)
    if alerting is not None:
        if str(alerting).lower() not in ("true", "false"):
            raise Invalid(f"metadata.annotations.{ANNOTATION_ALERTING}", "must be true or false")
        fields["alerting_enabled"] = str(alerting).lower() == "true"
    return fields


def _labels(metadata: dict, note) -> dict:
    """OpenSLO labels (string or list of strings) as Prometheus labels; others are noted, not imported."""
    labels = metadata.get("labels") or {}
    if not isinstance(labels, dict):
        raise Invalid("metadata.labels", "must be a mapping")
    kept = {}
    for key, value in labels.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ",".join(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(key, str) or not LABEL_NAME.match(key) or not isinstance(value, str):
            note(f"label {key!r} not imported (Prometheus label names are [a-zA-Z_][a-zA-Z0-9_]*)")
            continue
        kept[key] = value
    return kept


def _tiers(doc: Document, fields: dict) -> list | None:
    """Tiers from AlertPolicies (burn-rate factor -> share of budget) or from a Sloth spec."""
    sloth = doc.body.get("_sloth")
    if sloth is not None:
        fields["alert_name"] = sloth["alert_name"][:200]
        fields["alerting_enabled"] = sloth["alerting"]
        defaults = {tier[0]: tier for tier in DEFAULT_TIERS}
        return [(*defaults[t["name"]], t["labels"]) for t in sloth["tiers"]] or None
    conditions = doc.body.get("_tiers")
    if not conditions:
        return None
    window_hours = Decimal(fields["window_days"] * 24) if fields["window_kind"] == WindowKind.ROLLING else (
        Decimal(30 * 24) if fields["window_kind"] == WindowKind.CALENDAR_MONTH else Decimal(91 * 24))
    tiers = []
    for condition in conditions:
        long_hours = Decimal(condition["long_window"].total_seconds()) / 3600
        percent = (condition["factor"] * long_hours * 100 / window_hours).quantize(Decimal("0.0001"))
        if not Decimal("0.0001") <= percent <= 100:
            raise Invalid("spec.alertPolicies", f"burn rate {condition['factor']} over "
                                                f"{condition['long_window']} spends {percent}% of the budget; "
                                                "a tier spends between 0.0001% and 100%")
        name, taken = condition["name"], {tier[0] for tier in tiers}
        for suffix in range(2, 100):  # two conditions with one name: tier names are unique per SLO
            if name not in taken:
                break
            name = f"{condition['name'][:36]}-{suffix}"
        tiers.append((name, condition["severity"], condition["long_window"], condition["short_window"], percent))
    return tiers


def _slo_fields(doc: Document, slis: dict[str, Document], default_url: str | None, notes: list[str]) -> dict:
    spec = _get(doc.body, "", "spec", kind=dict)
    metadata = doc.body["metadata"]

    def note(text):
        notes.append(f"document {doc.index} ({doc.name}): {text}.")
    fields = {"slug": doc.name, "name": metadata.get("displayName") or doc.name,
              "description": spec.get("description") or "", "_service": _get(spec, "spec", "service", kind=str)}
    if ("indicator" in spec) == ("indicatorRef" in spec):
        raise Invalid("spec", "give exactly one of indicator (inline SLI) and indicatorRef")
    if "indicator" in spec:
        indicator = _get(spec, "spec", "indicator", kind=dict)
        fields.update(_indicator_fields(_get(indicator, "spec.indicator", "spec", kind=dict),
                                        "spec.indicator.spec", default_url))
    else:
        ref = _get(spec, "spec", "indicatorRef", kind=str)
        if ref not in slis:
            raise Invalid("spec.indicatorRef", f"no SLI document named {ref!r} in this file")
        sli = slis[ref]
        try:
            fields.update(_indicator_fields(_get(sli.body, "", "spec", kind=dict), "spec", default_url))
        except Invalid as exc:
            reason = f"SLI {ref!r} (document {sli.index}): {exc.path}: {exc.reason}"
            raise Invalid("spec.indicatorRef", reason) from None
    method = _get(spec, "spec", "budgetingMethod", kind=str)
    if method not in ("Occurrences", "Timeslices", "RatioTimeslices"):
        raise Invalid("spec.budgetingMethod", f"must be Occurrences, Timeslices or RatioTimeslices, got {method!r}")
    if method == "RatioTimeslices":
        # The average of per-slice ratios equals the ratio of all events when every slice has the same
        # traffic; the portal counts events (Occurrences) and says so.
        note("budgetingMethod RatioTimeslices imported as Occurrences (ratio of all events in the window; the "
             "same as the average of slice ratios when traffic is even); timeSliceWindow not used")
        method = "Occurrences"
    fields.update(_window_fields(spec, note))
    fields.update(_objective_fields(spec, method))
    fields["labels"] = _labels(metadata, note)
    tiers = _tiers(doc, fields)
    if tiers is not None:
        fields["_tiers"] = tiers
    annotated = _annotation_fields(metadata)
    counted = fields.pop("_counted")
    fields["sli_kind"] = annotated.pop("sli_kind", SLIKind.ERROR_RATE if counted == "bad" else SLIKind.AVAILABILITY)
    fields.setdefault("threshold_ms", None)
    fields.update(annotated)
    if fields["sli_kind"] != SLIKind.LATENCY:
        fields["threshold_ms"] = None
    return fields


def parse_documents(text: str, default_url: str | None = None, notes: list[str] | None = None) -> list[Document]:
    """Read and validate every document; raises OpenSLOError listing all problems. What was converted
    or left out on purpose is appended to `notes` (never dropped silently)."""
    problems: list[Problem] = []
    notes = notes if notes is not None else []
    try:
        raw = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise OpenSLOError([Problem(0, "", "yaml", f"not valid YAML: {exc}")]) from None
    try:
        raw = expand([body for body in raw if body is not None], notes)
    except NormalizeError as exc:
        raise OpenSLOError([Problem(exc.index, exc.name, exc.path, exc.reason)]) from None
    documents: list[Document] = []
    generated_services = set()
    for index, body in enumerate(raw):
        if body is None:
            continue
        if isinstance(body, dict) and body.get("_generated"):
            if _name(body) in generated_services:
                continue  # several Sloth specs of one service
            generated_services.add(_name(body))
        name = body.get("metadata", {}).get("name", "") if isinstance(body, dict) else ""
        name = name if isinstance(name, str) else ""
        try:
            if not isinstance(body, dict):
                raise Invalid("", "a document must be a mapping")
            if body.get("apiVersion") != API_VERSION:
                raise Invalid("apiVersion", f"must be {API_VERSION}, got {body.get('apiVersion')!r}")
            kind = body.get("kind")
            if kind not in KINDS:
                raise Invalid("kind", f"{kind!r} is not supported; use one of {', '.join(KINDS + USED_KINDS)}")
            _get(body, "", "metadata", kind=dict)
            if not NAME.match(name):
                raise Invalid("metadata.name", f"{name!r} must be a lowercase DNS label (a-z, 0-9, -; up to 64)")
            documents.append(Document(index, kind, name, body))
        except Invalid as exc:
            problems.append(Problem(index, name, exc.path, exc.reason))
    seen: dict[tuple, int] = {}
    for doc in documents:
        if (doc.kind, doc.name) in seen:
            problems.append(Problem(doc.index, doc.name, "metadata.name",
                                    f"another {doc.kind} has this name (document {seen[(doc.kind, doc.name)]})"))
        seen.setdefault((doc.kind, doc.name), doc.index)
    slis = {doc.name: doc for doc in documents if doc.kind == "SLI"}
    for doc in documents:
        try:
            if doc.kind == "SLO":
                doc.fields = _slo_fields(doc, slis, default_url, notes)
            elif doc.kind == "SLI":
                _indicator_fields(_get(doc.body, "", "spec", kind=dict), "spec", default_url)
            else:
                spec = doc.body.get("spec") or {}
                if not isinstance(spec, dict):
                    raise Invalid("spec", "must be a mapping")
                doc.fields = {"name": doc.body["metadata"].get("displayName") or doc.name,
                              "description": spec.get("description") or ""}
        except Invalid as exc:
            problems.append(Problem(doc.index, doc.name, exc.path, exc.reason))
    if problems:
        raise OpenSLOError(sorted(problems, key=lambda p: p.index))
    return documents


@dataclass
class ImportResult:
    services_created: list[str] = field(default_factory=list)
    slos_created: list[str] = field(default_factory=list)
    slos_updated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_documents(text: str, *, project, default_url: str | None = None, actor=None) -> ImportResult:
    """Create or update the project's services and SLOs (matched by slug) from OpenSLO documents.

    All or nothing: every document is validated first, every SLO through the same rules as the
    admin and API (`full_clean`), all in one transaction; any problem raises OpenSLOError and
    nothing is written. New SLOs get the default burn-rate tiers; existing SLOs keep theirs.
    """
    result, problems = ImportResult(), []
    documents = parse_documents(text, default_url, result.notes)
    with transaction.atomic():
        services = {s.slug: s for s in Service.objects.filter(project=project)}
        for doc in documents:
            if doc.kind != "Service":
                continue
            service = services.get(doc.name)
            if service is None:
                service = Service(project=project, slug=doc.name, **doc.fields)
                result.services_created.append(doc.name)
            else:
                for key, value in doc.fields.items():
                    setattr(service, key, value)
            try:
                service.full_clean()
                service.save()
            except ValidationError as exc:
                problems += [Problem(doc.index, doc.name, "metadata", "; ".join(exc.messages))]
            services[doc.name] = service
        existing = {s.slug: s for s in SLO.objects.filter(project=project)}
        for doc in documents:
            if doc.kind != "SLO":
                continue
            fields = dict(doc.fields)
            service_slug = fields.pop("_service")
            service = services.get(service_slug)
            if service is None and NAME.match(service_slug):
                # Published examples name services they do not define: create it, and say so.
                service = Service(project=project, slug=service_slug, name=service_slug)
                try:
                    service.full_clean()
                    service.save()
                except ValidationError as exc:
                    problems.append(Problem(doc.index, doc.name, "spec.service", "; ".join(exc.messages)))
                    continue
                services[service_slug] = service
                result.services_created.append(service_slug)
                result.notes.append(f"document {doc.index} ({doc.name}): service {service_slug!r} is defined by no "
                                    "Service document; created it.")
            if service is None:
                problems.append(Problem(doc.index, doc.name, "spec.service",
                                        f"no service {doc.fields['_service']!r} in the project or this file"))
                continue
            try:
                tiers = fields.pop("_tiers", None)
                with transaction.atomic():
                    if doc.name in existing:
                        fields.pop("slug")
                        slo = slo_update(slo=existing[doc.name], actor=actor, service=service, **fields)
                        if tiers:
                            tier_replace(slo=slo, actor=actor, tiers=[
                                {"name": t[0], "severity": t[1], "long_window": t[2], "short_window": t[3],
                                 "budget_percent": t[4], "alert_labels": t[5] if len(t) > 5 else {}}
                                for t in tiers])
                        result.slos_updated.append(doc.name)
                    else:
                        slo_create(project=project, service=service, actor=actor, tiers=tiers, **fields)
                        result.slos_created.append(doc.name)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    path = FIELD_PATHS.get(name, "spec")
                    problems.append(Problem(doc.index, doc.name, path, "; ".join(messages)))
        if problems:
            raise OpenSLOError(problems)  # rolls the whole import back
    return result

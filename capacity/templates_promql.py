"""Ready-made PromQL for the usual exporters, chosen from a list when a resource is created.

Each template returns ONE series of usage in the resource's unit; the capacity is set on the
resource (for container limits, `*_limit` templates give the limit to copy into it).
Parameters are label values; they are quoted so a value cannot break out of the selector.
"""

from django.core.exceptions import ValidationError

TEMPLATES = {
    # node_exporter
    "node_cpu_busy_cores": {
        "label": "node_exporter: busy CPU cores of an instance",
        "kind": "cpu", "unit": "cores",
        "promql": 'sum(rate(node_cpu_seconds_total{{instance={instance},mode!="idle"}}[5m]))',
        "params": ["instance"],
    },
    "node_memory_used_bytes": {
        "label": "node_exporter: memory in use (total - available)",
        "kind": "memory", "unit": "bytes",
        "promql": ("node_memory_MemTotal_bytes{{instance={instance}}}"
                   " - node_memory_MemAvailable_bytes{{instance={instance}}}"),
        "params": ["instance"],
    },
    "node_filesystem_used_bytes": {
        "label": "node_exporter: filesystem bytes used at a mount point",
        "kind": "disk", "unit": "bytes",
        "promql": ("node_filesystem_size_bytes{{instance={instance},mountpoint={mountpoint}}}"
                   " - node_filesystem_avail_bytes{{instance={instance},mountpoint={mountpoint}}}"),
        "params": ["instance", "mountpoint"],
    },
    # cAdvisor + kube-state-metrics
    "container_cpu_cores": {
        "label": "cAdvisor: CPU cores used by a container",
        "kind": "cpu", "unit": "cores",
        "promql": ("sum(rate(container_cpu_usage_seconds_total{{namespace={namespace},pod=~{pod_regex},"
                   "container={container}}}[5m]))"),
        "params": ["namespace", "pod_regex", "container"],
    },
    "container_memory_working_set_bytes": {
        "label": "cAdvisor: memory working set of a container",
        "kind": "memory", "unit": "bytes",
        "promql": ("sum(container_memory_working_set_bytes{{namespace={namespace},pod=~{pod_regex},"
                   "container={container}}})"),
        "params": ["namespace", "pod_regex", "container"],
    },
    "container_cpu_limit_cores": {
        "label": "kube-state-metrics: CPU limit of a container (the capacity)",
        "kind": "cpu", "unit": "cores",
        "promql": ('sum(kube_pod_container_resource_limits{{namespace={namespace},pod=~{pod_regex},'
                   'container={container},resource="cpu"}})'),
        "params": ["namespace", "pod_regex", "container"],
    },
    "container_memory_limit_bytes": {
        "label": "kube-state-metrics: memory limit of a container (the capacity)",
        "kind": "memory", "unit": "bytes",
        "promql": ('sum(kube_pod_container_resource_limits{{namespace={namespace},pod=~{pod_regex},'
                   'container={container},resource="memory"}})'),
        "params": ["namespace", "pod_regex", "container"],
    },
    # HTTP histograms (performance signals)
    "http_request_rate": {
        "label": "HTTP: requests per second of a job",
        "kind": "throughput", "unit": "req/s",
        "promql": "sum(rate(http_request_duration_seconds_count{{job={job}}}[5m]))",
        "params": ["job"],
    },
    "http_latency_p95_seconds": {
        "label": "HTTP: p95 latency of a job from its histogram",
        "kind": "custom", "unit": "s",
        "promql": "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{job={job}}}[5m])))",
        "params": ["job"],
    },
}

TEMPLATE_CHOICES = [("", "(write the query)")] + [(key, t["label"]) for key, t in TEMPLATES.items()]


def quote_label(value: str) -> str:
    """A PromQL string literal (double quotes, backslash and quote escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_template(key: str, params: dict) -> str:
    template = TEMPLATES.get(key)
    if template is None:
        raise ValidationError({"query_template": f"Unknown template {key!r}; choose one of {', '.join(TEMPLATES)}."})
    if not isinstance(params, dict):
        raise ValidationError({"template_params": "must be an object of label values."})
    missing = [name for name in template["params"] if not isinstance(params.get(name), str) or not params[name]]
    if missing:
        raise ValidationError({"template_params": f"{key} needs {', '.join(missing)} (label values as strings)."})
    return template["promql"].format(**{name: quote_label(params[name]) for name in template["params"]})


def histogram_quantile_query(*, quantile: float, selector: str, window: str = "5m") -> str:
    """PromQL for a latency percentile from an HTTP histogram (`selector` like `{job="api"}`)."""
    return (f"histogram_quantile({quantile}, sum by (le) "
            f"(rate(http_request_duration_seconds_bucket{selector}[{window}])))")

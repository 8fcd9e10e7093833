"""Alertmanager webhook payloads (version 4) as Alertmanager 0.25 sends them."""

import copy

ZERO_TIME = "0001-01-01T00:00:00Z"


def alert(name="CheckoutErrorRate", *, status="firing", fingerprint="a1b2c3d4e5f60718", severity="critical",
          service="checkout", starts_at="2026-11-26T10:00:00Z", ends_at=ZERO_TIME, instance="web-1",
          annotations=None):
    labels = {"alertname": name, "instance": instance, "job": "checkout"}
    if severity is not None:
        labels["severity"] = severity
    if service is not None:
        labels["service"] = service
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations if annotations is not None else {
            "summary": "5xx ratio above 5% on checkout",
            "description": "More than 5% of checkout requests fail.",
            "runbook_url": "https://runbooks.shop.example/checkout-errors",
        },
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=checkout_errors",
        "fingerprint": fingerprint,
    }


def payload(alerts=None, *, status=None, group_key='{}:{alertname="CheckoutErrorRate"}', truncated=0):
    alerts = alerts if alerts is not None else [alert()]
    if status is None:
        status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    common = dict(alerts[0]["labels"])
    for other in alerts[1:]:
        common = {k: v for k, v in common.items() if other["labels"].get(k) == v}
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": truncated,
        "status": status,
        "receiver": "opsportal",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": common,
        "commonAnnotations": {"summary": alerts[0]["annotations"].get("summary", "")} if len(alerts) == 1 else {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }


def resolved(body, ends_at="2026-11-26T10:30:00Z"):
    body = copy.deepcopy(body)
    body["status"] = "resolved"
    for item in body["alerts"]:
        item["status"] = "resolved"
        item["endsAt"] = ends_at
    return body

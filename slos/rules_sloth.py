"""Sloth-compatible Prometheus rules (`export_prometheus_rules PROJECT --flavour sloth`).

Drop-in for what `sloth generate` writes (see tests/thirdparty/sloth/generated/), so the Grafana
dashboards people use with Sloth work on the portal's SLOs:

* group `sloth-slo-sli-recordings-<id>`: `slo:sli_error:ratio_rate<window>` for every alert window
  and the SLO period (the period as the average of the 5m ratio, as Sloth does);
* group `sloth-slo-meta-recordings-<id>`: `slo:objective:ratio`, `slo:error_budget:ratio`,
  `slo:time_period:days`, `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio`,
  `slo:period_error_budget_remaining:ratio`, `sloth_slo_info`;
* group `sloth-slo-alerts-<id>`: one page and one ticket alert, each the OR of its tiers (long and
  short window both above factor x error budget), labelled `sloth_severity`.

Every rule carries `sloth_id` (`<service>-<slo>`), `sloth_service`, `sloth_slo` and the SLO's labels.
Thresholds are exact decimals (the portal's arithmetic), not Sloth's float products.
"""

from datetime import timedelta

from django.utils import timezone

from slos import budget
from slos.models import SLO, Severity
from slos.rules_export import alert_name, error_ratio_expr, promql_number, record_name
from slos.windows import ALERT_WINDOWS, duration_label, slo_window

SLOTH_SPEC = "prometheus/v1"
SHORT_WINDOW = ALERT_WINDOWS["5m"]


def sloth_ids(slo: SLO) -> dict:
    """Sloth's identity labels: an SLO imported from Sloth as `<service>-<name>` gets its name back."""
    service = slo.service.slug
    name = slo.slug[len(service) + 1:] if slo.slug.startswith(f"{service}-") else slo.slug
    return {"sloth_id": f"{service}-{name}", "sloth_service": service, "sloth_slo": name}


def _selector(ids: dict) -> str:
    return "{" + ", ".join(f'{key}="{value}"' for key, value in ids.items()) + "}"


def _days(length: timedelta) -> int:
    return max(1, round(length / timedelta(days=1)))


def sloth_rule_groups(slo: SLO, now=None) -> list[dict]:
    now = now or timezone.now()
    ids = sloth_ids(slo)
    common = {**slo.labels, **ids}
    selector = _selector(ids)
    period = slo_window(slo, now).length
    period_label = f"{_days(period)}d"
    tiers = list(slo.tiers.all())
    windows = {duration_label(w): w for w in ALERT_WINDOWS.values()}
    for tier in tiers:
        for w in (tier.long_window, tier.short_window):
            windows.setdefault(duration_label(w), w)
    sli = [{"record": record_name(w), "expr": error_ratio_expr(slo, w) + "\n",
            "labels": {**common, "sloth_window": duration_label(w)}} for w in sorted(windows.values())]
    sli.append({
        "record": f"slo:sli_error:ratio_rate{period_label}",
        "expr": (f"sum_over_time(slo:sli_error:ratio_rate5m{selector}[{period_label}])\n"
                 f"/ ignoring (sloth_window)\n"
                 f"count_over_time(slo:sli_error:ratio_rate5m{selector}[{period_label}])\n"),
        "labels": {**common, "sloth_window": period_label},
    })
    objective = promql_number(budget.objective_ratio(slo.objective))
    error_budget = promql_number(budget.allowed_error_ratio(slo.objective))
    on = "/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
    meta = [
        {"record": "slo:objective:ratio", "expr": f"vector({objective})", "labels": dict(common)},
        {"record": "slo:error_budget:ratio", "expr": f"vector({error_budget})", "labels": dict(common)},
        {"record": "slo:time_period:days", "expr": f"vector({_days(period)})", "labels": dict(common)},
        {"record": "slo:current_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate5m{selector}\n{on}slo:error_budget:ratio{selector}\n",
         "labels": dict(common)},
        {"record": "slo:period_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate{period_label}{selector}\n{on}slo:error_budget:ratio{selector}\n",
         "labels": dict(common)},
        {"record": "slo:period_error_budget_remaining:ratio",
         "expr": f"1 - slo:period_burn_rate:ratio{selector}", "labels": dict(common)},
        {"record": "sloth_slo_info", "expr": "vector(1)",
         "labels": {**common, "sloth_mode": "opsportal-export", "sloth_objective": f"{slo.objective.normalize():f}",
                    "sloth_spec": SLOTH_SPEC, "sloth_version": "opsportal"}},
    ]
    groups = [
        {"name": f"sloth-slo-sli-recordings-{ids['sloth_id']}", "rules": sli},
        {"name": f"sloth-slo-meta-recordings-{ids['sloth_id']}", "rules": meta},
    ]
    alerts = _alerts(slo, tiers, ids, selector, period) if slo.alerting_enabled else []
    if alerts:
        groups.append({"name": f"sloth-slo-alerts-{ids['sloth_id']}", "rules": alerts})
    return groups


def _alerts(slo: SLO, tiers, ids: dict, selector: str, period: timedelta) -> list[dict]:
    allowed = budget.allowed_error_ratio(slo.objective)
    rules = []
    for severity in (str(Severity.PAGE.value), str(Severity.TICKET.value)):
        chosen = [t for t in tiers if t.severity == severity]
        if not chosen:
            continue
        conditions, labels = [], {}
        for tier in chosen:
            threshold = promql_number(budget.tier_factor(tier.budget_percent, period, tier.long_window) * allowed)
            conditions.append(
                "(\n"
                f"    max(slo:sli_error:ratio_rate{duration_label(tier.short_window)}{selector} > {threshold}) "
                "without (sloth_window)\n    and\n"
                f"    max(slo:sli_error:ratio_rate{duration_label(tier.long_window)}{selector} > {threshold}) "
                "without (sloth_window)\n)")
            labels.update(tier.alert_labels)
        # Sloth's own routing: `severity` may be a routing name (pageteam), `sloth_severity` is page/ticket.
        labels.setdefault("severity", severity)
        rules.append({
            "alert": alert_name(slo) if slo.alert_name else f"{_camel(ids['sloth_id'])}ErrorBudgetBurn",
            "expr": "\nor\n".join(conditions) + "\n",
            "labels": {**slo.labels, **labels, **ids, "sloth_severity": severity},
            "annotations": {
                "summary": f"{slo.name}: error budget burn rate is too fast ({severity}).",
                "title": f"({severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} SLO error budget "
                         "burn rate is too fast.",
            },
        })
    return rules


def _camel(text: str) -> str:
    return "".join(part.capitalize() for part in text.replace("_", "-").split("-") if part)

"""Prometheus recording and multi-window, multi-burn-rate alerting rules for Prometheus-sourced SLOs.

The same arithmetic as the portal (Workbook "Alerting on SLOs"), run by Prometheus itself:

* recording rules `slo:sli_error:ratio_rate<window>` (error ratio over 5m, 30m, 1h, 2h, 6h, 1d, 3d and
  any other tier window), labelled `slo`, `service`, `project` (Sloth/Pyrra style); the SLO's PromQL
  is rendered with `$window` replaced by each window (see `slos.sources.prometheus.render_query`);
* one alert `SLOErrorBudgetBurn` (or the SLO's alert name) per burn-rate tier, labelled `severity`
  (page/ticket), `tier` and the SLO's labels, firing when both its long and short window error ratios
  are strictly above factor x (1 - objective).

`--flavour sloth` writes Sloth-compatible rules instead (`slos.rules_sloth`).

Thresholds are exact decimals computed here (14.4 x 0.001 = 0.0144), not PromQL float products. Calendar
windows use the length of the current month or quarter for the factor.
"""

from datetime import timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

import yaml
from django.conf import settings
from django.utils import timezone

from slos import budget
from slos.models import SLO, DataSource, SLIKind
from slos.sources.prometheus import render_query
from slos.windows import ALERT_WINDOWS, duration_label, slo_window

ALERT_NAME = "SLOErrorBudgetBurn"


def record_name(window: timedelta) -> str:
    return f"slo:sli_error:ratio_rate{duration_label(window)}"


def promql_number(value: Fraction) -> str:
    """An exact decimal literal when the fraction has one, else 17 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 17
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(exact) == value:
        return format(exact.normalize(), "f")
    return format(exact, "f")


def error_ratio_expr(slo: SLO, window: timedelta) -> str:
    total = render_query(slo.promql_total, window, counter=slo.counter)
    if slo.promql_bad.strip():
        return f"({render_query(slo.promql_bad, window, counter=slo.counter)})\n/\n({total})"
    return f"1 - (\n  ({render_query(slo.promql_good, window, counter=slo.counter)})\n  /\n  ({total})\n)"


def slo_labels(slo: SLO) -> dict:
    return {"slo": slo.slug, "service": slo.service.slug, "project": slo.project.slug}


def alert_name(slo: SLO) -> str:
    return slo.alert_name or ALERT_NAME


def _selector(labels: dict) -> str:
    return "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}"


def _runbook_url(slo: SLO) -> str | None:
    """The first published runbook answering the alert, when the knowledge base app offers one."""
    try:
        from knowledgebase.selectors import runbooks_for_alert
    except ImportError:
        return None
    for runbook in runbooks_for_alert(ALERT_NAME, project=slo.project)[:1]:
        url = getattr(runbook, "get_absolute_url", None)
        # Alert receivers are outside the portal: the link must be absolute.
        return f"{settings.OPSPORTAL_BASE_URL}{url()}" if callable(url) else None
    return None


def slo_rule_group(slo: SLO, now=None) -> dict:
    """Recording and alerting rules of one SLO as one Prometheus rule group."""
    now = now or timezone.now()
    labels = slo_labels(slo)
    tiers = list(slo.tiers.all())
    windows = {duration_label(w): w for w in ALERT_WINDOWS.values()}
    for tier in tiers:
        for w in (tier.long_window, tier.short_window):
            windows.setdefault(duration_label(w), w)
    rules: list[dict] = [
        {"record": record_name(w), "expr": error_ratio_expr(slo, w), "labels": {**slo.labels, **labels}}
        for w in sorted(windows.values())
    ]
    objective = promql_number(budget.objective_ratio(slo.objective))
    rules.append({"record": "slo:objective:ratio", "expr": f"vector({objective})",
                  "labels": {**slo.labels, **labels}})
    if slo.alerting_enabled:
        length = slo_window(slo, now).length
        allowed = budget.allowed_error_ratio(slo.objective)
        runbook = _runbook_url(slo)
        what = {SLIKind.LATENCY: f"requests slower than {slo.threshold_ms} ms"}.get(slo.sli_kind, "errors")
        for tier in tiers:
            factor = budget.tier_factor(tier.budget_percent, length, tier.long_window)
            threshold = promql_number(factor * allowed)
            long_label, short_label = duration_label(tier.long_window), duration_label(tier.short_window)
            annotations = {
                "summary": f"{slo.name}: error budget burning {promql_number(factor)}x too fast "
                           f"({long_label} and {short_label} windows)",
                "description": (
                    f"SLO {slo.project.slug}/{slo.slug} ({slo.target_display} over {slo.window_label}): {what} "
                    f"over the last {long_label} and {short_label} exceed {promql_number(factor)} x the error "
                    f"budget rate ({threshold}); at this pace {tier.budget_percent}% of the budget is spent in "
                    f"{long_label}."
                ),
            }
            if runbook:
                annotations["runbook_url"] = runbook
            rules.append({
                "alert": alert_name(slo),
                "expr": (f"{record_name(tier.long_window)}{_selector(labels)} > {threshold}\n"
                         f"and\n{record_name(tier.short_window)}{_selector(labels)} > {threshold}"),
                # The SLO's own labels make each SLO's alerts distinct rules (promtool's duplicate-rule
                # lint compares alert name and rule labels, not the expression).
                "labels": {**slo.labels, **tier.alert_labels, **labels, "severity": tier.severity,
                           "tier": tier.name},
                "annotations": annotations,
            })
    return {"name": f"opsportal-slo-{slo.project.slug}-{slo.slug}", "rules": rules}


FLAVOURS = ("opsportal", "sloth")


def prometheus_slos(project):
    return (SLO.objects.active().filter(project=project, data_source=DataSource.PROMETHEUS)
            .select_related("project", "service").prefetch_related("tiers").order_by("slug"))


def project_rules(project, now=None, flavour: str = "opsportal") -> dict:
    if flavour == "sloth":
        from slos.rules_sloth import sloth_rule_groups

        return {"groups": [group for slo in prometheus_slos(project) for group in sloth_rule_groups(slo, now)]}
    return {"groups": [slo_rule_group(slo, now) for slo in prometheus_slos(project)]}


def rules_yaml(project, now=None, flavour: str = "opsportal") -> str:
    return yaml.safe_dump(project_rules(project, now, flavour), sort_keys=False, width=1000, allow_unicode=True)

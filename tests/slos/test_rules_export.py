"""export_prometheus_rules: recording and multi-burn-rate alerting rules that promtool accepts and runs."""

import shutil
import subprocess
from decimal import Decimal
from fractions import Fraction

import pytest
import yaml
from django.core.management import CommandError, call_command

from slos.models import DataSource, SLIKind
from slos.rules_export import promql_number, rules_yaml
from tests.conftest import require_external

BAD = 'http_requests_total{job="checkout",code=~"5.."}'
TOTAL = 'http_requests_total{job="checkout"}'


@pytest.fixture
def checkout_slo(make_slo):
    return make_slo(slug="checkout-availability", name="Checkout availability", data_source=DataSource.PROMETHEUS,
                    sli_kind=SLIKind.ERROR_RATE, prometheus_url="http://prometheus.monitoring.svc:9090", promql_bad=BAD,
                    promql_total=TOTAL)


def test_rules_have_every_window_and_the_workbook_tiers(checkout_slo, make_slo, project):
    make_slo(slug="pushed")  # push-sourced SLOs get no rules
    make_slo(slug="latency-28d", data_source=DataSource.PROMETHEUS, prometheus_url="http://prometheus.example.com",
             promql_good='sum(increase(http_request_duration_seconds_bucket{le="0.3"}[$window]))',
             promql_total="http_request_duration_seconds_count", window_days=28, sli_kind=SLIKind.LATENCY,
             threshold_ms=300)
    doc = yaml.safe_load(rules_yaml(project))
    assert [g["name"] for g in doc["groups"]] == [
        f"opsportal-slo-{project.slug}-checkout-availability", f"opsportal-slo-{project.slug}-latency-28d"]
    rules = doc["groups"][0]["rules"]
    records = [r["record"] for r in rules if "record" in r]
    assert records == [f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")] + [
        "slo:objective:ratio"]
    one_hour = next(r for r in rules if r.get("record") == "slo:sli_error:ratio_rate1h")
    assert one_hour["expr"] == f"(sum(increase({BAD}[1h])))\n/\n(sum(increase({TOTAL}[1h])))"
    assert one_hour["labels"] == {"slo": "checkout-availability", "service": checkout_slo.service.slug,
                                  "project": project.slug}
    alerts = [(r["labels"]["tier"], r["labels"]["severity"], r["expr"].split(" > ")[-1]) for r in rules if "alert" in r]
    # 30 days: 14.4x, 6x, 3x, 1x of the 0.1% budget.
    assert alerts == [("page-1h", "page", "0.0144"), ("page-6h", "page", "0.006"), ("ticket-1d", "ticket", "0.003"),
                      ("ticket-3d", "ticket", "0.001")]
    page = next(r for r in rules if r.get("labels", {}).get("tier") == "page-1h")
    selector = f'{{slo="checkout-availability",service="{checkout_slo.service.slug}",project="{project.slug}"}}'
    assert page["expr"] == (f"slo:sli_error:ratio_rate1h{selector} > 0.0144\n"
                            f"and\nslo:sli_error:ratio_rate5m{selector} > 0.0144")
    assert "14.4x too fast" in page["annotations"]["summary"]
    # 28 days: 13.44, 5.6, 2.8, 0.9333... (x 0.1%).
    latency = doc["groups"][1]["rules"]
    thresholds = [r["expr"].split(" > ")[-1] for r in latency if "alert" in r]
    assert thresholds == ["0.01344", "0.0056", "0.0028", "0.00093333333333333333"]
    assert "1 - (" in latency[0]["expr"] and "[5m]" in latency[0]["expr"]


def test_promql_number_is_exact_or_17_digits():
    assert promql_number(Fraction(144, 10000)) == "0.0144"
    assert promql_number(Fraction(14, 15000)) == "0.00093333333333333333"
    assert Decimal(promql_number(Fraction(1, 3))) == Decimal("0.33333333333333333")


def test_command_writes_file_and_rejects_unknown_project(checkout_slo, project, tmp_path):
    target = tmp_path / "rules.yml"
    call_command("export_prometheus_rules", project.slug, "--output", str(target))
    assert yaml.safe_load(target.read_text())["groups"][0]["name"].endswith("checkout-availability")
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        call_command("export_prometheus_rules", "nope")


UNIT_TESTS = """
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - name: 15x burn pages
    interval: 1m
    input_series:
      - series: 'http_requests_total{{job="checkout",code="200"}}'
        values: '0+985x100'
      - series: 'http_requests_total{{job="checkout",code="500"}}'
        values: '0+15x100'
    alert_rule_test:
      - eval_time: 70m
        alertname: SLOErrorBudgetBurn
        exp_alerts:
{fifteen}
  - name: 10x burn does not page on the 1h tier
    interval: 1m
    input_series:
      - series: 'http_requests_total{{job="checkout",code="200"}}'
        values: '0+990x100'
      - series: 'http_requests_total{{job="checkout",code="500"}}'
        values: '0+10x100'
    alert_rule_test:
      - eval_time: 70m
        alertname: SLOErrorBudgetBurn
        exp_alerts:
{ten}
"""


def _expected(rules, labels, tiers):
    """exp_alerts entries (labels and the exported annotations) for the tiers expected to fire."""
    annotations = {r["labels"]["tier"]: r["annotations"] for r in rules if "alert" in r}
    entries = [{"exp_labels": {**labels, "severity": severity, "tier": tier}, "exp_annotations": annotations[tier]}
               for tier, severity in tiers]
    return "\n".join("          " + line for line in yaml.safe_dump(entries, width=1000).splitlines())


def test_promtool_checks_and_unit_tests_the_rules(checkout_slo, project, tmp_path):
    if not shutil.which("promtool"):
        require_external("promtool is needed (Debian package prometheus)")
    text = rules_yaml(project)
    (tmp_path / "rules.yml").write_text(text)
    rules = yaml.safe_load(text)["groups"][0]["rules"]
    check = subprocess.run(["promtool", "check", "rules", str(tmp_path / "rules.yml")],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 12 rules found" in check.stdout + check.stderr
    labels = {"slo": "checkout-availability", "service": checkout_slo.service.slug, "project": project.slug}
    tiers = [("page-1h", "page"), ("page-6h", "page"), ("ticket-1d", "ticket"), ("ticket-3d", "ticket")]
    # Error ratio 0.015 (15x) fires every tier; 0.010 (10x) fires every tier but the 14.4x page.
    (tmp_path / "tests.yml").write_text(
        UNIT_TESTS.format(fifteen=_expected(rules, labels, tiers), ten=_expected(rules, labels, tiers[1:])))
    run = subprocess.run(["promtool", "test", "rules", str(tmp_path / "tests.yml")],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout + run.stderr


def test_runbook_answering_the_alert_is_linked(checkout_slo, project, operator, settings):
    from knowledgebase.models import ArticleKind
    from tests.knowledgebase.conftest import make_article

    settings.OPSPORTAL_BASE_URL = "https://ops.example.com"
    rules = yaml.safe_load(rules_yaml(project))["groups"][0]["rules"]
    assert all("runbook_url" not in r["annotations"] for r in rules if "alert" in r)
    runbook = make_article(operator, kind=ArticleKind.RUNBOOK, project=project, slug="error-budget-burn",
                           alert_names=["SLOErrorBudgetBurn"], publish=True)
    rules = yaml.safe_load(rules_yaml(project))["groups"][0]["rules"]
    links = {r["annotations"]["runbook_url"] for r in rules if "alert" in r}
    assert links == {f"https://ops.example.com{runbook.get_absolute_url()}"}

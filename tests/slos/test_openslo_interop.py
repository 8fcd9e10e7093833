"""OpenSLO as published: YAML lists, DataSources, several objectives, alert policies, v1alpha,
gauges, five nines; refusals name document and field; notes say what was converted or left out."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from slos.models import SLO, DataSource
from slos.openslo import OpenSLOError, export_documents, import_documents
from slos.sources.prometheus import render_query
from tests.slos.conftest import make_slo  # noqa: F401 (fixture)

PUBLISHED = """
- apiVersion: openslo/v1
  kind: DataSource
  metadata:
    name: prometheus-datasource
  spec:
    type: Prometheus
    connectionDetails:
      url: http://prometheus:9090
- apiVersion: openslo/v1
  kind: Service
  metadata:
    name: web-shop
- apiVersion: openslo/v1
  kind: AlertCondition
  metadata:
    name: fast-burn
  spec:
    severity: page
    condition:
      kind: burnrate
      op: gt
      threshold: 14.4
      lookbackWindow: 1h
      alertAfter: 5m
- apiVersion: openslo/v1
  kind: AlertPolicy
  metadata:
    name: burn-policy
  spec:
    alertWhenBreaching: true
    conditions:
      - conditionRef: fast-burn
    notificationTargets:
      - targetRef: on-call
- apiVersion: openslo/v1
  kind: AlertNotificationTarget
  metadata:
    name: on-call
  spec:
    target: email
- apiVersion: openslo/v1
  kind: SLO
  metadata:
    name: main-page
    displayName: Main page availability
    labels:
      team: shop
      cost-centre: ["a", "b"]
  spec:
    service: web-shop
    indicator:
      metadata:
        name: response-code
      spec:
        ratioMetric:
          counter: true
          good:
            metricSource:
              metricSourceRef: prometheus-datasource
              spec:
                query: http_requests_total{code=~"2.."}
          total:
            metricSource:
              metricSourceRef: prometheus-datasource
              spec:
                query: http_requests_total
    timeWindow:
      - duration: 1M
        isRolling: false
        calendar:
          startTime: 2022-01-01 12:00:00
          timeZone: America/New_York
    budgetingMethod: Occurrences
    alertPolicies:
      - burn-policy
    objectives:
      - displayName: Internal
        target: 0.99999
      - displayName: SLA
        target: 0.99
"""


def test_published_shapes_import_with_notes(project):
    result = import_documents(PUBLISHED, project=project)
    assert result.slos_created == ["main-page-internal", "main-page-sla"]
    internal = SLO.objects.get(slug="main-page-internal")
    assert internal.objective == Decimal("99.999")  # five nines of a fraction
    assert internal.prometheus_url == "http://prometheus:9090"  # from the DataSource, single-label host
    assert internal.data_source == DataSource.PROMETHEUS
    assert internal.labels == {"team": "shop"}
    assert internal.name == "Main page availability (Internal)"
    tiers = list(internal.tiers.values_list("name", "severity", "long_window", "short_window", "budget_percent"))
    # 14.4 x 1h / 720h = 2% of a 30-day budget: the Workbook's fast page tier.
    assert tiers == [("fast-burn", "page", timedelta(hours=1), timedelta(minutes=5), Decimal("2.0000"))]
    notes = "\n".join(result.notes)
    assert "2 objectives became 2 SLOs: main-page-internal, main-page-sla" in notes
    assert "AlertNotificationTarget not imported" in notes
    assert "label 'cost-centre' not imported" in notes
    assert "calendar startTime 2022-01-01 12:00:00 not imported" in notes
    assert "alertAfter 5m not used" in notes
    assert "notification targets of AlertPolicy 'burn-policy' not imported" in notes


def test_unrunnable_query_is_refused_at_import_naming_document_and_field(project):
    text = PUBLISHED.replace("query: http_requests_total\n", "query: sum(rate(http_requests_total[5m]))\n")
    with pytest.raises(OpenSLOError) as caught:
        import_documents(text, project=project)
    problem = caught.value.problems[0]
    assert (problem.name, problem.path) == (
        "main-page-internal", "spec.indicator.spec.ratioMetric.total.metricSource.spec.query")
    assert "has no $window and is not a bare series selector" in problem.reason
    assert not SLO.objects.exists()


def test_v1alpha_is_converted_with_a_note(project):
    text = (
        "apiVersion: openslo/v1alpha\nkind: SLO\nmetadata:\n  name: sloth-slo-my-service\n  displayName: Requests\n"
        "spec:\n  service: my-service\n  budgetingMethod: Occurrences\n  objectives:\n    - ratioMetrics:\n"
        "        good:\n          source: prometheus\n          queryType: promql\n"
        "          query: sum(rate(http_requests_total{code!~\"5..\"}[{{.window}}]))\n"
        "        total:\n          source: prometheus\n          queryType: promql\n"
        "          query: sum(rate(http_requests_total[{{.window}}]))\n      target: 0.999\n"
        "  timeWindows:\n    - count: 30\n      unit: Day\n"
        "---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: my-service\n"
    )
    result = import_documents(text, project=project, default_url="http://prometheus-operated:9090")
    slo = SLO.objects.get(slug="sloth-slo-my-service")
    assert (slo.objective, slo.window_days) == (Decimal("99.9"), 30)
    assert render_query(slo.promql_good, timedelta(minutes=5)) == 'sum(rate(http_requests_total{code!~"5.."}[5m]))'
    assert any("openslo/v1alpha converted to openslo/v1" in note for note in result.notes)


def test_gauge_ratios_are_averaged_and_exported_back(project):
    text = PUBLISHED.replace("counter: true", "counter: false")
    import_documents(text, project=project)
    slo = SLO.objects.get(slug="main-page-sla")
    assert slo.counter is False
    assert render_query(slo.promql_total, timedelta(minutes=1), counter=slo.counter) == (
        "sum(avg_over_time(http_requests_total[1m]))")
    exported = next(d for d in export_documents(project) if d["metadata"]["name"] == "main-page-sla")
    assert exported["spec"]["indicator"]["spec"]["ratioMetric"]["counter"] is False
    assert exported["metadata"]["labels"] == {"team": "shop"}


def test_ratio_timeslices_are_imported_with_a_note(project):
    text = PUBLISHED.replace("budgetingMethod: Occurrences", "budgetingMethod: RatioTimeslices")
    result = import_documents(text, project=project)
    assert SLO.objects.get(slug="main-page-sla").budgeting_method == "occurrences"
    assert any("RatioTimeslices imported as Occurrences" in note for note in result.notes)


@pytest.mark.django_db
def test_export_of_sub_minute_lengths_is_valid_and_reimports(make_slo, project):  # noqa: F811
    make_slo(slug="fast", data_source=DataSource.PROMETHEUS, prometheus_url="http://prometheus:9090",
             promql_good="good_total", promql_total="all_total", evaluation_interval=timedelta(seconds=30),
             budgeting_method="timeslices", slice_length=timedelta(seconds=90), slice_target=Decimal("95"))
    document = next(d for d in export_documents(project) if d["kind"] == "SLO")
    assert document["metadata"]["annotations"]["opsportal.io/evaluation-interval"] == "30s"
    assert document["spec"]["objectives"][0]["timeSliceWindow"] == 90
    SLO.objects.all().delete()
    import_documents(yaml.safe_dump_all(export_documents(project)) + "---\n" + yaml.safe_dump(document),
                     project=project)
    slo = SLO.objects.get(slug="fast")
    assert (slo.slice_length, slo.evaluation_interval) == (timedelta(seconds=90), timedelta(seconds=30))


def test_command_and_api_report_the_notes(project, manager):
    out = io.StringIO()
    path = project.slug + "-published.yaml"
    with open(path, "w") as handle:
        handle.write(PUBLISHED)
    try:
        call_command("import_openslo", path, "--project", project.slug, stdout=out)
    finally:
        import os

        os.remove(path)
    assert "note: document 5 (main-page): 2 objectives became 2 SLOs" in out.getvalue()
    client = APIClient()
    client.force_authenticate(manager)
    response = client.post(f"/api/v1/projects/{project.slug}/openslo/", {"documents": PUBLISHED}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["slos_updated"] == ["main-page-internal", "main-page-sla"]
    assert any("AlertNotificationTarget not imported" in note for note in response.json()["notes"])


def test_two_policies_with_the_same_condition_name_get_distinct_tiers(project):
    text = PUBLISHED.replace("    alertPolicies:\n      - burn-policy\n",
                             "    alertPolicies:\n      - burn-policy\n      - burn-policy\n")
    import_documents(text, project=project)
    names = sorted(SLO.objects.get(slug="main-page-sla").tiers.values_list("name", flat=True))
    assert names == ["fast-burn", "fast-burn-2"]

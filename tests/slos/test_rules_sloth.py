"""Sloth specs in, Sloth-compatible rules out; both rule flavours pass promtool's lint and unit tests
for a project with several SLOs."""

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from slos.models import SLO
from slos.rules_export import rules_yaml
from tests.conftest import require_external

SLOTH = Path(__file__).parent.parent / "thirdparty" / "sloth"
PROM = "http://prometheus:9090"


def _import(project, name):
    call_command("import_sloth", str(SLOTH / name), "--project", project.slug, "--prometheus-url", PROM,
                 stdout=io.StringIO())


def _records(doc):
    return [(g["name"], r.get("record") or r.get("alert")) for g in doc["groups"] for r in g["rules"]]


@pytest.mark.django_db
def test_sloth_spec_imports_labels_alert_name_and_tiers(project):
    _import(project, "getting-started.yml")
    slo = SLO.objects.get()
    assert (slo.slug, slo.objective, slo.window_days, slo.alert_name) == (
        "myservice-requests-availability", Decimal("99.9"), 30, "MyServiceHighErrorRate")
    assert slo.labels == {"owner": "myteam", "repo": "myorg/myservice", "tier": "2"}
    tiers = {t.name: (t.severity, t.alert_labels) for t in slo.tiers.all()}
    assert tiers["page-1h"] == ("page", {"category": "availability", "severity": "pageteam", "routing_key": "myteam"})
    assert tiers["ticket-3d"] == ("ticket", {"category": "availability", "severity": "slack",
                                             "slack_channel": "#alerts-myteam"})


@pytest.mark.django_db
def test_no_alerts_spec_switches_alerting_off(project):
    _import(project, "no-alerts.yml")
    assert SLO.objects.get().alerting_enabled is False


@pytest.mark.django_db
def test_sloth_spec_through_the_openslo_api(project, manager):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(manager)
    response = client.post(f"/api/v1/projects/{project.slug}/openslo/",
                           {"documents": (SLOTH / "k8s-getting-started.yml").read_text(), "prometheus_url": PROM},
                           format="json")
    assert response.status_code == 200, response.content
    assert response.json()["slos_created"] == ["myservice-requests-availability"]


@pytest.mark.django_db
def test_sloth_flavour_matches_sloths_own_record_names_and_labels(project):
    _import(project, "getting-started.yml")
    ours = yaml.safe_load(rules_yaml(project, flavour="sloth"))
    theirs = yaml.safe_load((SLOTH / "generated" / "getting-started.yml").read_text())
    assert _records(ours) == _records(theirs)
    for our_group, their_group in zip(ours["groups"], theirs["groups"], strict=True):
        for ours_rule, theirs_rule in zip(our_group["rules"], their_group["rules"], strict=True):
            expected = {k: v for k, v in theirs_rule["labels"].items()
                        if k not in ("cmd", "sloth_mode", "sloth_version")}  # Sloth's run metadata
            got = {k: v for k, v in ours_rule["labels"].items() if k in expected}
            assert got == expected, (ours_rule.get("record") or ours_rule.get("alert"))
    page = next(r for r in ours["groups"][2]["rules"] if r["labels"]["sloth_severity"] == "page")
    assert "slo:sli_error:ratio_rate5m" in page["expr"] and "> 0.0144" in page["expr"]


def _several_slos(project):
    _import(project, "multifile.yml")  # two services, same SLO and alert names
    _import(project, "home-wifi.yml")


@pytest.mark.django_db
@pytest.mark.parametrize("flavour", ["opsportal", "sloth"])
def test_both_flavours_pass_promtool_lint_fatal(project, flavour, tmp_path):
    if not shutil.which("promtool"):
        require_external("promtool is needed (Debian package prometheus)")
    _several_slos(project)
    (tmp_path / "rules.yml").write_text(rules_yaml(project, flavour=flavour))
    check = subprocess.run(["promtool", "check", "rules", "--lint-fatal", str(tmp_path / "rules.yml")],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


PAGE_TEST = """
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - name: 15x burn pages
    interval: 1m
    input_series:
      - series: 'http_request_duration_seconds_count{{job="myservice",code="200"}}'
        values: '0+985x100'
      - series: 'http_request_duration_seconds_count{{job="myservice",code="500"}}'
        values: '0+15x100'
    alert_rule_test:
      - eval_time: 70m
        alertname: MyServiceHighErrorRate
        exp_alerts:
{expected}
"""


@pytest.mark.django_db
@pytest.mark.parametrize("flavour", ["opsportal", "sloth"])
def test_page_tier_fires_under_promtool_test_rules(project, flavour, tmp_path):
    if not shutil.which("promtool"):
        require_external("promtool is needed (Debian package prometheus)")
    _import(project, "getting-started.yml")
    text = rules_yaml(project, flavour=flavour)
    (tmp_path / "rules.yml").write_text(text)
    alerts = [r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r]
    if flavour == "sloth":
        # One page and one ticket alert; at 15x both fire. Series labels: the recording rules' but sloth_window.
        series = {"owner": "myteam", "repo": "myorg/myservice", "tier": "2",
                  "sloth_id": "myservice-requests-availability", "sloth_service": "myservice",
                  "sloth_slo": "requests-availability"}
        rendered = [{**a["annotations"], "title": a["annotations"]["title"].replace(
            "{{$labels.sloth_service}} {{$labels.sloth_slo}}", "myservice requests-availability")} for a in alerts]
        expected = [{"exp_labels": {**series, **a["labels"]}, "exp_annotations": r}
                    for a, r in zip(alerts, rendered, strict=True)]
    else:
        series = {"owner": "myteam", "repo": "myorg/myservice", "tier": "2",
                  "slo": "myservice-requests-availability", "service": "myservice", "project": project.slug}
        expected = [{"exp_labels": {**series, **a["labels"]}, "exp_annotations": a["annotations"]} for a in alerts]
    assert any(e["exp_labels"].get("sloth_severity", e["exp_labels"].get("tier", "")).startswith("page")
               for e in expected)
    body = "\n".join("          " + line for line in yaml.safe_dump(expected, width=1000).splitlines())
    (tmp_path / "tests.yml").write_text(PAGE_TEST.format(expected=body))
    run = subprocess.run(["promtool", "test", "rules", str(tmp_path / "tests.yml")],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.django_db
def test_reimporting_a_changed_sloth_spec_updates_labels_and_tiers(project, tmp_path):
    _import(project, "getting-started.yml")
    changed = tmp_path / "changed.yml"
    changed.write_text((SLOTH / "getting-started.yml").read_text().replace("routing_key: myteam",
                                                                           "routing_key: otherteam"))
    out = io.StringIO()
    call_command("import_sloth", str(changed), "--project", project.slug, "--prometheus-url", PROM, stdout=out)
    assert "SLOs updated 1" in out.getvalue()
    tier = SLO.objects.get().tiers.get(name="page-1h")
    assert tier.alert_labels["routing_key"] == "otherteam"

"""Alertmanager and Grafana as they really behave: huge groups, long generator URLs, many severity
vocabularies, out-of-order delivery, and Grafana unified alerting's webhook."""

import copy

import pytest
import yaml

from incidents.models import GENERATOR_URL_MAX, Alert, Incident, IncidentEventKind, IncidentStatus
from incidents.services import incident_transition
from slos.models import DataSource, SLIKind
from slos.rules_export import rules_yaml
from tests.incidents.alertmanager_payloads import alert, payload, resolved

URL = "/api/v1/alerts/alertmanager/"


def post(client, body):
    return client.post(URL, body, format="json")


def big_group(count, status="firing"):
    return payload([alert(fingerprint=f"{i:016x}", instance=f"web-{i}", status=status,
                          ends_at="2026-11-26T10:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z")
                    for i in range(count)])


@pytest.mark.django_db
def test_a_group_of_5000_alerts_opens_one_incident_and_resolves(am, django_assert_max_num_queries):
    # Set-based: batches of a few hundred rows (SQLite caps variables per statement), not per alert.
    # The bound covers the 21 timeline entries, each joining the evidence chain (a few queries each);
    # it does not grow with the group.
    with django_assert_max_num_queries(400):
        response = post(am, big_group(5000))
    assert response.status_code == 200, response.content[:500]
    assert response.json()["state_changes"] == 5000
    incident = Incident.objects.get()
    assert incident.alerts.count() == 5000
    fired = list(incident.events.filter(kind=IncidentEventKind.ALERT_FIRED).values_list("text", flat=True))
    assert len(fired) == 21  # 20 one by one, then one summary
    assert fired[-1].startswith("4980 more alert(s) firing: CheckoutErrorRate")

    assert post(am, big_group(5000)).json()["state_changes"] == 0  # replay
    done = post(am, big_group(5000, status="resolved"))
    assert done.status_code == 200
    assert done.json()["moved_to_monitoring"] is True
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING
    assert Alert.objects.filter(status="resolved").count() == 5000


@pytest.mark.django_db
def test_long_generator_urls_are_kept_and_only_absurd_ones_cut(am):
    long_url = "http://prometheus:9090/graph?g0.expr=" + "x" * 5000
    absurd_url = "http://prometheus:9090/graph?g0.expr=" + "y" * 20000
    first = alert(fingerprint="1111111111111111")
    first["generatorURL"] = long_url
    second = alert(fingerprint="2222222222222222", instance="web-2")
    second["generatorURL"] = absurd_url
    response = post(am, payload([first, second]))
    assert response.status_code == 200, response.content
    assert Alert.objects.get(fingerprint="1111111111111111").generator_url == long_url
    assert Alert.objects.get(fingerprint="2222222222222222").generator_url == absurd_url[:GENERATOR_URL_MAX]
    notes = list(Incident.objects.get().events.filter(text__startswith="generatorURL").values_list("text", flat=True))
    assert notes == [f"generatorURL of alert CheckoutErrorRate (2222222222222222) was {len(absurd_url)} "
                     f"characters; the first {GENERATOR_URL_MAX} are stored."]


@pytest.mark.parametrize(("labels", "expected"), [
    ({"severity": "page"}, "SEV2"),
    ({"severity": "ticket"}, "SEV4"),
    ({"severity": "P1"}, "SEV1"),
    ({"severity": "p5"}, "SEV5"),
    ({"severity": "critical"}, "SEV1"),
    ({"severity": "High"}, "SEV2"),
    ({"severity": "warning"}, "SEV3"),
    ({"severity": "info"}, "SEV4"),
    ({"severity": "pageteam", "sloth_severity": "page"}, "SEV2"),  # Sloth: severity is a routing name
    ({"sloth_severity": "ticket"}, "SEV4"),
    ({"severity": "whatever"}, "SEV3"),  # unknown: the integration's default
])
@pytest.mark.django_db
def test_default_severity_vocabularies(am, labels, expected):
    item = alert(severity=None)
    item["labels"].update(labels)
    assert post(am, payload([item])).status_code == 200
    assert Incident.objects.get().severity == expected


@pytest.mark.django_db
def test_severity_mapping_is_editable_per_integration(am, integration):
    model, _ = integration
    model.severity_mapping = {**model.severity_mapping, "page": "SEV1"}
    model.full_clean()
    model.save()
    item = alert(severity="page")
    assert post(am, payload([item])).status_code == 200
    assert Incident.objects.get().severity == "SEV1"


@pytest.mark.django_db
def test_alert_from_our_own_exported_rules_opens_an_incident_of_the_right_severity(am, project, service):
    from slos.services import slo_create

    slo_create(project=project, service=service, slug="checkout-availability", name="Checkout availability",
               objective="99.9", data_source=DataSource.PROMETHEUS, sli_kind=SLIKind.ERROR_RATE,
               prometheus_url="http://prometheus.example:9090", promql_bad='http_requests_total{code=~"5.."}',
               promql_total="http_requests_total")
    rules = yaml.safe_load(rules_yaml(project))["groups"][0]["rules"]
    alerting = {r["labels"]["severity"]: r for r in rules if "alert" in r}
    record_labels = next(r["labels"] for r in rules if "record" in r)
    results = {}
    for severity, rule in alerting.items():
        # What Prometheus sends: the rule's labels plus the series' labels, the annotations as written.
        item = alert(name=rule["alert"], fingerprint=f"{abs(hash(severity)):016x}"[:16], severity=None, service=None,
                     annotations=rule["annotations"])
        item["labels"] = {"alertname": rule["alert"], **record_labels, **rule["labels"]}
        body = payload([item], group_key=f'{{}}:{{severity="{severity}"}}')
        assert post(am, body).status_code == 200
        results[severity] = Incident.objects.get(group_key__endswith=f'severity="{severity}"}}')
    assert {k: v.severity for k, v in results.items()} == {"page": "SEV2", "ticket": "SEV4"}
    assert list(results["page"].services.all()) == [service]


@pytest.mark.django_db
def test_stale_firing_after_resolved_does_not_reopen(am):
    firing = payload()
    assert post(am, firing).status_code == 200
    assert post(am, resolved(firing)).json()["moved_to_monitoring"] is True
    stale = post(am, firing)  # the older "firing" notification arrives last
    assert stale.status_code == 200
    assert (stale.json()["state_changes"], stale.json()["stale_ignored"]) == (0, 1)
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.MONITORING
    assert Alert.objects.get().status == "resolved"
    assert incident.events.filter(kind=IncidentEventKind.ALERT_FIRED).count() == 1


@pytest.mark.django_db
def test_genuine_refire_moves_a_monitoring_incident_back_to_investigating(am):
    firing = payload()
    post(am, firing)
    post(am, resolved(firing))
    again = payload([alert(starts_at="2026-11-26T11:00:00Z")])
    response = post(am, again)
    assert response.json()["reactivated"] is True
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.INVESTIGATING
    assert incident.alerts.count() == 2
    status_texts = list(incident.events.filter(kind=IncidentEventKind.STATUS_CHANGE)
                        .values_list("text", flat=True).order_by("pk"))
    assert status_texts[-1].startswith("Status ") and "monitoring -> investigating" in status_texts[-1]
    assert "Alert fired again while monitoring: CheckoutErrorRate" in status_texts[-1]
    assert post(am, again).json()["reactivated"] is False  # replay


@pytest.mark.django_db
def test_refire_after_people_resolved_opens_a_new_incident(am):
    firing = payload()
    post(am, firing)
    post(am, resolved(firing))
    first = Incident.objects.get()
    incident_transition(incident=first, to_status=IncidentStatus.RESOLVED)
    post(am, payload([alert(starts_at="2026-11-26T11:00:00Z")]))
    assert Incident.objects.count() == 2
    first.refresh_from_db()
    assert first.status == IncidentStatus.RESOLVED


def grafana_payload():
    body = copy.deepcopy(payload())
    body.update({"version": "1", "orgId": 1, "state": "alerting", "title": "[FIRING:1] CheckoutErrorRate",
                 "message": "**Firing**\n\nValue: B=0.07", "receiver": "opsportal",
                 "groupKey": '{}/{}:{alertname="CheckoutErrorRate"}'})
    body["alerts"][0].update({"values": {"B": 0.07}, "valueString": "[ var='B' value=0.07 ]",
                              "silenceURL": "http://grafana:3000/alerting/silence/new",
                              "dashboardURL": "", "panelURL": ""})
    return body


@pytest.mark.django_db
def test_grafana_unified_alerting_is_accepted(am):
    response = post(am, grafana_payload())
    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert (incident.severity, incident.title) == ("SEV1", "CheckoutErrorRate: 5xx ratio above 5% on checkout")


@pytest.mark.django_db
def test_other_payloads_get_a_400_naming_what_was_expected(am):
    legacy = {"ruleName": "CPU", "state": "alerting", "evalMatches": [{"metric": "cpu", "value": 99}],
              "title": "[Alerting] CPU"}
    response = post(am, legacy)
    assert response.status_code == 400
    assert "Grafana legacy alerting" in response.json()["alerts"][0]
    assert 'version "1"' in response.json()["alerts"][0]
    other = dict(payload(), version="2")
    response = post(am, other)
    assert response.status_code == 400
    assert response.json()["version"] == [
        "Expected an Alertmanager webhook (version \"4\") or a Grafana unified alerting webhook (version \"1\"), "
        "got version '2'."]
    assert Incident.objects.count() == 0


@pytest.mark.django_db
def test_relayed_payload_without_group_key_or_alert_status_uses_the_groups(am):
    body = payload()
    body.pop("groupKey")
    body["alerts"][0].pop("status")
    assert post(am, body).status_code == 200
    incident = Incident.objects.get()
    assert incident.group_key == 'alertmanager:opsportal:{alertname="CheckoutErrorRate"}'
    assert Alert.objects.get().status == "firing"

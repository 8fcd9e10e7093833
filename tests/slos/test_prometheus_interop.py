"""Prometheus pulls as deployed: in-cluster single-label hosts, auth and tenant headers, secrets never
shown back, one task per SLO."""

import base64
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from slos.models import SLO, DataSource
from slos.services.pull import pull_enqueue_each, slo_pull_prometheus
from slos.validators import ServerURLValidator
from tests.slos.conftest import NOW
from tests.slos.fake_prometheus import FakePrometheus, vector

TOTAL = 'sum(increase(http_requests_total{job="checkout"}[$window]))'


@pytest.fixture(autouse=True)
def pull_settings(settings):
    settings.SLO_PROMETHEUS_TIMEOUT = 0.5
    settings.SLO_PROMETHEUS_INITIAL_LOOKBACK = timedelta(minutes=3)
    settings.SLO_PROMETHEUS_SETTLE_DELAY = timedelta(0)


@pytest.mark.parametrize("url", ["http://prometheus:9090", "http://prometheus-operated:9090",
                                 "https://thanos-query", "http://127.0.0.1:9090", "https://mimir.example.com/prometheus"])
def test_server_urls_that_are_valid(url):
    ServerURLValidator()(url)


@pytest.mark.parametrize("url", ["prometheus:9090", "ftp://prometheus", "http://prom_etheus:9090",
                                 "http://prometheus:99999", "http://user:pw@prometheus:9090", "http://-bad-:9090"])
def test_server_urls_that_are_refused(url):
    with pytest.raises(ValidationError):
        ServerURLValidator()(url)


def _slo(make_slo, url, **fields):
    return make_slo(data_source=DataSource.PROMETHEUS, prometheus_url=url, promql_good="good_total",
                    promql_total=TOTAL, **fields)


def test_bearer_token_and_tenant_header_are_sent(make_slo):
    with FakePrometheus(lambda q, at: vector(100)) as fake:
        slo = _slo(make_slo, fake.url, prometheus_auth="bearer", prometheus_secret="s3cret",
                   prometheus_tenant="team-a")
        assert slo_pull_prometheus(slo=slo, now=NOW).stored == 3
    assert {h.get("Authorization") for h in fake.headers} == {"Bearer s3cret"}
    assert {h.get("X-Scope-OrgID") for h in fake.headers} == {"team-a"}


def test_basic_auth_is_sent(make_slo):
    with FakePrometheus(lambda q, at: vector(100)) as fake:
        slo = _slo(make_slo, fake.url, prometheus_auth="basic", prometheus_username="reader",
                   prometheus_secret="pa:ss")
        slo_pull_prometheus(slo=slo, now=NOW)
    assert {h.get("Authorization") for h in fake.headers} == {"Basic " + base64.b64encode(b"reader:pa:ss").decode()}
    assert all("X-Scope-OrgID" not in h for h in fake.headers)


def test_no_auth_sends_no_authorization(make_slo):
    with FakePrometheus(lambda q, at: vector(100)) as fake:
        slo_pull_prometheus(slo=_slo(make_slo, fake.url), now=NOW)
    assert all("Authorization" not in h for h in fake.headers)


def test_auth_needs_its_secret(make_slo):
    with pytest.raises(ValidationError) as caught:
        _slo(make_slo, "http://prometheus:9090", prometheus_auth="basic")
    assert set(caught.value.message_dict) == {"prometheus_username", "prometheus_secret"}


def test_secret_is_never_shown_back_in_the_api(make_slo, api_as, manager):
    slo = _slo(make_slo, "http://prometheus:9090", prometheus_auth="bearer", prometheus_secret="s3cret")
    client = api_as(manager)
    body = client.get(f"/api/v1/slos/{slo.pk}/").content.decode()
    assert "s3cret" not in body and '"prometheus_auth":"bearer"' in body.replace(" ", "")
    listing = client.get("/api/v1/slos/").content.decode()
    assert "s3cret" not in listing


def test_secret_is_never_shown_back_in_the_admin_and_blank_keeps_it(make_slo, client, django_user_model):
    slo = _slo(make_slo, "http://prometheus:9090", prometheus_auth="bearer", prometheus_secret="s3cret")
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    page = client.get(f"/admin/slos/slo/{slo.pk}/change/").content.decode()
    assert "s3cret" not in page
    from slos.admin import SLOAdminForm

    form = SLOAdminForm(instance=slo)
    assert form.fields["prometheus_secret"].widget.render("prometheus_secret", "s3cret").count("s3cret") == 0
    bound = SLOAdminForm(instance=slo, data={"prometheus_secret": ""})
    bound.is_valid()
    assert bound.cleaned_data["prometheus_secret"] == "s3cret"


def test_each_slo_is_pulled_by_its_own_task(make_slo, monkeypatch):
    calls = []
    monkeypatch.setattr("slos.services.pull.enqueue", lambda *args, **kwargs: calls.append((args, kwargs)))
    first = _slo(make_slo, "http://prometheus:9090")
    second = _slo(make_slo, "http://thanos-query:9090")
    make_slo()  # pushed: never pulled
    assert pull_enqueue_each() == 2
    assert [args for args, _ in calls] == [("slos.tasks.pull_prometheus_slo", first.pk),
                                           ("slos.tasks.pull_prometheus_slo", second.pk)]


def test_the_per_slo_task_pulls_that_slo(make_slo, monkeypatch):
    from slos import tasks

    pulled = []
    monkeypatch.setattr("slos.services.pull.slo_pull_prometheus",
                        lambda *, slo: pulled.append(slo.pk) or type("R", (), {"status": "ok"})())
    slo = _slo(make_slo, "http://prometheus:9090")
    assert tasks.pull_prometheus_slo(slo.pk) == "ok"
    assert pulled == [slo.pk]
    SLO.objects.filter(pk=slo.pk).update(data_source=DataSource.PUSH)
    assert "no longer pulled" in tasks.pull_prometheus_slo(slo.pk)

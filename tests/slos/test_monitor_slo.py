"""monitor_slo: service, command and API write PASS/FAIL to the validation log and the manifest."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from opsportal.models import EvidenceRecord, Manifest, ValidationEntry
from slos.services import monitor_all_projects, monitor_slo
from tests.factories import ProjectFactory
from tests.slos.conftest import put


@pytest.fixture
def three_slos(make_slo):
    now = timezone.now()
    availability = make_slo(slug="checkout-availability", name="Checkout availability")
    latency = make_slo(slug="checkout-latency", name="Checkout latency", sli_kind="latency", threshold_ms=300,
                       objective=Decimal("99"))
    errors = make_slo(slug="checkout-errors", name="Checkout errors", sli_kind="error_rate",
                      objective=Decimal("99.5"))
    put(availability, now - timedelta(hours=5), timedelta(hours=1), 999_300, 1_000_000)  # 99.93%: PASS
    put(latency, now - timedelta(hours=5), timedelta(hours=1), 980, 1_000)  # 98% fast: FAIL
    return availability, latency, errors  # errors has no data: NO_DATA


def test_computed_from_stored_data_with_no_data_as_its_own_result(three_slos):
    availability, latency, errors = three_slos
    result = monitor_slo(availability.project)
    by_slug = {check.slo.slug: check for check in result.checks}
    assert (by_slug["checkout-availability"].status, by_slug["checkout-availability"].observed) == (
        "PASS", Decimal("99.9300"))
    assert (by_slug["checkout-latency"].status, by_slug["checkout-latency"].result) == ("FAIL", "FAIL")
    assert (by_slug["checkout-errors"].status, by_slug["checkout-errors"].result) == ("NO_DATA", "NO_DATA")
    assert result.result == "FAIL"
    assert result.next_step()["action"] == "escalate_phase"
    entries = {e.check_name: e for e in ValidationEntry.objects.filter(project=availability.project)}
    assert set(entries) == {"slo.checkout-availability", "slo.checkout-latency", "slo.checkout-errors"}
    assert entries["slo.checkout-availability"].result == "PASS"
    assert entries["slo.checkout-availability"].details["observed"] == "99.9300"
    assert entries["slo.checkout-availability"].details["target"] == "99.9000"
    assert entries["slo.checkout-latency"].result == "FAIL"
    evidence = EvidenceRecord.objects.get(kind="slo_status")
    assert {e.evidence_id for e in entries.values()} == {evidence.pk}
    assert evidence.payload["result"] == "FAIL" and len(evidence.payload["checks"]) == 3
    manifest = Manifest.objects.get(project=availability.project)
    checks = manifest.phases["phase6"]["checks"]
    assert checks["slo.checkout-availability"]["result"] == "PASS"
    assert checks["slo.checkout-latency"]["entry_id"] == entries["slo.checkout-latency"].pk
    assert manifest.phases["phase6"]["status"] == "FAIL"


def test_observed_values_are_compared_per_kind(three_slos):
    project = three_slos[0].project
    result = monitor_slo(project, availability="99.95", latency=250, error_rate=Decimal("0.5"))
    assert [(c.slo.slug, c.source, c.result) for c in result.checks] == [
        ("checkout-availability", "observed", "PASS"),
        ("checkout-errors", "observed", "PASS"),  # 0.5 <= 100 - 99.5
        ("checkout-latency", "observed", "PASS"),  # 250 ms <= 300 ms
    ]
    result = monitor_slo(project, availability="99.89", latency="300.1", error_rate="0.51")
    assert [c.result for c in result.checks] == ["FAIL", "FAIL", "FAIL"]
    manifest = Manifest.objects.get(project=project)
    assert manifest.phases["phase6"]["status"] == "FAIL"


@pytest.mark.parametrize(("field", "value"), [("availability", "101"), ("latency", "-1"), ("error_rate", "abc"),
                                             ("availability", "NaN")])
def test_bad_observed_values_raise_and_write_nothing(three_slos, field, value):
    with pytest.raises(ValidationError) as info:
        monitor_slo(three_slos[0].project, **{field: value})
    assert field in info.value.message_dict
    assert not ValidationEntry.objects.exists() and not EvidenceRecord.objects.exists()


def test_command_prints_a_table_and_exits_non_zero_on_fail(three_slos):
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("monitor_slo", "shop", stdout=out)
    assert exit_info.value.code == 1
    text = out.getvalue()
    assert "SLO" in text and "checkout-latency" in text and "FAIL" in text and "escalate_phase" in text
    out = StringIO()
    call_command("monitor_slo", "shop", "--availability", "99.95", "--latency", "120", "--error-rate", "0.1",
                 stdout=out)
    assert "PASS: 3 SLOs" in out.getvalue()


def test_command_exits_2_on_bad_input(three_slos):
    with pytest.raises(CommandError) as info:
        call_command("monitor_slo", "shop", "--availability", "lots")
    assert info.value.returncode == 2 and "--availability" in str(info.value)
    with pytest.raises(CommandError) as info:
        call_command("monitor_slo", "no-such-project")
    assert info.value.returncode == 2


def test_api_runs_the_check_and_returns_per_slo_results(api_as, operator, three_slos):
    response = api_as(operator).post("/api/v1/projects/shop/slo-checks/", {"availability": "99.95"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["result"] == "FAIL"
    assert {c["slo"]: c["result"] for c in body["checks"]} == {
        "checkout-availability": "PASS", "checkout-latency": "FAIL", "checkout-errors": "NO_DATA"}
    assert body["next_step"]["action"] == "escalate_phase"
    assert body["next_step"]["admin_url"].startswith("/admin/slos/slo/escalate/")
    assert ValidationEntry.objects.filter(created_by=operator).count() == 3


def test_api_refuses_bad_input_and_viewers(api_as, operator, viewer, three_slos):
    response = api_as(operator).post("/api/v1/projects/shop/slo-checks/", {"availability": 150}, format="json")
    assert response.status_code == 400 and "availability" in response.json()
    assert api_as(viewer).post("/api/v1/projects/shop/slo-checks/", {}, format="json").status_code == 403
    assert api_as(operator).post("/api/v1/projects/nope/slo-checks/", {}, format="json").status_code == 404
    assert not ValidationEntry.objects.exists()


def test_daily_run_isolates_each_project(three_slos, monkeypatch):
    ProjectFactory(slug="other")
    import slos.services.monitor as monitor

    real = monitor.monitor_slo

    def flaky(project, **kwargs):
        if project.slug == "other":
            raise RuntimeError("boom")
        return real(project, **kwargs)

    monkeypatch.setattr(monitor, "monitor_slo", flaky)
    outcome = monitor_all_projects()
    assert outcome == {"checked": 1, "failed_projects": ["shop"], "errors": ["other"]}

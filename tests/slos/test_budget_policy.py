"""Error budget policy: exhaustion is marked, evidenced and failed once; recovery is recorded."""

from datetime import timedelta
from decimal import Decimal

from opsportal.models import EvidenceRecord, Manifest, ValidationEntry
from slos.models import SLOStatus
from slos.services import slo_evaluate
from tests.slos.conftest import NOW, put


def test_exhaustion_writes_evidence_and_validation_fail_once(make_slo):
    slo = make_slo(objective=Decimal("95"))
    goods = [2, 10, 12, 13, 13, 12, 13, 13, 12, 11]
    totals = [4, 10, 12, 13, 14, 15, 14, 13, 12, 11]
    for i, (good, total) in enumerate(zip(goods, totals, strict=True)):
        put(slo, NOW - timedelta(hours=10 - i), timedelta(hours=1), good, total)
    slo_evaluate(slo=slo, now=NOW)
    slo_evaluate(slo=slo, now=NOW + timedelta(minutes=1))  # still exhausted: nothing new
    slo.refresh_from_db()
    assert slo.status == SLOStatus.FAIL
    assert slo.exhausted_at == NOW
    assert slo.last_budget_remaining == Decimal("-18.6441")
    assert slo.last_sli == Decimal("94.067797")
    evidence = EvidenceRecord.objects.get(kind="slo_budget_exhausted")
    assert evidence.payload["error_budget_remaining"] == "-18.6441"
    entry = ValidationEntry.objects.get(check_name=f"slo.{slo.slug}.error_budget")
    assert entry.result == "FAIL" and entry.evidence_id == evidence.pk
    manifest = Manifest.objects.get(project=slo.project)
    assert manifest.phases["phase6"]["checks"][f"slo.{slo.slug}.error_budget"]["result"] == "FAIL"


def test_recovery_clears_exhaustion_and_a_new_exhaustion_is_recorded_again(make_slo):
    slo = make_slo(objective=Decimal("99"), window_days=1)
    put(slo, NOW - timedelta(hours=2), timedelta(hours=1), 900, 1000)
    slo_evaluate(slo=slo, now=NOW)
    # A day later that bad hour has rolled out of the window and good traffic remains.
    later = NOW + timedelta(days=1)
    put(slo, later - timedelta(hours=2), timedelta(hours=1), 1000, 1000)
    slo_evaluate(slo=slo, now=later)
    slo.refresh_from_db()
    assert slo.exhausted_at is None and slo.status == SLOStatus.PASS
    results = list(
        ValidationEntry.objects.filter(check_name=f"slo.{slo.slug}.error_budget").order_by("id")
        .values_list("result", flat=True)
    )
    assert results == ["FAIL", "PASS"]
    put(slo, later - timedelta(hours=1), timedelta(hours=1), 0, 1000)
    slo_evaluate(slo=slo, now=later + timedelta(minutes=1))
    assert EvidenceRecord.objects.filter(kind="slo_budget_exhausted").count() == 2


def test_no_data_keeps_the_budget_state(make_slo):
    slo = make_slo()
    slo_evaluate(slo=slo, now=NOW)
    slo.refresh_from_db()
    assert slo.status == SLOStatus.NO_DATA and slo.exhausted_at is None
    assert not ValidationEntry.objects.exists()

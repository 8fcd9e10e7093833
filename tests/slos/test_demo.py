"""Demo SLOs: every status the admin can show, realistic numbers, idempotent."""


from django.core.management import call_command

from opsportal.models import Approval, EvidenceRecord
from slos.models import SLO, SLIMeasurement, SLOAlert


def test_seed_demo_tells_the_slo_story_and_is_idempotent(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    # The experience demo adds UX objectives (SLOs fed from survey answers): the slos story is the others.
    own = SLO.objects.filter(ux_objective__isnull=True)
    slos = {slo.slug: slo for slo in own}
    assert len(slos) == 9
    assert {slo.status for slo in slos.values()} == {"PASS", "FAIL", "EXHAUSTED", "NO_DATA"}
    payments = slos["payments-availability"]
    assert payments.status == "FAIL" and payments.exhausted_at is not None
    assert SLOAlert.objects.open().filter(slo=payments, severity="page").count() == 2
    assert slos["search-latency"].last_budget_remaining == 0
    assert slos["search-errors"].status == "NO_DATA"
    # The bad day burned about a third of checkout's budget on top of a normal month.
    assert 30 <= slos["checkout-availability"].last_budget_remaining <= 55
    assert slos["checkout-availability"].last_budget_remaining < slos["checkout-latency"].last_budget_remaining
    rows = SLIMeasurement.objects.filter(slo__in=own).count()
    assert 6_000 <= rows <= 8_000
    assert Approval.objects.filter(kind="slo_review").count() == 1
    exhausted = EvidenceRecord.objects.filter(kind="slo_budget_exhausted").count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert own.count() == 9
    assert SLIMeasurement.objects.filter(slo__in=own).count() == rows
    assert SLOAlert.objects.filter(slo__in=own).count() == 4
    assert Approval.objects.filter(kind="slo_review").count() == 1
    assert EvidenceRecord.objects.filter(kind="slo_budget_exhausted").count() == exhausted


def test_a_later_run_appends_the_missing_intervals_and_the_outage_goes_on(db):
    from datetime import timedelta

    from django.utils import timezone

    from slos import demo

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    payments = SLO.objects.get(slug="payments-availability")
    last_end = SLIMeasurement.objects.filter(slo=payments).order_by("-end").first().end
    added = demo._fill(payments, timezone.now() + timedelta(hours=2))
    assert 20 <= added <= 70  # two hours on the 5-minute and 1-minute grid
    new = SLIMeasurement.objects.filter(slo=payments, start__gte=last_end)
    assert new.count() == added
    assert new.order_by("start").first().start == last_end  # contiguous, no overlap
    bad = sum(m.total - m.good for m in new)
    assert 0.3 < bad / sum(m.total for m in new) < 0.5

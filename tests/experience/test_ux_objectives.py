"""UX objectives through the SLO engine: survey and Apdex data become SLI measurements; budgets and
burn-rate alerts follow without a second engine."""

from datetime import timedelta
from decimal import Decimal

import pytest

from experience.apdex import apdex_samples_ingest
from experience.models import UXObjective
from experience.objectives import ux_objectives_feed_project
from experience.services import survey_responses_ingest
from slos.models import SLIMeasurement, SLOAlert
from slos.services import slo_create, slo_evaluate
from tests.experience.conftest import NOW, survey


@pytest.fixture
def ux_slo(project, service):
    def make(objective, signal="csat", **extra):
        slo = slo_create(project=project, service=service, name=f"Checkout {signal}", slug=f"checkout-{signal}",
                         objective=Decimal(objective))
        UXObjective.objects.create(slo=slo, signal=signal, **extra)
        return slo

    return make


def answers(good, bad, *, start, prefix="r"):
    """`good` CSAT 5s and `bad` CSAT 2s spread over the hour from `start`."""
    n = good + bad
    return [survey("csat", 5 if i < good else 2, f"{prefix}{i}", at=start + timedelta(seconds=3600 * i // n))
            for i in range(n)]


def test_error_budget_from_satisfaction(project, ux_slo):
    slo = ux_slo("90")  # 90% of answers satisfied (CSAT 4-5)
    survey_responses_ingest(project=project, rows=answers(95, 5, start=NOW - timedelta(hours=1)))
    survey_responses_ingest(project=project, rows=[survey("csat", 1, "other-service", service=None)])
    assert ux_objectives_feed_project(project=project, now=NOW) == 1
    assert list(SLIMeasurement.objects.values_list("start", "end", "good", "total")) == [
        (NOW - timedelta(hours=1), NOW, 95, 100)]
    report = slo_evaluate(slo=slo, now=NOW)
    slo.refresh_from_db()
    assert (report.full.totals.good, report.full.totals.total) == (95, 100)
    assert slo.last_sli == Decimal("95.000000")
    assert slo.last_budget_remaining == Decimal("50.0000")  # 5% bad of a 10% budget: half spent
    assert slo.status == "PASS"


def test_feeding_again_replaces_the_hour_and_late_answers_count(project, ux_slo):
    ux_slo("90")
    survey_responses_ingest(project=project, rows=answers(9, 1, start=NOW - timedelta(hours=1)))
    ux_objectives_feed_project(project=project, now=NOW)
    ux_objectives_feed_project(project=project, now=NOW)  # a re-run: no double counting
    assert list(SLIMeasurement.objects.values_list("good", "total")) == [(9, 10)]
    survey_responses_ingest(project=project, rows=[survey("csat", 1, "late", at=NOW - timedelta(minutes=30))])
    ux_objectives_feed_project(project=project, now=NOW + timedelta(minutes=5))
    assert list(SLIMeasurement.objects.values_list("good", "total")) == [(9, 11)]


def test_a_burst_of_unhappy_answers_fires_the_burn_rate_alert(project, ux_slo):
    slo = ux_slo("99")
    # 20% unhappy against a 1% budget: burn rate 20 over the last hour and the last 5 minutes (> 14.4).
    survey_responses_ingest(project=project, rows=answers(40, 10, start=NOW - timedelta(hours=1)))
    ux_objectives_feed_project(project=project, now=NOW)
    slo_evaluate(slo=slo, now=NOW)
    alert = SLOAlert.objects.get(tier_name="page-1h")
    assert (alert.severity, alert.long_burn_rate, alert.short_burn_rate) == ("page", Decimal("20"), Decimal("20"))
    slo.refresh_from_db()
    assert slo.exhausted_at == NOW and slo.last_budget_remaining == Decimal("-1900.0000")  # 20x the budget spent


def test_no_answers_is_no_data_not_a_pass(project, ux_slo):
    slo = ux_slo("90")
    assert ux_objectives_feed_project(project=project, now=NOW) == 0
    slo_evaluate(slo=slo, now=NOW)
    slo.refresh_from_db()
    assert slo.status == "NO_DATA" and slo.last_budget_remaining is None


def test_apdex_objective_counts_satisfied_requests(project, ux_slo):
    slo = ux_slo("80", signal="apdex", threshold_ms=300)
    rows = [{"service": "checkout", "start": (NOW - timedelta(hours=1)).isoformat(), "end": NOW.isoformat(),
             "threshold_ms": t, "satisfied": 600, "tolerating": 300, "frustrated": 100} for t in (300, 500)]
    apdex_samples_ingest(project=project, rows=rows)
    ux_objectives_feed_project(project=project, now=NOW)
    assert list(SLIMeasurement.objects.values_list("good", "total")) == [(600, 1000)]  # only T = 300 ms
    slo_evaluate(slo=slo, now=NOW)
    slo.refresh_from_db()
    assert slo.last_sli == Decimal("60.000000") and slo.status in ("FAIL", "EXHAUSTED")

"""Burn-rate alert evaluation: fire, stay single, resolve; tiers editable; incidents for pages."""

import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from slos.models import SLOAlert, SLOStatus
from slos.services import evaluate_all, slo_evaluate
from tests.slos.conftest import NOW, put

HOUR = timedelta(hours=1)
FIVE = timedelta(minutes=5)


def burn(slo, hour_total, hour_bad, five_total, five_bad, end=NOW):
    rest_total, rest_bad = hour_total - five_total, hour_bad - five_bad
    put(slo, end - HOUR, HOUR - FIVE, rest_total - rest_bad, rest_total)
    put(slo, end - FIVE, FIVE, five_total - five_bad, five_total)



def test_page_tier_fires_once_and_records_the_burn_rates(make_slo):
    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)  # burn 15 over 1h and 5m (worked example 2)
    slo_evaluate(slo=slo, now=NOW)
    # All traffic is in the last hour, so the 6h/1d/3d windows burn at 15 too: every tier fires.
    assert sorted(SLOAlert.objects.values_list("tier_name", flat=True)) == [
        "page-1h", "page-6h", "ticket-1d", "ticket-3d"]
    alert = SLOAlert.objects.get(tier_name="page-1h")
    assert (alert.tier_name, alert.severity) == ("page-1h", "page")
    assert alert.factor == Decimal("14.4")
    assert (alert.long_burn_rate, alert.short_burn_rate) == (Decimal("15"), Decimal("15"))
    assert alert.fired_at == NOW and alert.resolved_at is None
    # A minute later it still burns: still one open alert, burn rates updated.
    slo_evaluate(slo=slo, now=NOW + timedelta(seconds=30))
    assert SLOAlert.objects.count() == 4
    alert.refresh_from_db()
    assert alert.last_evaluated_at == NOW + timedelta(seconds=30)


def test_burn_exactly_at_the_factor_or_short_window_below_does_not_fire(make_slo):
    exact, short_low = make_slo(), make_slo()
    burn(exact, 100_000, 1_440, 10_000, 144)  # exactly 14.4 (worked example 3)
    burn(short_low, 120_000, 1_800, 10_000, 100)  # 5m at 10 (worked example 2, second half)
    evaluate_all(now=NOW)
    assert not SLOAlert.objects.filter(tier_name="page-1h").exists()


def test_alert_resolves_when_the_condition_clears_and_can_fire_again(make_slo):
    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)
    slo_evaluate(slo=slo, now=NOW)
    later = NOW + timedelta(minutes=10)  # the 5m window now holds only clean traffic
    put(slo, later - FIVE, FIVE, 10_000, 10_000)
    slo_evaluate(slo=slo, now=later)
    alert = SLOAlert.objects.get(tier_name="page-1h")
    assert alert.resolved_at == later
    assert alert.last_short_burn_rate == 0
    # A new burn opens a new alert; the resolved one stays as history.
    burn(slo, 200_000, 4_000, 20_000, 2_000, end=later + HOUR)
    slo_evaluate(slo=slo, now=later + HOUR)
    assert SLOAlert.objects.filter(tier_name="page-1h").count() == 2
    assert SLOAlert.objects.open().filter(tier_name="page-1h").count() == 1


def test_an_empty_short_window_keeps_a_burning_alert_open_until_the_long_window_clears(make_slo):
    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)
    slo_evaluate(slo=slo, now=NOW)
    alert = SLOAlert.objects.get(tier_name="page-1h")
    # Ten minutes on, nothing new arrived: the 5m window is empty, the 1h one still burns.
    slo_evaluate(slo=slo, now=NOW + timedelta(minutes=10))
    alert.refresh_from_db()
    assert alert.resolved_at is None
    assert alert.last_short_burn_rate is None and alert.last_long_burn_rate > alert.factor
    assert SLOAlert.objects.filter(tier_name="page-1h").count() == 1  # kept, not resolved and re-fired
    # Two hours on the long window holds nothing either: nothing burns any more.
    slo_evaluate(slo=slo, now=NOW + 2 * HOUR)
    alert.refresh_from_db()
    assert alert.resolved_at == NOW + 2 * HOUR


def test_no_data_resolves_and_never_fires(make_slo):
    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)
    slo_evaluate(slo=slo, now=NOW)
    slo_evaluate(slo=slo, now=NOW + timedelta(days=40))
    assert SLOAlert.objects.open().count() == 0
    slo.refresh_from_db()
    assert slo.status == SLOStatus.NO_DATA


def test_database_allows_one_open_alert_per_slo_and_tier(make_slo):
    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)
    slo_evaluate(slo=slo, now=NOW)
    alert = SLOAlert.objects.get(tier_name="page-1h")
    alert.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        alert.save()


def test_tiers_are_editable_per_slo(make_slo):
    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)
    tier = slo.tiers.get(name="page-1h")
    tier.budget_percent = Decimal("3")  # factor 21.6: a burn of 15 no longer pages
    tier.save()
    slo_evaluate(slo=slo, now=NOW)
    assert not SLOAlert.objects.filter(tier_name="page-1h").exists()
    # A custom tier over windows outside the standard set is evaluated too.
    slo.tiers.create(name="fast", severity="ticket", long_window=timedelta(minutes=45),
                     short_window=timedelta(minutes=10), budget_percent=Decimal("1"))
    slo_evaluate(slo=slo, now=NOW)
    assert SLOAlert.objects.get(tier_name="fast").factor == Decimal("9.6")


def test_deleting_a_tier_resolves_its_open_alert(make_slo):
    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)
    slo_evaluate(slo=slo, now=NOW)
    slo.tiers.filter(name="page-1h").delete()
    slo_evaluate(slo=slo, now=NOW + timedelta(seconds=10))
    assert SLOAlert.objects.get(tier_name="page-1h").resolved_at is not None


def test_alerting_disabled_fires_nothing(make_slo):
    slo = make_slo(alerting_enabled=False)
    burn(slo, 120_000, 1_800, 10_000, 150)
    slo_evaluate(slo=slo, now=NOW)
    assert SLOAlert.objects.count() == 0


def test_28_day_window_uses_scaled_factors(make_slo):
    slo = make_slo(window_days=28)
    burn(slo, 100_000, 1_400, 10_000, 140)  # burn 14: above 13.44, below 14.4
    slo_evaluate(slo=slo, now=NOW)
    alert = SLOAlert.objects.get(tier_name="page-1h")
    assert alert.factor == Decimal("13.44")


def test_page_without_incidents_app_is_logged_and_kept(make_slo, caplog, monkeypatch):
    monkeypatch.setitem(sys.modules, "incidents.services", None)  # as if the incidents app had not landed
    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)
    slo_evaluate(slo=slo, now=NOW)
    alert = SLOAlert.objects.get(tier_name="page-1h")
    assert alert.incident_id is None
    assert "incidents app not available" in caplog.text


def test_one_failing_slo_does_not_stop_the_others(make_slo, monkeypatch):
    good, broken = make_slo(), make_slo()
    burn(good, 120_000, 1_800, 10_000, 150)
    import slos.services.evaluation as evaluation

    real = evaluation.slo_report

    def flaky(slo, *args, **kwargs):
        if slo.pk == broken.pk:
            raise RuntimeError("boom")
        return real(slo, *args, **kwargs)

    monkeypatch.setattr(evaluation, "slo_report", flaky)
    assert evaluate_all(now=NOW) == {"evaluated": 1, "failed": 1}
    assert SLOAlert.objects.filter(slo=good).exists()


def test_archiving_an_slo_resolves_its_open_alerts(make_slo, manager):
    from opsportal import archive as archiving

    slo = make_slo()
    burn(slo, 120_000, 1_800, 10_000, 150)
    slo_evaluate(slo=slo, now=NOW)
    assert SLOAlert.objects.open().filter(slo=slo).count() == 4
    archiving.archive(slo, manager, "service retired", now=NOW + HOUR)
    assert not SLOAlert.objects.open().filter(slo=slo).exists()
    assert set(SLOAlert.objects.filter(slo=slo).values_list("resolved_at", flat=True)) == {NOW + HOUR}

"""monitor_slo with zero traffic: NO_DATA, exit 3 (0 PASS, 1 FAIL, 2 bad input, 3 NO_DATA)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from opsportal.models import ValidationEntry
from slos.services import monitor_slo

pytestmark = pytest.mark.django_db


def test_monitor_slo_with_zero_traffic_records_no_data(make_slo):
    from tests.slos.conftest import put

    slo = make_slo(slug="checkout-availability", name="Checkout availability")
    put(slo, timezone.now() - timedelta(hours=3), timedelta(hours=1), 0, 0)  # an interval without requests
    result = monitor_slo(slo.project)
    assert [check.result for check in result.checks] == ["NO_DATA"] and result.result == "NO_DATA"
    assert ValidationEntry.objects.get(check_name="slo.checkout-availability").result == "NO_DATA"
    with pytest.raises(SystemExit) as exit_info:
        call_command("monitor_slo", slo.project.slug)
    assert exit_info.value.code == 3

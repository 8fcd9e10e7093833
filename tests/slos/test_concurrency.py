"""Two evaluations of one SLO at the same moment still leave one open alert per tier (row lock + constraint)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from slos.models import SLOAlert
from slos.services import slo_evaluate
from tests.slos.conftest import NOW, put


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluations_open_one_alert_per_tier(make_slo):
    slo = make_slo()
    put(slo, NOW - timedelta(minutes=4), timedelta(minutes=1), 0, 1_000)
    barrier = threading.Barrier(4)
    errors = []

    def evaluate():
        try:
            barrier.wait()
            slo_evaluate(slo=slo, now=NOW)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(SLOAlert.objects.open().values_list("tier_name", flat=True)) == [
        "page-1h", "page-6h", "ticket-1d", "ticket-3d"]

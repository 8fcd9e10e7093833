"""Invariants the database holds even when code bypasses the services."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from slos.models import SLO, SLIMeasurement
from tests.slos.conftest import NOW


@pytest.mark.parametrize(("good", "total", "length"), [
    (-1, 10, timedelta(minutes=1)),
    (11, 10, timedelta(minutes=1)),
    (5, 10, timedelta(0)),
    (5, 10, timedelta(minutes=-1)),
])
def test_measurement_counts_and_interval_are_checked(make_slo, good, total, length):
    slo = make_slo()
    with pytest.raises(IntegrityError), transaction.atomic():
        SLIMeasurement.objects.create(slo=slo, start=NOW, end=NOW + length, good=good, total=total)


def test_one_measurement_per_slo_and_start(make_slo):
    slo = make_slo()
    SLIMeasurement.objects.create(slo=slo, start=NOW, end=NOW + timedelta(minutes=1), good=1, total=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SLIMeasurement.objects.create(slo=slo, start=NOW, end=NOW + timedelta(minutes=5), good=1, total=1)
    SLIMeasurement.objects.create(slo=make_slo(), start=NOW, end=NOW + timedelta(minutes=1), good=1, total=1)


@pytest.mark.parametrize("update", [{"objective": 100}, {"objective": 0}, {"status": "MAYBE"},
                                    {"sli_kind": "latency", "threshold_ms": None},
                                    {"budgeting_method": "timeslices"}])
def test_slo_definition_constraints(make_slo, update):
    slo = make_slo()
    with pytest.raises(IntegrityError), transaction.atomic():
        SLO.objects.filter(pk=slo.pk).update(**update)

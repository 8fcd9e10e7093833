"""Helpers for the slos tests: SLOs made through the service, measurements in bulk."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from slos.models import SLIMeasurement
from slos.services import slo_create
from slos.services.rollups import rollups_apply

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_slo(project, service):
    counter = {"n": 0}

    def make(**fields):
        counter["n"] += 1
        fields.setdefault("project", project)
        fields.setdefault("service", service)
        fields.setdefault("name", f"Checkout availability {counter['n']}")
        fields.setdefault("slug", f"checkout-availability-{counter['n']}")
        fields.setdefault("objective", Decimal("99.9"))
        return slo_create(**fields)

    return make


def put(slo, start, length, good, total):
    """Store one measurement directly (tests of the arithmetic do not go through ingestion); rollups follow."""
    row = SLIMeasurement.objects.create(slo=slo, start=start, end=start + length, good=good, total=total)
    rollups_apply(slo_id=slo.pk, added=[(row.end, good, total)])
    return row


def put_many(slo, end, length, pairs):
    """Measurements of `length` each, ending at `end`, oldest first: pairs of (good, total)."""
    start = end - length * len(pairs)
    rows = [
        SLIMeasurement(slo=slo, start=start + length * i, end=start + length * (i + 1), good=g, total=t)
        for i, (g, t) in enumerate(pairs)
    ]
    SLIMeasurement.objects.bulk_create(rows)
    rollups_apply(slo_id=slo.pk, added=[(r.end, r.good, r.total) for r in rows])
    return rows


MINUTE = timedelta(minutes=1)

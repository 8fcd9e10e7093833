"""Storing resource samples (push API and Prometheus pull): all rows or none, rollups in step."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from capacity.models import Resource, ResourceSample
from capacity.rollups import rollups_refresh

MAX_ROWS = 10_000
ROW_FIELDS = {"at", "value"}
# Far above any real usage; keeps sums finite in every database.
MAX_VALUE = 1e15


class SamplesRejected(ValidationError):
    """At least one row is invalid; nothing was stored. `row_errors` lists {index, field, message}."""

    def __init__(self, row_errors: list[dict]):
        self.row_errors = row_errors
        super().__init__({"rows": [f"rows[{e['index']}].{e['field']}: {e['message']}" for e in row_errors]})


@dataclass
class SamplesResult:
    received: int
    created: int
    replaced: int
    buckets: int


def _parse_at(value, index, errors) -> datetime | None:
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except (ValueError, OverflowError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    errors.append({"index": index, "field": "at",
                   "message": "must be an ISO 8601 date-time with a time zone, e.g. 2026-11-26T12:00:00Z."})
    return None


def _parse_value(value, index, errors) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors.append({"index": index, "field": "value", "message": "must be a number."})
        return None
    if not 0 <= value <= MAX_VALUE:
        errors.append({"index": index, "field": "value", "message": f"must be between 0 and {MAX_VALUE:g}."})
        return None
    return float(value)


def parse_rows(rows) -> list[tuple[datetime, float]]:
    """Validate pushed rows; raise `SamplesRejected` naming every bad row and field."""
    if not isinstance(rows, list):
        raise ValidationError({"rows": 'Send a JSON list of {"at", "value"} objects.'})
    if not rows:
        raise ValidationError({"rows": "Send at least one sample."})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": f"At most {MAX_ROWS} samples per request (got {len(rows)})."})
    errors: list[dict] = []
    parsed: list[tuple[datetime, float]] = []
    first_index: dict[datetime, int] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append({"index": index, "field": "row", "message": 'must be an object with "at" and "value".'})
            continue
        before = len(errors)
        for name in sorted(set(row) - ROW_FIELDS):
            errors.append({"index": index, "field": name, "message": "is not a sample field."})
        for name in ("at", "value"):
            if name not in row:
                errors.append({"index": index, "field": name, "message": "is required."})
        if len(errors) > before:
            continue
        at = _parse_at(row["at"], index, errors)
        value = _parse_value(row["value"], index, errors)
        if at is None or value is None:
            continue
        if at in first_index:
            errors.append({"index": index, "field": "at",
                           "message": f"repeats the moment of row {first_index[at]}; send each moment once."})
            continue
        first_index[at] = index
        parsed.append((at, value))
    if errors:
        raise SamplesRejected(errors)
    return parsed


def samples_store(*, resource: Resource, samples: list[tuple[datetime, float]]) -> SamplesResult:
    """The one storing path (push and pull): upsert the samples, recompute the touched rollup buckets
    and the resource's latest-value snapshot, in one transaction."""
    if not samples:
        return SamplesResult(0, 0, 0, 0)
    moments = [at for at, _ in samples]
    with transaction.atomic():
        # One ingestion per resource at a time: the rollups are recomputed from what is stored now.
        Resource.objects.select_for_update().filter(pk=resource.pk).values_list("pk", flat=True).first()
        replaced = ResourceSample.objects.filter(resource=resource, at__in=moments).count()
        ResourceSample.objects.bulk_create(
            [ResourceSample(resource=resource, at=at, value=value) for at, value in samples],
            batch_size=1000, update_conflicts=True, unique_fields=["resource", "at"], update_fields=["value"],
        )
        buckets = rollups_refresh(resource_id=resource.pk, moments=moments)
        latest = ResourceSample.objects.filter(resource=resource).order_by("-at").values_list("at", "value").first()
        Resource.objects.filter(pk=resource.pk).update(last_sample_at=latest[0], last_value=latest[1])
        resource.last_sample_at, resource.last_value = latest
    return SamplesResult(received=len(samples), created=len(samples) - replaced, replaced=replaced, buckets=buckets)


def samples_ingest(*, resource: Resource, rows, actor=None) -> SamplesResult:
    """Store pushed samples ({"at", "value"}, up to 10,000): every row valid, or none stored.
    Re-sending a moment replaces its value."""
    return samples_store(resource=resource, samples=parse_rows(rows))

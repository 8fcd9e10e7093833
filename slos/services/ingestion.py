"""Push ingestion of SLI measurements: all rows or none."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from opsportal.task_queue import SUCCESSES_NOT_KEPT, enqueue
from slos.models import SLO, SLIKind, SLIMeasurement
from slos.services.rollups import rollups_apply

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
# A trillion events per interval: sums over millions of rows stay within a 64-bit integer (SQLite raises on overflow).
MAX_COUNT = 10**12
ROW_FIELDS = {"start", "end", "good", "bad", "total"}


class MeasurementsRejected(ValidationError):
    """At least one row is invalid; nothing was stored. `row_errors` lists {index, field, message}."""

    def __init__(self, row_errors: list[dict]):
        self.row_errors = row_errors
        super().__init__({"rows": [f"rows[{e['index']}].{e['field']}: {e['message']}" for e in row_errors]})


@dataclass
class IngestResult:
    received: int
    created: int
    replaced: int


def _parse_time(value, index, name, errors) -> datetime | None:
    if not isinstance(value, str):
        errors.append({"index": index, "field": name, "message": "must be an ISO 8601 date-time string."})
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        pass
    message = "must be an ISO 8601 date-time with a time zone, e.g. 2026-11-26T12:00:00Z."
    errors.append({"index": index, "field": name, "message": message})
    return None


def _parse_count(value, index, name, errors) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append({"index": index, "field": name, "message": "must be a whole number."})
        return None
    if not 0 <= value <= MAX_COUNT:
        errors.append({"index": index, "field": name, "message": f"must be between 0 and {MAX_COUNT}."})
        return None
    return value


def _parse_row(slo: SLO, index: int, row, errors: list) -> SLIMeasurement | None:
    if not isinstance(row, dict):
        errors.append({"index": index, "field": "row", "message": "must be an object with start, end, good, total."})
        return None
    before = len(errors)
    for name in sorted(set(row) - ROW_FIELDS):
        errors.append({"index": index, "field": name, "message": "is not a measurement field."})
    for name in ("start", "end", "total"):
        if name not in row:
            errors.append({"index": index, "field": name, "message": "is required."})
    takes_bad = slo.sli_kind == SLIKind.ERROR_RATE
    if takes_bad and ("good" in row) == ("bad" in row):
        errors.append({"index": index, "field": "bad", "message": "give exactly one of good and bad."})
    elif not takes_bad and "bad" in row:
        errors.append({"index": index, "field": "bad", "message": "only error_rate SLOs accept bad; send good."})
    elif not takes_bad and "good" not in row:
        errors.append({"index": index, "field": "good", "message": "is required."})
    if len(errors) > before:
        return None
    start = _parse_time(row["start"], index, "start", errors)
    end = _parse_time(row["end"], index, "end", errors)
    total = _parse_count(row["total"], index, "total", errors)
    counted = "bad" if "bad" in row else "good"
    count = _parse_count(row[counted], index, counted, errors)
    if len(errors) > before:
        return None
    if count > total:
        errors.append({"index": index, "field": counted, "message": f"{counted} ({count}) exceeds total ({total})."})
    if start >= end:
        errors.append({"index": index, "field": "end", "message": "end must be after start."})
    if len(errors) > before:
        return None
    good = total - count if counted == "bad" else count
    return SLIMeasurement(slo=slo, start=start, end=end, good=good, total=total)


def measurements_ingest(*, slo: SLO, rows, actor=None) -> IngestResult:
    """Store pushed measurements: every row valid, or none stored.

    Rows are {"start", "end", "good", "total"} (error_rate SLOs may send "bad" instead
    of "good"; good = total - bad). One row per (SLO, start): re-sending an interval
    replaces it and the replacement is logged with old and new counts. Raises
    `MeasurementsRejected` listing each bad row's index and field.
    """
    if slo.archived_at is not None:
        raise ValidationError({"slo": "This SLO is archived: it takes no measurements. A Manager can restore it."})
    if not isinstance(rows, list):
        raise ValidationError({"rows": "Send a JSON list of {start, end, good, total} objects."})
    if not rows:
        raise ValidationError({"rows": "Send at least one measurement."})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": f"At most {MAX_ROWS} measurements per request (got {len(rows)})."})
    errors: list[dict] = []
    parsed: list[SLIMeasurement] = []
    first_index: dict[datetime, int] = {}
    for index, row in enumerate(rows):
        measurement = _parse_row(slo, index, row, errors)
        if measurement is None:
            continue
        if measurement.start in first_index:
            message = f"repeats the start of row {first_index[measurement.start]}; send each interval once."
            errors.append({"index": index, "field": "start", "message": message})
            continue
        first_index[measurement.start] = index
        parsed.append(measurement)
    if errors:
        raise MeasurementsRejected(errors)
    starts = [m.start for m in parsed]
    with transaction.atomic():
        # One ingestion per SLO at a time: the rollup deltas below depend on the rows read here.
        SLO.objects.select_for_update(no_key=True).filter(pk=slo.pk).values_list("pk", flat=True).first()
        existing = {
            row["start"]: row
            for row in SLIMeasurement.objects.filter(slo=slo, start__gte=min(starts), start__lte=max(starts))
            .values("start", "end", "good", "total")
        }
        SLIMeasurement.objects.bulk_create(
            parsed, batch_size=1000, update_conflicts=True, unique_fields=["slo", "start"],
            update_fields=["end", "good", "total", "updated_at"],
        )
        replaced = [m for m in parsed if m.start in existing]
        # Rollups follow in the same transaction, here in the one storing path (push API and Prometheus pull).
        old_rows = [existing[m.start] for m in replaced]
        rollups_apply(
            slo_id=slo.pk,
            added=[(m.end, m.good, m.total) for m in parsed],
            removed=[(old["end"], old["good"], old["total"]) for old in old_rows],
        )
        for m in replaced:
            old = existing[m.start]
            logger.info(
                "SLO %s measurement %s replaced by %s: good/total %s/%s -> %s/%s (end %s -> %s)",
                slo.pk, m.start.isoformat(), getattr(actor, "username", "automation"),
                old["good"], old["total"], m.good, m.total, old["end"].isoformat(), m.end.isoformat(),
            )
        # The snapshot and alerts follow the new data without waiting for the next minute.
        transaction.on_commit(lambda: enqueue("slos.tasks.evaluate_slo", slo.pk, save=SUCCESSES_NOT_KEPT))
    return IngestResult(received=len(parsed), created=len(parsed) - len(replaced), replaced=len(replaced))

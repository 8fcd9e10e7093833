"""Intake of survey responses and feedback (API and admin CSV import): every row valid, or none stored."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.crypto import salted_hmac

from experience.masking import mask_personal_data
from experience.models import (
    SCORE_RANGE,
    Channel,
    FeedbackItem,
    FeedbackSeverity,
    FeedbackSource,
    SurveyKind,
    SurveyResponse,
    Tag,
)
from experience.services.rows import Row, RowsRejected, check_list
from opsportal.models import Project, Service

MAX_ROWS = 5_000
MAX_TEXT = 10_000
SURVEY_FIELDS = {"kind", "score", "submitted_at", "source", "external_id", "service", "channel", "comment",
                 "respondent", "tags"}
FEEDBACK_FIELDS = {"service", "source", "text", "severity", "received_at", "tags", "external_url", "external_id"}
LOOKUP_CHUNK = 500


@dataclass
class IntakeResult:
    received: int
    created: int
    already_stored: int
    dry_run: bool = False
    preview: list[dict] = field(default_factory=list)


def respondent_hash(key: str) -> str:
    """Salted HMAC-SHA256 of the respondent key (case and spaces ignored): the key itself is never stored."""
    return salted_hmac("opsportal.experience.respondent", key.strip().lower(), algorithm="sha256").hexdigest()


def _services(project: Project, rows: list) -> dict[str, Service]:
    slugs = {r.get("service") for r in rows if isinstance(r, dict) and isinstance(r.get("service"), str)}
    return {s.slug: s for s in Service.objects.filter(project=project, slug__in=slugs)}


def _service(row: Row, services: dict, *, required: bool):
    slug = row.text("service", required=required)
    if slug and slug not in services:
        row.error("service", f"no service {slug!r} in this project.")
    return services.get(slug)


def _tags_by_name(project: Project, names: set[str]) -> dict[str, Tag]:
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(project=project, name=n) for n in sorted(names)], ignore_conflicts=True)
    return {t.name: t for t in Tag.objects.filter(project=project, name__in=names)}


def _existing(model, project, keys: list[tuple[str, str]], fields: list[str]) -> dict[tuple, dict]:
    """Stored rows of these (source, external_id) keys, in chunks (database parameter limits)."""
    found = {}
    ids = sorted({external_id for _source, external_id in keys})
    for first in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[first:first + LOOKUP_CHUNK]
        for row in model.objects.filter(project=project, external_id__in=chunk).values("source", "external_id",
                                                                                      *fields):
            found[(row["source"], row["external_id"])] = row
    return found


def _duplicates(parsed, existing, fields, errors) -> list:
    """Rows already stored with the same content are skipped; with other content they are refused."""
    new = []
    for index, obj, _tags in parsed:
        stored = existing.get((obj.source, obj.external_id))
        if stored is None:
            new.append((index, obj, _tags))
            continue
        differs = [f for f in fields if stored[f] != getattr(obj, f)]
        if differs:
            errors.append({"index": index, "field": "external_id",
                           "message": f"{obj.source}:{obj.external_id} is already stored with another "
                                      f"{', '.join(differs)}; an external id names one response."})
    return new


def _store(model, project, new, tag_field) -> None:
    names = {t for _i, _o, tags in new for t in tags}
    with transaction.atomic():
        tags = _tags_by_name(project, names)
        objs = model.objects.bulk_create([obj for _i, obj, _t in new], batch_size=1000)
        through = getattr(model, tag_field).through
        fk = model._meta.model_name
        links = [through(**{f"{fk}_id": obj.pk, "tag_id": tags[t].pk})
                 for obj, (_i, _o, row_tags) in zip(objs, new, strict=True) for t in row_tags]
        through.objects.bulk_create(links, batch_size=1000)


def _finish(model, project, parsed, errors, fields, *, dry_run, preview) -> IntakeResult:
    if errors:
        raise RowsRejected(errors)
    keys = [(o.source, o.external_id) for _i, o, _t in parsed if o.external_id]
    with transaction.atomic():
        # One intake per project at a time, so two re-sends of one batch cannot both pass the lookup.
        Project.objects.select_for_update().filter(pk=project.pk).values_list("pk", flat=True).first()
        existing = _existing(model, project, keys, fields)
        new = _duplicates(parsed, existing, fields, errors)
        if errors:
            raise RowsRejected(errors)
        if not dry_run:
            _store(model, project, new, "tags")
    return IntakeResult(received=len(parsed), created=len(new), already_stored=len(parsed) - len(new),
                        dry_run=dry_run, preview=[preview(o, t) for _i, o, t in parsed] if dry_run else [])


def _unique_in_batch(parsed_key, index, seen, row: Row) -> bool:
    if parsed_key in seen:
        row.error("external_id", f"repeats row {seen[parsed_key]}; send each response once.")
        return False
    seen[parsed_key] = index
    return True


def survey_responses_ingest(*, project: Project, rows, dry_run: bool = False) -> IntakeResult:
    """Store survey responses, all or none (up to 5,000).

    Each row: kind (csat 1-5, nps 0-10, ces 1-7), score, submitted_at, source, external_id;
    optional service (slug), channel, comment (masked), respondent (stored as a salted hash), tags.
    A (source, external_id) already stored with the same content is skipped (an idempotent
    re-send); with other content it is refused. Raises `RowsRejected` naming each row and field.
    """
    check_list(rows, max_rows=MAX_ROWS, what="survey response")
    services = _services(project, rows)
    errors, parsed, seen = [], [], {}
    for index, data in enumerate(rows):
        if not isinstance(data, dict):
            errors.append({"index": index, "field": "row", "message": "must be an object."})
            continue
        row = Row(index, data, errors)
        before = len(errors)
        row.unknown(SURVEY_FIELDS)
        kind = row.choice("kind", SurveyKind)
        score = row.integer("score")
        if kind and score is not None:
            low, high = SCORE_RANGE[kind]
            if not low <= score <= high:
                row.error("score", f"a {kind} score is between {low} and {high} (got {score}).")
        submitted_at = row.moment("submitted_at")
        source = row.text("source", required=True, max_length=50)
        if source and not source.replace("-", "").replace("_", "").isalnum():
            row.error("source", "letters, digits, - and _ only.")
        external_id = row.text("external_id", required=True, max_length=200)
        service = _service(row, services, required=False)
        channel = row.choice("channel", Channel, default=Channel.OTHER)
        comment = row.text("comment", max_length=MAX_TEXT)
        respondent = row.text("respondent", max_length=500)
        tags = row.tags()
        if len(errors) > before or not _unique_in_batch((source, external_id), index, seen, row):
            continue
        parsed.append((index, SurveyResponse(
            project=project, service=service, channel=channel, kind=kind, score=score,
            comment=mask_personal_data(comment), respondent_hash=respondent_hash(respondent) if respondent else "",
            submitted_at=submitted_at, source=source, external_id=external_id,
        ), tags))
    return _finish(SurveyResponse, project, parsed, errors, ["kind", "score", "submitted_at", "service_id", "channel"],
                   dry_run=dry_run, preview=_survey_preview)


def _survey_preview(obj: SurveyResponse, tags) -> dict:
    return {"kind": obj.kind, "score": obj.score, "submitted_at": obj.submitted_at.isoformat(),
            "service": obj.service.slug if obj.service else "", "channel": obj.channel, "comment": obj.comment,
            "tags": tags, "source": obj.source, "external_id": obj.external_id}


def feedback_ingest(*, project: Project, rows, dry_run: bool = False) -> IntakeResult:
    """Store feedback items, all or none (up to 5,000), as `new` for triage.

    Each row: service (slug), source, text (masked), received_at; optional severity, tags,
    external_url, external_id (a re-sent id with the same content is skipped, with other content refused).
    """
    check_list(rows, max_rows=MAX_ROWS, what="feedback item")
    services = _services(project, rows)
    errors, parsed, seen = [], [], {}
    for index, data in enumerate(rows):
        if not isinstance(data, dict):
            errors.append({"index": index, "field": "row", "message": "must be an object."})
            continue
        row = Row(index, data, errors)
        before = len(errors)
        row.unknown(FEEDBACK_FIELDS)
        service = _service(row, services, required=True)
        source = row.choice("source", FeedbackSource)
        text = row.text("text", required=True, max_length=MAX_TEXT)
        severity = row.choice("severity", FeedbackSeverity, default=FeedbackSeverity.LOW)
        received_at = row.moment("received_at")
        tags = row.tags()
        external_url = row.url("external_url")
        external_id = row.text("external_id", max_length=200)
        if len(errors) > before or (external_id and not _unique_in_batch((source, external_id), index, seen, row)):
            continue
        parsed.append((index, FeedbackItem(
            project=project, service=service, source=source, text=mask_personal_data(text), severity=severity,
            received_at=received_at, external_url=external_url, external_id=external_id,
        ), tags))
    return _finish(FeedbackItem, project, parsed, errors, ["service_id", "text", "severity", "received_at"],
                   dry_run=dry_run, preview=_feedback_preview)


def _feedback_preview(obj: FeedbackItem, tags) -> dict:
    return {"service": obj.service.slug, "source": obj.source, "text": obj.text, "severity": obj.severity,
            "received_at": obj.received_at.isoformat(), "tags": tags, "external_id": obj.external_id}

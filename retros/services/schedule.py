"""`schedule_retros`: the specification's automation contract for retro cadences."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from opsportal.actors import recorded_person
from opsportal.models import EvidenceKind, Project
from opsportal.services import log_evidence
from retros.cadence import (
    parse_start,
    project_zone,
    retro_occurrences,
    validate_cadence,
    validate_count,
    validate_start_range,
)
from retros.models import RetroSeries, Retrospective

CADENCE_SCHEMA_ID = "https://opsportal.example/schemas/retro-cadence.schema.json"


def agenda_path(retro_id: int) -> str:
    return reverse("retrospective-agenda", kwargs={"pk": retro_id})


def cadence_document(series: RetroSeries, *, retros=None, build_url=None) -> dict:
    """The retro cadence JSON of a series (schema: retros/schemas/retro-cadence.schema.json).

    `build_url` turns a path into an absolute URL (e.g. `request.build_absolute_uri`).
    """
    zone = series.zone
    if retros is None:
        retros = series.retros.select_related("facilitator").order_by("sequence")
    build_url = build_url or (lambda path: path)
    return {
        "$schema": CADENCE_SCHEMA_ID,
        "series": series.pk,
        "project": series.project.slug,
        "cadence": series.cadence,
        "start": series.start.astimezone(zone).isoformat(),
        "count": series.count,
        "time_zone": series.time_zone,
        "generated_at": timezone.now().astimezone(zone).isoformat(timespec="seconds"),
        "retros": [
            {
                "sequence": retro.sequence,
                "scheduled_start": retro.scheduled_start.astimezone(zone).isoformat(),
                "facilitator": retro.facilitator.get_username() if retro.facilitator_id else None,
                "status": retro.status,
                "agenda_url": build_url(agenda_path(retro.pk)),
            }
            for retro in retros
        ],
    }


def schedule_retros(*, project: Project, start, cadence: str, count, facilitator=None, actor=None):
    """Create a project's retro series: `count` retros on `cadence` from `start` (project's zone).

    Rules: cadence is weekly, biweekly, monthly or quarterly; count is 1-260;
    the same request again (project, cadence, start, count) returns the existing
    series and creates nothing; a series overlapping another of the same
    project and cadence is refused, naming that series. Writes one
    `retro_cadence` evidence record per new series.
    Returns `(series, created)`.
    """
    errors = {}
    zone = project_zone(project)
    for check in (
        lambda: validate_cadence(cadence),
        lambda: validate_count(count),
        lambda: validate_start_range(parse_start(start, zone)),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    count = validate_count(count)
    starts = retro_occurrences(parse_start(start, zone), cadence, count)
    first, last = starts[0], starts[-1]
    with transaction.atomic():
        # One scheduler per project at a time: the overlap check and the insert must not race.
        Project.objects.select_for_update(no_key=True).filter(pk=project.pk).first()
        identical = (RetroSeries.objects.active()
                     .filter(project=project, cadence=cadence, start=first, count=count).first())
        if identical is not None:
            return identical, False
        clash = (
            RetroSeries.objects.overlapping(project=project, cadence=cadence, first_start=first, last_start=last)
            .order_by("start")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {"start": f"This {cadence} series would overlap the existing series #{clash.pk} ({clash}). "
                          "Start after its last retro or repeat its exact request."}
            )
        series = RetroSeries.objects.create(
            project=project, cadence=cadence, start=first, last_start=last, count=count,
            time_zone=project.time_zone, facilitator=facilitator,
            created_by=recorded_person(actor),
        )
        Retrospective.objects.bulk_create(
            Retrospective(project=project, series=series, sequence=index, scheduled_start=moment,
                          facilitator=facilitator)
            for index, moment in enumerate(starts, start=1)
        )
        document = cadence_document(series)
        log_evidence(
            project=project, kind=EvidenceKind.RETRO_CADENCE,
            summary=f"Scheduled {count} {cadence} retros from {document['start']} ({project.time_zone})",
            payload=document, actor=actor,
        )
    return series, True

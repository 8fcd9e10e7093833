"""Operational reviews: created once per project and period, prefilled, worked through, completed."""

import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from opsportal.models import EvidenceKind, Project
from opsportal.services import log_evidence
from retros.cadence import add_months, local_midnight, next_period, period_containing, previous_period, project_zone
from retros.findings import collect_findings, quarter_summary, quarter_summary_text
from retros.models import CHECKLISTS, ChecklistItem, OperationalReview, ReviewCadence, ReviewStatus

logger = logging.getLogger(__name__)
COMPLETE_PERMISSION = "retros.complete_operationalreview"
# After downtime, at most this many missed periods per cadence are created (once each), not every one.
DEFAULT_BACKFILL_PERIODS = 3


def backfill_limit() -> int:
    return int(getattr(settings, "OPSPORTAL", {}).get("REVIEW_BACKFILL_PERIODS", DEFAULT_BACKFILL_PERIODS))


def review_create_for_period(*, project: Project, cadence: str, period_start: date, now=None):
    """Create the project's review of the period starting `period_start`, exactly once.

    The unique constraint (project, cadence, period start) is the guarantee: a
    second worker or a second firing finds the row, or loses the insert race
    (IntegrityError) and returns the winner's row. Checklist findings are
    prefilled from every app's `review_findings` in the same transaction.
    Returns `(review, created)`.
    """
    if cadence not in ReviewCadence.values:
        raise ValidationError({"cadence": f"cadence must be one of {', '.join(ReviewCadence.values)}."})
    now = now or timezone.now()
    start, end = period_containing(cadence, period_start)
    if start != period_start:
        raise ValidationError({"period_start": f"A {cadence} period starts on {start}, not {period_start}."})
    lookup = {"project": project, "cadence": cadence, "period_start": start}
    existing = OperationalReview.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    zone = project_zone(project)
    period_from, period_to = local_midnight(start, zone), local_midnight(end, zone)
    try:
        with transaction.atomic():
            review = OperationalReview.objects.create(**lookup, period_end=end, due=period_to)
            keys = [key for key, _title, _help in CHECKLISTS[cadence]]
            findings = collect_findings(
                project=project, cadence=cadence, item_keys=keys, period_start=period_from, period_end=period_to,
                now=now,
            )
            if cadence == ReviewCadence.QUARTERLY:
                review.summary = _previous_quarter_summary(project, start, zone)
                review.save(update_fields=["summary"])
                findings.setdefault("strategic_review", []).insert(0, {
                    "severity": "info", "source": "retros", "links": [],
                    "text": quarter_summary_text(review.summary),
                })
            ChecklistItem.objects.bulk_create(
                ChecklistItem(review=review, key=key, position=index, findings=findings.get(key, []))
                for index, key in enumerate(keys)
            )
    except IntegrityError:
        return OperationalReview.objects.get(**lookup), False
    return review, True


def _previous_quarter_summary(project, quarter_start: date, zone) -> dict:
    first = previous_period("quarterly", quarter_start)[0]
    months = [
        (local_midnight(add_months(first, i), zone), local_midnight(add_months(first, i + 1), zone)) for i in range(3)
    ]
    return quarter_summary(project=project, months=months)


def _periods_to_create(project, cadence: str, today: date) -> list[date]:
    """The current period, plus missed ones since the latest review (capped by the backfill limit)."""
    current = period_containing(cadence, today)[0]
    latest = (
        OperationalReview.objects.filter(project=project, cadence=cadence, period_start__lt=current)
        .order_by("-period_start").values_list("period_start", flat=True).first()
    )
    starts = [current]
    if latest is not None:
        missed, cursor = [], next_period(cadence, latest)[0]
        while cursor < current:
            missed.append(cursor)
            cursor = next_period(cadence, cursor)[0]
        limit = backfill_limit()
        starts = (missed[-limit:] if limit else []) + starts
    return starts


def reviews_ensure_for_project(project: Project, *, now=None) -> list[OperationalReview]:
    """Create the project's reviews for the current period of every cadence (and capped missed periods)."""
    now = now or timezone.now()
    today = now.astimezone(project_zone(project)).date()
    created = []
    for cadence in ReviewCadence.values:
        for start in _periods_to_create(project, cadence, today):
            review, was_created = review_create_for_period(project=project, cadence=cadence, period_start=start,
                                                           now=now)
            if was_created:
                created.append(review)
    return created


def review_checks(*, now=None) -> dict:
    """The scheduled cadence check: every active project's reviews, each project in isolation
    (one project's failure is logged; the others still get their reviews)."""
    now = now or timezone.now()
    result = {"created": 0, "failed": []}
    for project in Project.objects.active().order_by("pk"):
        try:
            result["created"] += len(reviews_ensure_for_project(project, now=now))
        except Exception:
            logger.exception("operational review check failed for project %s", project.slug)
            result["failed"].append(project.slug)
    return result


def _locked_review(review: OperationalReview) -> OperationalReview:
    return OperationalReview.objects.select_for_update(of=("self",)).select_related("project").get(pk=review.pk)


def review_update_item(review: OperationalReview, *, key: str, actor, done: bool | None = None,
                       note: str | None = None) -> ChecklistItem:
    """Record a person's note and/or done flag on one checklist item of an open review."""
    with transaction.atomic():
        review = _locked_review(review)
        if review.status != ReviewStatus.OPEN:
            raise ValidationError({"status": "This review is completed; its checklist is closed."})
        item = review.items.filter(key=key).first()
        if item is None:
            keys = ", ".join(k for k, _t, _h in CHECKLISTS[review.cadence])
            raise ValidationError({"key": f"{key!r} is not an item of this {review.cadence} review ({keys})."})
        fields = []
        if note is not None:
            item.note = note
            fields.append("note")
        if done is not None and done != item.done:
            item.done = done
            item.done_by = actor if done else None
            item.done_at = timezone.now() if done else None
            fields += ["done", "done_by", "done_at"]
        if fields:
            item.save(update_fields=fields)
    return item


def review_complete(review: OperationalReview, *, actor, decisions: str | None = None, now=None) -> OperationalReview:
    """Complete a review: Managers only; every checklist item must be done. Writes `review` evidence.
    `decisions` replaces the recorded decisions when given. Completing a completed review changes nothing."""
    if actor is None or not actor.has_perm(COMPLETE_PERMISSION, review):
        raise PermissionDenied("Only Managers may complete operational reviews.")
    now = now or timezone.now()
    with transaction.atomic():
        review = _locked_review(review)
        if review.status == ReviewStatus.COMPLETED:
            return review
        items = list(review.items.order_by("position"))
        pending = [item.title for item in items if not item.done]
        if pending:
            raise ValidationError({"items": f"Not done yet: {', '.join(pending)}."})
        review.status = ReviewStatus.COMPLETED
        review.completed_by = actor
        review.completed_at = now
        if decisions is not None:
            review.decisions = decisions.strip()
        review.save(update_fields=["status", "completed_by", "completed_at", "decisions"])
        on_time = now <= review.due
        log_evidence(
            project=review.project, kind=EvidenceKind.REVIEW, actor=actor,
            summary=f"{review.get_cadence_display()} review of {review.period_start} completed"
                    f"{'' if on_time else ' late'}",
            payload={
                "review": review.pk, "cadence": review.cadence, "period_start": review.period_start.isoformat(),
                "period_end": review.period_end.isoformat(), "due": review.due.isoformat(),
                "completed_at": now.isoformat(), "on_time": on_time, "decisions": review.decisions,
                "items": [{"key": i.key, "note": i.note, "findings": len(i.findings)} for i in items],
            },
        )
    return review

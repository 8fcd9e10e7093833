"""Archive instead of delete: rows an audit needs are retired, never removed.

A model that mixes in `Archivable` gets `archived_at`, `archived_by` and `archive_reason`, the
queryset vocabulary `.active()` / `.archived()`, and a custom permission `archive_<model>`
(declare it in the model's Meta.permissions; custom permissions are Managers' decisions, see
opsportal/roles.py). `archive()` and `restore()` are the only writers of those fields: they
check the actor's permission on the row, run in one transaction and write an `archive` evidence
record each time. Models may define `on_archive(actor, now, reason)` / `on_restore(actor, now)`
returning extra field names they changed (an article's status, for example).

The admin side is `opsportal.admin.archive.ArchivableAdmin`, the API side
`opsportal.api.archive.ArchivableViewSetMixin`. See docs/archiving.md.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from opsportal.actors import recorded_person

EVIDENCE_KIND = "archive"


class ArchivableQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def archived(self):
        return self.filter(archived_at__isnull=False)


class Archivable(models.Model):
    archived_at = models.DateTimeField(
        null=True, blank=True, editable=False, db_index=True,
        help_text="Set when a Manager archived the row: hidden from lists and behaviour, kept for the audit.",
    )
    # PROTECT: people are deactivated, not deleted, so who archived a row is never lost.
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="+"
    )
    archive_reason = models.CharField(max_length=500, blank=True, editable=False)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


def archive_permission(model) -> str:
    return f"{model._meta.app_label}.archive_{model._meta.model_name}"


def may_archive(user, obj) -> bool:
    return user is not None and user.has_perm(archive_permission(type(obj)), obj)


def _require(actor, obj) -> None:
    # actor None is the system (scripts, demo data); people need the permission in the row's project.
    if actor is not None and not may_archive(actor, obj):
        raise PermissionDenied(f"Only a Manager of the project may archive or restore {obj._meta.verbose_name}s.")


def _evidence_projects(obj):
    """The row's project; an organisation-wide row (an article without project) is evidence in every project."""
    from opsportal.access.registry import project_id_of
    from opsportal.models import Project

    project_id = project_id_of(obj)
    if project_id is not None:
        return [Project.objects.get(pk=project_id)]
    return list(Project.objects.active())


def _log(obj, *, action: str, actor, reason: str, now) -> None:
    from opsportal.services import log_evidence

    label = obj._meta.verbose_name
    for project in _evidence_projects(obj):
        log_evidence(
            project=project, kind=EVIDENCE_KIND,
            summary=f"{label.capitalize()} {action}: {obj}"[:500],
            payload={
                "action": action, "model": obj._meta.label_lower, "id": obj.pk, "name": str(obj)[:200],
                "reason": reason, "at": now.isoformat(),
                "by": getattr(recorded_person(actor), "username", None),
            },
            actor=recorded_person(actor),
        )


def _locked(obj):
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def _copy_back(target, source, fields) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def archive(obj, actor, reason: str = "", *, now=None):
    """Archive `obj` (a Manager of its project, or the system): hidden from lists and behaviour, kept."""
    _require(actor, obj)
    reason = (reason or "").strip()[:500]
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(obj)
        if row.archived_at is not None:
            raise ValidationError({"archived_at": f"This {obj._meta.verbose_name} is already archived "
                                                  f"(since {row.archived_at:%Y-%m-%d %H:%M} UTC)."})
        row.archived_at, row.archived_by, row.archive_reason = now, recorded_person(actor), reason
        fields = ["archived_at", "archived_by", "archive_reason"]
        hook = getattr(row, "on_archive", None)
        if hook is not None:
            fields += list(hook(actor=actor, now=now, reason=reason) or ())
        row.save(update_fields=fields)
        _log(row, action="archived", actor=actor, reason=reason, now=now)
    _copy_back(obj, row, fields)
    return obj


def restore(obj, actor, *, now=None):
    """Bring an archived row back (a Manager of its project, or the system)."""
    _require(actor, obj)
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(obj)
        if row.archived_at is None:
            raise ValidationError({"archived_at": f"This {obj._meta.verbose_name} is not archived."})
        previous_reason = row.archive_reason
        row.archived_at, row.archived_by, row.archive_reason = None, None, ""
        fields = ["archived_at", "archived_by", "archive_reason"]
        hook = getattr(row, "on_restore", None)
        if hook is not None:
            fields += list(hook(actor=actor, now=now) or ())
        row.save(update_fields=fields)
        _log(row, action="restored", actor=actor, reason=previous_reason, now=now)
    _copy_back(obj, row, fields)
    return obj


def protected_reason(exc) -> str:
    """A ProtectedError/RestrictedError as a sentence: what hangs off the row, and what to do instead."""
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in getattr(exc, "protected_objects", None)
                    or getattr(exc, "restricted_objects", None) or ()})
    what = ", ".join(kinds) or "records"
    return (f"Not deleted: {what} refer to it and are kept for the audit. Archive it instead "
            f"(a Manager can restore it later).")

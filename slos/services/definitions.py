"""Creating and changing SLOs and their burn-rate tiers."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from opsportal.models import AuthorshipRole
from opsportal.services.approvals import authorship_record
from slos.models import SLO, BurnRateTier, Severity

# The Workbook's multi-window, multi-burn-rate alerts (share of the window's budget spent within the
# long window). For a 30-day window these are the familiar 14.4x, 6x, 3x and 1x.
DEFAULT_TIERS = [
    # name, severity, long window, short window, budget percent
    ("page-1h", Severity.PAGE, timedelta(hours=1), timedelta(minutes=5), Decimal("2")),
    ("page-6h", Severity.PAGE, timedelta(hours=6), timedelta(minutes=30), Decimal("5")),
    ("ticket-1d", Severity.TICKET, timedelta(days=1), timedelta(hours=2), Decimal("10")),
    ("ticket-3d", Severity.TICKET, timedelta(days=3), timedelta(hours=6), Decimal("10")),
]

SLO_FIELDS = {
    "project", "service", "name", "slug", "description", "sli_kind", "threshold_ms", "objective", "window_kind",
    "window_days", "time_zone", "budgeting_method", "slice_length", "slice_target", "data_source",
    "prometheus_url", "promql_good", "promql_bad", "promql_total", "evaluation_interval", "alerting_enabled",
    "owner", "counter", "labels", "alert_name", "prometheus_auth", "prometheus_username", "prometheus_secret",
    "prometheus_tenant",
}


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - SLO_FIELDS
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})


def slo_save(*, slo: SLO, actor=None) -> SLO:
    """Save a new or changed SLO after every model rule and DB constraint was checked (`full_clean`),
    so bad input is a ValidationError naming the field, never a half-written SLO."""
    if slo.project_id is None and slo.service_id:
        slo.project = slo.service.project
    if slo.pk is not None:
        stored_project = SLO.objects.filter(pk=slo.pk).values_list("project_id", flat=True).first()
        if stored_project is not None and stored_project != slo.project_id:
            raise ValidationError({"project": "An SLO cannot move to another project; create a new one."})
    slo.full_clean()
    if actor is not None:  # where the SLI data comes from is the project Managers' configuration
        from opsportal.access.rules import require_manager_fields
        from slos.access import DATA_SOURCE_FIELDS

        before = (SLO.objects.filter(pk=slo.pk).first() if slo.pk else None) or SLO()
        changed = [name for name in DATA_SOURCE_FIELDS if getattr(slo, name) != getattr(before, name)]
        require_manager_fields(actor, SLO, slo, changed)
    with transaction.atomic():
        slo.save()
        # Four-eyes for SLO reviews reads the whole history: whoever owned or edited it never reviews it.
        authorship_record(subject=slo, users=[slo.owner] if slo.owner_id else [], role=AuthorshipRole.OWNER)
        authorship_record(subject=slo, users=[actor] if actor is not None else [], role=AuthorshipRole.EDITOR)
    return slo


def slo_create(*, tiers=None, actor=None, **fields) -> SLO:
    """Create an SLO with the Workbook's default burn-rate tiers (or `tiers`: (name, severity, long, short, %))."""
    _check_fields(fields)
    with transaction.atomic():
        slo = slo_save(slo=SLO(**fields), actor=actor)
        tier_set_defaults(slo=slo, tiers=tiers)
    return slo


def slo_update(*, slo: SLO, actor=None, **fields) -> SLO:
    """Change an SLO's definition (row locked). The snapshot follows at the next evaluation."""
    _check_fields(fields)
    with transaction.atomic():
        locked = SLO.objects.select_for_update().get(pk=slo.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        return slo_save(slo=locked, actor=actor)


def tier_set_defaults(*, slo: SLO, tiers=None) -> list[BurnRateTier]:
    """Give `slo` its burn-rate tiers (the Workbook defaults unless `tiers` is given: tuples of name,
    severity, long window, short window, budget percent and optionally the alert's extra labels)."""
    created = []
    for name, severity, long_window, short_window, budget_percent, *rest in tiers or DEFAULT_TIERS:
        tier = BurnRateTier(
            slo=slo, name=name, severity=severity, long_window=long_window, short_window=short_window,
            budget_percent=budget_percent, alert_labels=rest[0] if rest else {},
        )
        tier.full_clean()
        created.append(tier)
    BurnRateTier.objects.bulk_create(created)
    return created


def slo_delete(*, slo: SLO, actor=None) -> None:
    """Delete an SLO and its tiers (Managers only, by role). Measurements, rollups and alerts are
    PROTECTed: an SLO with any is refused (ProtectedError, a 409 on the API); archive it instead."""
    with transaction.atomic():
        SLO.objects.filter(pk=slo.pk).delete()


def tier_replace(*, slo: SLO, tiers: list[dict], actor=None) -> list[BurnRateTier]:
    """Make `tiers` ({name, severity, long_window, short_window, budget_percent}) the SLO's tiers.

    Tiers are matched by name: changed in place, added, or deleted when missing (an open
    alert of a deleted tier resolves at the next evaluation). All or nothing.
    """
    names = [tier.get("name") for tier in tiers]
    if len(set(names)) != len(names):
        raise ValidationError({"tiers": "Each tier name may appear once."})
    if not tiers:
        raise ValidationError({"tiers": "Give at least one tier (alerting can be switched off on the SLO instead)."})
    with transaction.atomic():
        slo = SLO.objects.select_for_update().get(pk=slo.pk)
        existing = {tier.name: tier for tier in slo.tiers.all()}
        kept = []
        for index, fields in enumerate(tiers):
            tier = existing.pop(fields["name"], None) or BurnRateTier(slo=slo)
            for name, value in fields.items():
                setattr(tier, name, value)
            try:
                tier.full_clean(exclude=["slo"])
            except ValidationError as exc:
                raise ValidationError({f"tiers[{index}].{k}": v for k, v in exc.message_dict.items()}) from None
            tier.save()
            kept.append(tier)
        BurnRateTier.objects.filter(pk__in=[tier.pk for tier in existing.values()]).delete()
    return kept

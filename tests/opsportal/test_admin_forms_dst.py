"""Every admin form's date-time fields, inlines included, keep an unchanged instant of a DST night
(opsportal.form_fields.KeptInstantSplitDateTimeField, installed by OpsPortalAdminConfig.ready)."""

from django.contrib import admin
from django.db import models

from opsportal.form_fields import KeptInstantSplitDateTimeField


def test_every_registered_admin_and_inline_uses_the_kept_instant_field():
    checked = 0
    for model_admin in admin.site._registry.values():
        admins = [model_admin, *(inline(inline.model, admin.site) for inline in model_admin.inlines)]
        for each in admins:
            assert each.formfield_overrides[models.DateTimeField]["form_class"] is KeptInstantSplitDateTimeField, each
            checked += 1
    assert checked > 50


def test_a_submitted_wall_time_equal_to_the_shown_one_keeps_the_stored_instant(settings):
    from datetime import UTC, date, datetime, time

    from django import forms

    settings.TIME_ZONE = "America/New_York"
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, the second 01:30 of that night

    class Form(forms.Form):
        at = KeptInstantSplitDateTimeField()

    kept = Form(data={"at_0": "2026-11-01", "at_1": "01:30:00"}, initial={"at": second})
    assert kept.is_valid(), kept.errors
    assert kept.cleaned_data["at"] == second
    moved = Form(data={"at_0": "2026-11-01", "at_1": "01:40:00"}, initial={"at": second})
    assert not moved.is_valid() and "at" in moved.errors  # ambiguous, and not the one shown
    fresh = Form(data={"at_0": "2026-11-01", "at_1": "03:00:00"})
    assert fresh.is_valid() and fresh.cleaned_data["at"] == datetime.combine(
        date(2026, 11, 1), time(8), tzinfo=UTC)


def test_an_initial_value_that_is_not_a_stored_instant_is_not_kept(settings):
    """An add page prefilled from the query string (`?at=...`) has text as its initial value."""
    from django import forms

    settings.TIME_ZONE = "Europe/Berlin"

    class Form(forms.Form):
        at = KeptInstantSplitDateTimeField()

    for initial in ("2026-10-25 02:30", None):
        form = Form(data={"at_0": "2026-10-25", "at_1": "02:30:00"}, initial={"at": initial})
        assert not form.is_valid() and "at" in form.errors  # ambiguous and nothing stored to keep
        assert form.fields["at"].kept is None

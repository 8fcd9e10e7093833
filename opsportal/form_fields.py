"""Form fields shared by every app's admin and forms (see OpsPortalAdminConfig.ready)."""

from datetime import datetime

from django import forms
from django.utils import timezone


class KeptInstantSplitDateTimeField(forms.SplitDateTimeField):
    """A date and a time of day in the deployment's zone that a form shows for a stored instant.

    On the night clocks go back, a wall time such as 01:45 happens twice, and Django refuses it as
    ambiguous: a change page showing such an instant could then not be saved at all, whatever else
    was edited. When the submitted wall time is the one shown (to the second), the stored instant
    is kept as it was; a different ambiguous or non-existent wall time is still refused, naming
    the field."""

    def __init__(self, *args, kept=None, **kwargs):
        self.kept = kept
        super().__init__(*args, **kwargs)

    def get_bound_field(self, form, field_name):
        # A model form's initial value is the stored instant; each form works on its own copy of the
        # field, so remembering it here is per form.
        if self.kept is None:
            initial = form.get_initial_for_field(self, field_name)
            # Only a stored instant; an add page's initial may be text from the query string.
            if isinstance(initial, datetime) and timezone.is_aware(initial):
                self.kept = initial
        return super().get_bound_field(form, field_name)

    def compress(self, data_list):
        if self.kept is not None and data_list and all(value is not None for value in data_list):
            shown = timezone.localtime(self.kept)
            submitted = (data_list[0], data_list[1].replace(microsecond=0))
            if (shown.date(), shown.time().replace(microsecond=0)) == submitted:
                return self.kept
        return super().compress(data_list)

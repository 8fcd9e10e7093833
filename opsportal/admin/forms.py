from django import forms
from django.utils import timezone

from opsportal.models.evidence import phase_validator


class EscalatePhaseForm(forms.Form):
    phase = forms.CharField(initial="phase6", max_length=32, validators=[phase_validator])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why automation is not enforced.")
    text = forms.CharField(
        label="Manual evidence", required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What was checked by hand, by whom, with what result.",
    )
    attachment = forms.FileField(required=False, help_text="Optional file (screenshot, export, report).")


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

    def compress(self, data_list):
        if self.kept is not None and data_list and all(value is not None for value in data_list):
            shown = timezone.localtime(self.kept)
            submitted = (data_list[0], data_list[1].replace(microsecond=0))
            if (shown.date(), shown.time().replace(microsecond=0)) == submitted:
                return self.kept
        return super().compress(data_list)

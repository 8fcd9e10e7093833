from django import forms

from opsportal.models.evidence import phase_validator


class EscalatePhaseForm(forms.Form):
    phase = forms.CharField(initial="phase6", max_length=32, validators=[phase_validator])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why automation is not enforced.")
    text = forms.CharField(
        label="Manual evidence", required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What was checked by hand, by whom, with what result.",
    )
    attachment = forms.FileField(required=False, help_text="Optional file (screenshot, export, report).")

from django import forms
from django.contrib.auth import get_user_model

from incidents.models import Incident, IncidentRole, IncidentStatus, Severity
from incidents.models.incidents import SEVERITY_DESCRIPTIONS
from incidents.services.lifecycle import ALLOWED_TRANSITIONS, TIMESTAMP_FIELDS
from opsportal.form_fields import KeptInstantSplitDateTimeField
from opsportal.models import ApprovalDecision, Project, Service

User = get_user_model()

SEVERITY_HELP = " ".join(f"{level}: {text}" for level, text in SEVERITY_DESCRIPTIONS.items())


def people():
    return User.objects.filter(is_active=True, is_staff=True).order_by("username")


class DeclareIncidentForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.active())
    title = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"class": "vTextField", "size": 80}))
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3, help_text=SEVERITY_HELP)
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.select_related("project"), required=False,
        help_text="Affected services (of the chosen project).",
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    customer_impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    impact_started_at = forms.SplitDateTimeField(required=False, widget=forms.SplitDateTimeWidget,
                                                 help_text="When customers started to feel it, if known.")
    commander = forms.ModelChoiceField(queryset=people(), required=False, help_text="Incident commander.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commander"].queryset = people()


class IncidentChangeForm(forms.ModelForm):
    """The change page: descriptive fields and timestamps (corrections), plus one-shot actions
    (move, severity, note, role) that the admin hands to the services."""

    runbook_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    move_to = forms.ChoiceField(required=False, label="Move to status")
    duplicate_of = forms.ModelChoiceField(queryset=Incident.objects.none(), required=False,
                                          help_text="Only when moving to duplicate.")
    new_severity = forms.ChoiceField(choices=Severity.choices, label="Severity", help_text=SEVERITY_HELP)
    change_reason = forms.CharField(required=False, max_length=2000, label="Reason",
                                    help_text="Why the severity or timestamps change (kept on the timeline).")
    add_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                               help_text="Adds a note to the timeline.")
    assign_role = forms.ChoiceField(choices=[("", "---------"), *IncidentRole.choices], required=False)
    assign_to = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Incident
        fields = ["title", "summary", "customer_impact", "runbook_url", "services", *TIMESTAMP_FIELDS]
        widgets = {name: forms.SplitDateTimeWidget for name in TIMESTAMP_FIELDS}
        field_classes = {name: KeptInstantSplitDateTimeField for name in TIMESTAMP_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        incident = self.instance
        allowed = ALLOWED_TRANSITIONS.get(incident.status, ())
        self.fields["move_to"].choices = [("", "---------")] + [
            (value, IncidentStatus(value).label) for value in allowed
        ]
        querysets = {
            "assign_to": people(),
            "services": Service.objects.filter(project_id=incident.project_id),
            "duplicate_of": Incident.objects.filter(project_id=incident.project_id).exclude(pk=incident.pk),
        }
        for name, queryset in querysets.items():
            if name in self.fields:  # viewers get a form without them
                self.fields[name].queryset = queryset
        self.fields["new_severity"].initial = incident.severity

    def clean(self):
        data = super().clean()
        if data.get("move_to") == IncidentStatus.DUPLICATE and not data.get("duplicate_of"):
            self.add_error("duplicate_of", "Say which incident this one duplicates.")
        if bool(data.get("assign_role")) != bool(data.get("assign_to")):
            self.add_error("assign_to", "Pick both a role and a person.")
        return data


class ChangeSeverityForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices, help_text=SEVERITY_HELP)
    reason = forms.CharField(required=False, max_length=2000)


class ApprovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ApprovalDecision.choices, initial=ApprovalDecision.APPROVE)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

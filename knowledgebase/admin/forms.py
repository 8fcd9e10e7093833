"""Forms of the knowledge base admin."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from knowledgebase.models import Article, ArticleKind, ArticleStatus
from knowledgebase.services import check_base_version


def split_list(value: str) -> list[str]:
    return [item for item in re.split(r"[\s,]+", value or "") if item]


class ArticleAdminForm(forms.ModelForm):
    tags_text = forms.CharField(
        label="Tags", required=False, help_text="Comma- or space-separated, e.g. checkout, payments, on-call."
    )
    alert_names_text = forms.CharField(
        label="Alert names", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Runbooks: the Alertmanager alertname label(s) this runbook answers, one per line.",
    )
    change_note = forms.CharField(
        required=False, max_length=500, help_text="What you changed and why (kept in the revision history)."
    )
    require_recompletion = forms.BooleanField(
        required=False, label="Require re-completion",
        help_text="Training: everyone assigned must complete this new version again.",
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = Article
        fields = ["kind", "title", "slug", "project", "services", "summary", "body", "owner",
                  "review_interval_days"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "kb-editor", "spellcheck": "true"}),
            "summary": forms.Textarea(attrs={"rows": 2, "cols": 100}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "review_interval_days" in self.fields:
            self.fields["review_interval_days"].required = False
            self.fields["review_interval_days"].help_text += " Empty: 90 days for runbooks and procedures, else 180."
        if self.instance.pk:
            self.fields["base_version"].initial = self.instance.version
            self.fields["tags_text"].initial = ", ".join(tag.name for tag in self.instance.tags.all())
            self.fields["alert_names_text"].initial = "\n".join(a.alert_name for a in self.instance.alerts.all())

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            # The admin view runs in one transaction: lock the row now so the save below
            # is based on exactly the version checked here.
            current = Article.objects.select_for_update().get(pk=self.instance.pk)
            try:
                check_base_version(current, cleaned.get("base_version"))
            except ValidationError as exc:  # EditConflict included: shown above the form
                raise ValidationError(exc.message_dict["base_version"]) from exc
        if cleaned.get("require_recompletion") and cleaned.get("kind") != ArticleKind.TRAINING:
            self.add_error("require_recompletion", "Only training articles can require re-completion.")
        return cleaned


class AssignTrainingForm(forms.Form):
    article = forms.ModelChoiceField(
        queryset=Article.objects.filter(kind=ArticleKind.TRAINING, status=ArticleStatus.PUBLISHED),
        help_text="A published training article.",
    )
    users = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"), required=False, help_text="Every active member is assigned.",
    )
    due_on = forms.DateField(help_text="YYYY-MM-DD", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("users") and not cleaned.get("groups"):
            raise ValidationError("Choose at least one user or group.")
        return cleaned

"""Admin of the retros app: retro series with their retros, retros with agenda and notes,
operational reviews with their checklist. Writes go through `retros.services`."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from incidents.admin.action_item_inlines import ActionItemInline, ActionItemSourceAdminMixin
from knowledgebase.markdown import render_markdown
from opsportal.access import scope
from opsportal.admin.archive import ArchivableAdmin
from opsportal.admin.mixins import error_text, pretty_json
from retros import services
from retros.models import ChecklistItem, OperationalReview, RetroSeries, Retrospective, RetroStatus

# --- retro series --------------------------------------------------------------

class RetroInline(admin.TabularInline):
    model = Retrospective
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["sequence", "scheduled_start", "facilitator", "status", "agenda_ready"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facilitator", "project", "series")

    @admin.display(description="agenda", boolean=True)
    def agenda_ready(self, obj):
        return obj.agenda_generated_at is not None


class ScheduleRetrosForm(forms.ModelForm):
    """Add form: runs `schedule_retros`, so the admin obeys the same rules as the command and API."""

    start = forms.CharField(help_text="Date (10:00 local) or date-time, in the project's time zone.")
    count = forms.IntegerField(min_value=1, max_value=260)

    class Meta:
        model = RetroSeries
        fields = ["project", "cadence", "facilitator"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.series, self.created = services.schedule_retros(
                project=cleaned["project"], start=cleaned["start"], cadence=cleaned["cadence"],
                count=cleaned["count"], facilitator=cleaned.get("facilitator"), actor=self.actor,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned

    def _post_clean(self):
        pass  # the service validated and wrote the series; the unsaved instance has nothing to check


@admin.register(RetroSeries)
class RetroSeriesAdmin(ArchivableAdmin, admin.ModelAdmin):
    list_display = ["__str__", "project", "cadence", "local_start", "count", "facilitator", "created_at"]
    list_filter = ["project", "cadence"]
    list_select_related = ["project", "facilitator"]
    search_fields = ["project__name", "project__slug"]
    inlines = [RetroInline]
    readonly_fields = ["project", "cadence", "local_start", "count", "time_zone", "facilitator", "created_by",
                       "created_at", "cadence_json_link"]

    @admin.display(description="first retro (local)", ordering="start")
    def local_start(self, obj):
        return obj.start.astimezone(obj.zone).strftime("%Y-%m-%d %H:%M %Z")

    @admin.display(description="cadence JSON")
    def cadence_json_link(self, obj):
        return format_html('<a href="{}">cadence.json</a>', reverse("retro-series-cadence", args=[obj.pk]))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ScheduleRetrosForm
            form = super().get_form(request, obj, change=change, **kwargs)
            form.actor = request.user
            return form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["project", "cadence", "start", "count", "facilitator"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_form(self, request, form, change):
        if change:
            return form.save(commit=False)
        form.save_m2m = lambda: None
        if not form.created:
            self.message_user(request, f"The same request was scheduled before: {form.series}.", messages.INFO)
        return form.series

    def save_model(self, request, obj, form, change):
        pass  # schedule_retros wrote it (see ScheduleRetrosForm.clean)


# --- retrospectives ------------------------------------------------------------

class CancelRetroForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class RetroActionItemInline(ActionItemInline):
    fk_name = "retrospective"


class ReviewActionItemInline(ActionItemInline):
    fk_name = "review"


@admin.register(Retrospective)
class RetrospectiveAdmin(ActionItemSourceAdminMixin, admin.ModelAdmin):
    action_item_source = "retrospective"
    inlines = [RetroActionItemInline]
    list_display = ["__str__", "project", "series_cadence", "scheduled_start", "facilitator", "status", "missed_flag"]
    list_filter = ["project", "status", "series__cadence", ("missed_flagged_at", admin.EmptyFieldListFilter)]
    list_select_related = ["project", "series", "facilitator"]
    search_fields = ["project__name", "notes"]
    date_hierarchy = "scheduled_start"
    filter_horizontal = ["attendees"]
    actions = ["generate_agenda", "mark_held"]
    fields = ["project", "series", "sequence", "scheduled_start", "facilitator", "attendees", "status",
              "cancel_reason", "held_at", "missed_flagged_at", "agenda", "notes", "notes_preview"]
    readonly_fields = ["project", "series", "sequence", "scheduled_start", "status", "cancel_reason", "held_at",
                       "missed_flagged_at", "agenda", "notes_preview"]

    def has_add_permission(self, request):
        return False  # retros come from schedule_retros

    @admin.display(description="cadence", ordering="series__cadence")
    def series_cadence(self, obj):
        return obj.series.get_cadence_display()

    @admin.display(description="missed", boolean=True)
    def missed_flag(self, obj):
        return obj.missed

    @admin.display(description="agenda")
    def agenda(self, obj):
        if not obj.agenda_markdown:
            return "Not generated yet (built automatically when the retro is due, or use the action)."
        download = reverse("admin:retros_retrospective_agenda", args=[obj.pk])
        return format_html(
            '<p><a href="{}">Download as Markdown</a> (generated {})</p><div class="retro-agenda">{}</div>',
            download, timezone.localtime(obj.agenda_generated_at).strftime("%Y-%m-%d %H:%M"),
            mark_safe(render_markdown(obj.agenda_markdown)),  # sanitized by nh3
        )

    @admin.display(description="notes (rendered)")
    def notes_preview(self, obj):
        return mark_safe(obj.notes_html) if obj.notes_html else "-"  # sanitized on save

    def get_urls(self):
        return [
            path("<int:pk>/agenda.md", self.admin_site.admin_view(self.agenda_download),
                 name="retros_retrospective_agenda"),
            path("<int:pk>/cancel/", self.admin_site.admin_view(self.cancel_view), name="retros_retrospective_cancel"),
        ] + super().get_urls()

    def agenda_download(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        retro = get_object_or_404(scope(Retrospective.objects.select_related("project"), request.user), pk=pk)
        response = HttpResponse(retro.agenda_markdown, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="retro-{retro.project.slug}-{retro.sequence}.md"'
        return response

    def cancel_view(self, request, pk):
        from django.shortcuts import redirect
        from django.template.response import TemplateResponse

        retro = get_object_or_404(scope(Retrospective.objects.all(), request.user), pk=pk)
        if not self.has_change_permission(request, retro):
            raise PermissionDenied
        form = CancelRetroForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.retro_cancel(retro, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, error_text(exc))
            else:
                self.message_user(request, f"{retro} cancelled.", messages.SUCCESS)
                return redirect("admin:retros_retrospective_change", retro.pk)
        context = {**self.admin_site.each_context(request), "title": f"Cancel {retro}", "form": form,
                   "opts": self.model._meta, "original": retro}
        return TemplateResponse(request, "admin/retros/cancel_retro.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}),
                         "cancel_url": reverse("admin:retros_retrospective_cancel", args=[object_id])}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if "notes" in form.changed_data:
            notes = obj.notes
            obj.notes = form.initial.get("notes", "")
            obj.save()  # the facilitator and attendees; notes go through the service
            try:
                services.retro_update_notes(obj, actor=request.user, notes=notes)
            except ValidationError as exc:
                self.message_user(request, error_text(exc), messages.ERROR)
        else:
            obj.save()

    @admin.action(description="Generate (or rebuild) the agenda from current data", permissions=["change"])
    def generate_agenda(self, request, queryset):
        for retro in queryset:
            services.retro_generate_agenda(retro)
        self.message_user(request, f"Agenda built for {queryset.count()} retro(s).", messages.SUCCESS)

    @admin.action(description="Mark held", permissions=["change"])
    def mark_held(self, request, queryset):
        done = 0
        for retro in queryset.filter(status=RetroStatus.SCHEDULED):
            try:
                services.retro_mark_held(retro, actor=request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{retro}: {error_text(exc)}", messages.ERROR)
        self.message_user(request, f"{done} retro(s) marked held.", messages.SUCCESS)


# --- operational reviews -------------------------------------------------------

class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue(timezone.now())
        if self.value() == "no":
            return queryset.not_overdue(timezone.now())
        return queryset


def findings_html(findings) -> str:
    if not findings:
        return "No automatic findings."
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "", "<li><strong>{}</strong> {} {}</li>",
            (
                (
                    finding.get("severity", "info"), finding.get("text", ""),
                    format_html_join(" ", '<a href="{}">{}</a>',
                                     ((link["url"], link.get("label") or link["url"])
                                      for link in finding.get("links", []))),
                )
                for finding in findings
            ),
        ),
    )


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    can_delete = False
    fields = ["activity", "automatic_findings", "note", "done", "done_by", "done_at"]
    readonly_fields = ["activity", "automatic_findings", "done_by", "done_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("done_by", "review")

    @admin.display(description="activity")
    def activity(self, obj):
        return obj.title

    @admin.display(description="automatic findings")
    def automatic_findings(self, obj):
        return findings_html(obj.findings)


@admin.register(OperationalReview)
class OperationalReviewAdmin(ArchivableAdmin, ActionItemSourceAdminMixin, admin.ModelAdmin):
    action_item_source = "review"
    list_display = ["__str__", "project", "cadence", "period_start", "due", "status", "overdue", "open_findings",
                    "completed_by"]
    list_filter = ["project", "cadence", "status", OverdueFilter]
    list_select_related = ["project", "completed_by"]
    search_fields = ["project__name", "project__slug", "decisions"]
    date_hierarchy = "period_start"
    inlines = [ChecklistItemInline, ReviewActionItemInline]
    actions = ["complete_reviews"]
    fields = ["project", "cadence", "period_start", "period_end", "due", "status", "decisions", "summary_pretty",
              "completed_by", "completed_at"]
    readonly_fields = ["project", "cadence", "period_start", "period_end", "due", "status", "summary_pretty",
                       "completed_by", "completed_at"]

    def has_add_permission(self, request):
        return False  # created by the cadence check

    def has_complete_permission(self, request):
        return request.user.has_perm(services.reviews.COMPLETE_PERMISSION)

    def get_queryset(self, request):
        from django.db.models import Count, Q

        return super().get_queryset(request).annotate(
            _open_findings=Count("items", filter=Q(items__done=False) & ~Q(items__findings=[]))
        )

    @admin.display(description="overdue", boolean=True)
    def overdue(self, obj):
        return obj.is_overdue(timezone.now())

    @admin.display(description="open items with findings", ordering="_open_findings")
    def open_findings(self, obj):
        return obj._open_findings

    @admin.display(description="quarter summary")
    def summary_pretty(self, obj):
        return pretty_json(obj.summary) if obj.summary else "-"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != "open":
            return [*self.readonly_fields, "decisions"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if "decisions" in form.changed_data:
            obj.save(update_fields=["decisions"])

    def save_formset(self, request, form, formset, change):
        if formset.model is not ChecklistItem:
            return super().save_formset(request, form, formset, change)  # action items
        review = form.instance
        # The admin's change message reads these; the service does the writing.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for item_form in formset.forms:
            if not item_form.has_changed():
                continue
            item = item_form.instance
            try:
                services.review_update_item(
                    review, key=item.key, actor=request.user,
                    done=item_form.cleaned_data.get("done"), note=item_form.cleaned_data.get("note"),
                )
                formset.changed_objects.append((item, item_form.changed_data))
            except ValidationError as exc:
                self.message_user(request, f"{item}: {error_text(exc)}", messages.ERROR)

    @admin.action(description="Complete the selected reviews (all items done)", permissions=["complete"])
    def complete_reviews(self, request, queryset):
        done = 0
        for review in queryset.select_related("project"):
            try:
                services.review_complete(review, actor=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{review}: {error_text(exc)}", messages.ERROR)
        self.message_user(request, f"{done} review(s) completed.", messages.SUCCESS)

"""SLO admin: compliance at a glance, each window's numbers, tiers, alerts and the review action."""

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from opsportal.access import scope
from opsportal.admin.archive import ArchivableAdmin
from opsportal.admin.mixins import ReadOnlyAdminMixin
from opsportal.admin.scale import (
    LARGE_LIST_PER_PAGE,
    AutocompleteFilter,
    EstimatedCountPaginator,
    RequiredAutocompleteFilter,
    search_exact_first,
)
from opsportal.models import ApprovalDecision, Manifest, Project, ValidationEntry, ValidationResult
from slos import budget
from slos.models import SLO, BurnRateTier, PrometheusAuth, SLIMeasurement, SLOAlert, SLOStatus
from slos.selectors import slo_report, tier_windows
from slos.services import evaluate_all, monitor_slo, slo_review_record, slo_save, tier_set_defaults
from slos.windows import slo_window

BADGE_COLOURS = {
    SLOStatus.PASS: "#2e7d32",
    SLOStatus.FAIL: "#c62828",
    SLOStatus.EXHAUSTED: "#ad1457",
    SLOStatus.NO_DATA: "#757575",
}


def status_badge(status: str, exhausted: bool = False) -> str:
    badge = format_html(
        '<span style="background:{};color:#fff;padding:1px 6px;border-radius:3px;font-weight:bold">{}</span>',
        BADGE_COLOURS.get(status, "#757575"), status,
    )
    if exhausted and status != SLOStatus.EXHAUSTED:
        badge = format_html('{} <span title="error budget exhausted" style="color:#ad1457">budget exhausted</span>',
                            badge)
    return badge


def escalate_url(project_id: int) -> str:
    return reverse("admin:slos_slo_escalate", args=[project_id])


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ApprovalDecision.choices, initial=ApprovalDecision.APPROVE)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              help_text="Required unless approving: what must change.")


class BurnRateTierInline(admin.TabularInline):
    model = BurnRateTier
    extra = 0
    fields = ["name", "severity", "long_window", "short_window", "budget_percent", "factor"]
    readonly_fields = ["factor"]

    @admin.display(description="fires above (burn rate)")
    def factor(self, obj):
        if obj.pk is None or obj.slo_id is None:
            return "-"
        length = slo_window(obj.slo, timezone.now()).length
        return f"{budget.to_decimal(budget.tier_factor(obj.budget_percent, length, obj.long_window), 4)}x"


class SLOAdminForm(forms.ModelForm):
    """The Prometheus token or password is write-only: never rendered back; left blank, it stays."""

    prometheus_secret = forms.CharField(
        label="Prometheus token or password", required=False, strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: leave blank to keep the stored one.",
    )

    # Choices rather than a checkbox and a required select: a form posted without them (scripts,
    # older pages) keeps the defaults instead of turning counters into gauges.
    prometheus_auth = forms.ChoiceField(label="Prometheus authentication", choices=PrometheusAuth.choices,
                                        required=False, initial=PrometheusAuth.NONE)
    counter = forms.TypedChoiceField(
        label="metric kind", choices=[(True, "counters (increase)"), (False, "gauges (averaged)")],
        coerce=lambda value: value in (True, "True", "true", "on", "1"), required=False, empty_value=True,
        initial=True, help_text="For PromQL without $window: counters are increased, gauges averaged.",
    )

    class Meta:
        model = SLO
        fields = "__all__"  # noqa: DJ007 (the ModelAdmin's fieldsets choose the fields)

    def clean_prometheus_auth(self):
        return self.cleaned_data.get("prometheus_auth") or PrometheusAuth.NONE

    def clean_prometheus_secret(self):
        value = self.cleaned_data.get("prometheus_secret")
        return value if value else (self.instance.prometheus_secret if self.instance.pk else "")


@admin.register(SLO)
class SLOAdmin(ArchivableAdmin, admin.ModelAdmin):
    form = SLOAdminForm
    list_display = [
        "name", "service", "objective_display", "window_display", "sli_display", "budget_display", "burn_1h",
        "open_alerts", "status_display",
    ]
    list_filter = ["project", ("service", AutocompleteFilter), "status", "sli_kind", "data_source", "alerting_enabled"]
    list_select_related = ["project", "service", "service__project"]
    search_fields = ["name", "slug", "service__name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner"]
    inlines = [BurnRateTierInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["record_compliance_review", "run_monitor_slo", "evaluate_now"]
    readonly_fields = [
        "status_display", "evaluated_at", "exhausted_at", "next_step", "window_numbers", "recent_alerts",
        "last_pull_at", "last_pull_status", "last_pull_reason", "dashboard_link",
    ]
    fieldsets = [
        (None, {"fields": ["project", "service", "name", "slug", "description", "owner"]}),
        ("Objective", {"fields": ["sli_kind", "threshold_ms", "objective", "window_kind", "window_days", "time_zone",
                                  "budgeting_method", "slice_length", "slice_target", "alerting_enabled"]}),
        ("Compliance now", {"fields": ["status_display", "evaluated_at", "exhausted_at", "next_step",
                                       "window_numbers", "recent_alerts", "dashboard_link"]}),
        ("Data source", {"classes": ["collapse"], "fields": [
            "data_source", "prometheus_url", "prometheus_auth", "prometheus_username", "prometheus_secret",
            "prometheus_tenant", "counter", "promql_good", "promql_bad", "promql_total", "evaluation_interval",
            "labels", "alert_name", "last_pull_at", "last_pull_status", "last_pull_reason"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_open_alert_count()

    @admin.display(description="dashboard")
    def dashboard_link(self, obj):
        if not obj.pk:
            return "-"
        url = reverse("admin:dashboard", args=["slo"]) + f"?project={obj.project.slug}&slo={obj.slug}"
        return format_html('<a href="{}">Burn-down, SLI, burn rates and 13 months of attainment</a>', url)

    # --- list columns: snapshot fields and one annotated count, no query per row ---
    @admin.display(description="objective", ordering="objective")
    def objective_display(self, obj):
        return obj.target_display

    @admin.display(description="window")
    def window_display(self, obj):
        label = obj.window_label
        return f"{label} ({obj.get_budgeting_method_display().split(' ')[0].lower()})"

    @admin.display(description="SLI %", ordering="last_sli")
    def sli_display(self, obj):
        return "-" if obj.last_sli is None else f"{obj.last_sli:.4f}"

    @admin.display(description="budget remaining %", ordering="last_budget_remaining")
    def budget_display(self, obj):
        if obj.last_budget_remaining is None:
            return "-"
        colour = "#c62828" if obj.last_budget_remaining <= 0 else ("#ef6c00" if obj.last_budget_remaining < 25 else "")
        return format_html('<span style="color:{}">{}</span>', colour, f"{obj.last_budget_remaining:.2f}")

    @admin.display(description="1h burn", ordering="last_burn_rate_1h")
    def burn_1h(self, obj):
        return "-" if obj.last_burn_rate_1h is None else f"{obj.last_burn_rate_1h:.2f}x"

    @admin.display(description="open alerts", ordering="open_alert_count")
    def open_alerts(self, obj):
        count = getattr(obj, "open_alert_count", None)
        if not count:
            return 0
        url = reverse("admin:slos_sloalert_changelist") + f"?slo__id__exact={obj.pk}&open=yes"
        return format_html('<a href="{}" style="color:#c62828;font-weight:bold">{}</a>', url, count)

    @admin.display(description="status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, exhausted=obj.exhausted_at is not None)

    # --- change page: live numbers ---
    @admin.display(description="next step")
    def next_step(self, obj):
        if obj.pk is None:
            return "-"
        failed = obj.status in (SLOStatus.FAIL, SLOStatus.EXHAUSTED) or obj.exhausted_at is not None
        if not failed:
            return "-"
        return format_html(
            'This SLO is failing. <a href="{}">Escalate phase (automation not enforced)</a> after investigating.',
            escalate_url(obj.project_id),
        )

    @admin.display(description="windows (computed now)")
    def window_numbers(self, obj):
        if obj.pk is None:
            return "-"
        report = slo_report(obj, extra_windows=tier_windows(obj))
        rows = [report.full, *report.windows.values()]
        body = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    w.label, w.totals.good, w.totals.total,
                    "NO_DATA" if w.sli is None else f"{budget.to_percent(w.sli)}%",
                    "-" if w.budget_remaining is None else f"{budget.to_percent(w.budget_remaining, 2)}%",
                    "-" if w.burn_rate is None else f"{budget.to_decimal(w.burn_rate, 2)}x",
                )
                for w in rows
            ),
        )
        return format_html(
            "<table><tr><th>window</th><th>good</th><th>total</th><th>SLI</th><th>budget remaining</th>"
            "<th>burn rate</th></tr>{}</table><p>Status now: {} (window since {} {})</p>",
            body, status_badge(report.status),
            report.window.start.astimezone(zoneinfo.ZoneInfo(obj.zone_name)).strftime("%Y-%m-%d %H:%M"), obj.zone_name,
        )

    @admin.display(description="recent alerts")
    def recent_alerts(self, obj):
        if obj.pk is None:
            return "-"
        alerts = list(obj.alerts.all()[:10])
        if not alerts:
            return "No burn-rate alert yet."
        return format_html(
            "<table><tr><th>tier</th><th>severity</th><th>fired</th><th>resolved</th><th>burn long/short</th>"
            "<th>incident</th></tr>{}</table>",
            format_html_join(
                "", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{}x / {}x (&gt; {}x)</td><td>{}</td></tr>",
                (
                    (
                        reverse("admin:slos_sloalert_change", args=[a.pk]), a.tier_name, a.severity,
                        f"{a.fired_at:%Y-%m-%d %H:%M}",
                        "open" if a.resolved_at is None else f"{a.resolved_at:%Y-%m-%d %H:%M}",
                        a.long_burn_rate, a.short_burn_rate, a.factor, a.incident_id or "-",
                    )
                    for a in alerts
                ),
            ),
        )

    # --- writes go through services ---
    def save_model(self, request, obj, form, change):
        slo_save(slo=obj, actor=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not form.instance.tiers.exists():
            tier_set_defaults(slo=form.instance)

    # --- actions ---
    def has_decide_permission(self, request):
        return request.user.has_perm("opsportal.decide_approval")

    def has_check_permission(self, request):
        return request.user.has_perms(["slos.change_slo", "opsportal.add_evidencerecord"])

    @admin.action(description="Record SLO compliance review", permissions=["decide"])
    def record_compliance_review(self, request, queryset):
        slos = list(queryset.select_related("project", "service", "owner"))
        form = ReviewForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            approvals, refusals = slo_review_record(
                slos=slos, approver=request.user, decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
            if approvals:
                self.message_user(request, f"Recorded {len(approvals)} SLO compliance review(s).", messages.SUCCESS)
            for slo, reason in refusals:
                self.message_user(request, f"{slo}: {reason}", messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request), "title": "Record SLO compliance review", "slos": slos,
            "form": form, "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/slos/review.html", context)

    @admin.action(description="Run monitor_slo for these SLOs' projects", permissions=["check"])
    def run_monitor_slo(self, request, queryset):
        projects = Project.objects.filter(pk__in=queryset.values("project_id")).order_by("slug")
        for project in projects:
            result = monitor_slo(project, actor=request.user)
            if result.failed:
                names = ", ".join(check.slo.slug for check in result.failed)
                self.message_user(request, format_html(
                    'SLO check (monitor_slo) of {}: FAIL ({}). <a href="{}">Next step: escalate phase</a>',
                    project.slug, names, escalate_url(project.pk)), messages.ERROR)
            else:
                summary = f"SLO check (monitor_slo) of {project.slug}: PASS ({len(result.checks)} SLOs)"
                self.message_user(request, summary, messages.SUCCESS)

    @admin.action(description="Evaluate now (status, budget policy, burn-rate alerts)", permissions=["change"])
    def evaluate_now(self, request, queryset):
        outcome = {"evaluated": 0, "failed": 0}
        for project in Project.objects.filter(pk__in=queryset.values("project_id")):
            part = evaluate_all(project=project)
            outcome = {key: outcome[key] + part[key] for key in outcome}
        self.message_user(request, f"Evaluated {outcome['evaluated']} SLO(s), {outcome['failed']} failed.")

    # --- the failed check's next step ---
    def get_urls(self):
        extra = [path("escalate/<int:project_id>/", self.admin_site.admin_view(self.escalate_view),
                      name="slos_slo_escalate")]
        return extra + super().get_urls()

    def escalate_view(self, request, project_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        project = get_object_or_404(scope(Project.objects.all(), request.user), pk=project_id)
        manifest = Manifest.objects.filter(project=project).first()
        checks = (manifest.phases.get("phase6", {}).get("checks", {}) if manifest else {})
        failed_ids = [c["entry_id"] for name, c in checks.items()
                      if name.startswith("slo.") and c.get("result") == ValidationResult.FAIL]
        context = {
            **self.admin_site.each_context(request), "title": f"Failed SLO checks of {project}",
            "project": project, "opts": self.model._meta,
            "failed": ValidationEntry.objects.filter(pk__in=failed_ids).order_by("check_name"),
            "can_escalate": request.user.has_perm("opsportal.add_evidencerecord", project),
        }
        return TemplateResponse(request, "admin/slos/escalate.html", context)


class OpenAlertFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open"), ("no", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.open()
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(SLOAlert)
class SLOAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    list_display = ["fired_at", "slo", "tier_name", "severity", "long_burn_rate", "short_burn_rate", "factor",
                    "resolved_at", "incident_link"]
    list_filter = [OpenAlertFilter, "severity", "slo__project", ("slo", AutocompleteFilter)]
    list_select_related = ["slo", "slo__project"]
    date_hierarchy = "fired_at"
    search_fields = ["slo__name", "slo__slug", "tier_name"]
    get_search_results = search_exact_first
    search_number_fields = ["id"]

    @admin.display(description="incident")
    def incident_link(self, obj):
        if not obj.incident_id:
            return "-"
        return format_html('<a href="/admin/incidents/incident/{}/change/">#{}</a>', obj.incident_id, obj.incident_id)


@admin.register(SLIMeasurement)
class SLIMeasurementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: measurements arrive through the API (or the Prometheus pull), never by hand."""

    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    list_display = ["slo", "start", "end", "good", "total", "bad_display", "updated_at"]
    list_filter = ["slo__project", ("slo", RequiredAutocompleteFilter)]  # one SLO at a time, from its page
    list_select_related = ["slo", "slo__project"]
    show_full_result_count = False
    list_per_page = LARGE_LIST_PER_PAGE  # rendering 100 rows of many columns was most of the page's time
    date_hierarchy = "start"  # (slo, start) index: newest rows of the chosen SLO
    ordering = ["slo_id", "-start"]  # by the column: "slo" would sort by the SLO's names through joins

    @admin.display(description="bad")
    def bad_display(self, obj):
        return obj.bad

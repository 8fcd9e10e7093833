"""Article admin: Markdown editor with a sanitized preview, actions, stale filter, history and diff."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from knowledgebase import search, services
from knowledgebase.admin.forms import ArticleAdminForm, split_list
from knowledgebase.markdown import highlight_css, render_markdown_with_toc
from knowledgebase.models import Article, ArticleKind, ArticleStatus, Tag, default_review_interval
from knowledgebase.selectors import revision_diff
from knowledgebase.structure import missing_runbook_sections, starting_body
from opsportal.access import scope
from opsportal.admin.archive import ArchivableAdmin
from opsportal.admin.mixins import error_text


class ReviewStateFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("stale", "Stale (review overdue)"), ("fresh", "Reviewed within interval")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "stale":
            return queryset.stale(now)
        if self.value() == "fresh":
            return queryset.fresh(now)
        return queryset


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Article)
class ArticleAdmin(ArchivableAdmin, admin.ModelAdmin):
    form = ArticleAdminForm
    change_form_template = "admin/knowledgebase/article/change_form.html"
    list_display = ["title", "kind", "project", "status", "owner", "version", "last_reviewed_at", "review_state"]
    list_filter = [ReviewStateFilter, "kind", "status", "project", "tags"]
    list_select_related = ["project", "owner"]
    search_fields = ["title", "summary", "body"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["services"]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["publish_action", "mark_reviewed_action"]  # archive/restore: ArchivableAdmin (Managers)
    readonly_fields = ["status", "version", "published_at", "last_reviewed_at", "last_reviewed_by",
                       "review_due_at", "revisions_link"]
    # Content comes last so the editor sits right above the preview and the Preview button.
    fieldsets = [
        (None, {"fields": ["kind", "title", "slug", "project", "services", "owner", "tags_text"]}),
        ("Runbook and training", {"fields": ["alert_names_text", "require_recompletion"]}),
        ("Review", {"classes": ["collapse"], "fields": [
            "review_interval_days", "status", "version", "published_at", "last_reviewed_at", "last_reviewed_by",
            "review_due_at", "revisions_link"]}),
        ("Content", {"fields": ["summary", "body", "change_note", "base_version"]}),
    ]

    # What people without the change permission see instead of the editor.
    view_fieldsets = [
        (None, {"fields": ["kind", "title", "slug", "project", "services", "owner", "tag_list", "alert_list"]}),
        ("Review", {"fields": ["status", "version", "published_at", "last_reviewed_at", "last_reviewed_by",
                               "review_due_at", "review_interval_days", "revisions_link"]}),
        ("Content", {"fields": ["summary", "rendered_body"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.view_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "tag_list", "alert_list", "rendered_body"]

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(tag.name for tag in obj.tags.all()) or "–"

    @admin.display(description="alert names")
    def alert_list(self, obj):
        return ", ".join(alert.alert_name for alert in obj.alerts.all()) or "–"

    @admin.display(description="body")
    def rendered_body(self, obj):
        return mark_safe(f'<div class="kb-preview">{obj.toc_html}{obj.body_html}</div>')  # sanitized on save

    def get_search_results(self, request, queryset, search_term):
        """Full-text search, best matches first unless the user sorted by a column."""
        if not search_term.strip() or search.search_backend() == "contains":
            return super().get_search_results(request, queryset, search_term)
        results = search.search_articles(queryset, search_term)
        if "o" in request.GET:
            results = results.order_by(*queryset.query.order_by)
        return results, False

    @admin.display(description="review")
    def review_state(self, obj):
        if obj.status != ArticleStatus.PUBLISHED or obj.review_due_at is None:
            return "–"
        if obj.is_stale(timezone.now()):
            return format_html('<strong style="color:#ba2121">stale since {}</strong>',
                               timezone.localtime(obj.review_due_at).strftime("%Y-%m-%d"))
        return f"due {timezone.localtime(obj.review_due_at):%Y-%m-%d}"

    @admin.display(description="history")
    def revisions_link(self, obj):
        if not obj.pk:
            return "–"
        return format_html('<a href="{}">{} revision(s): history and diff</a>',
                           reverse("admin:knowledgebase_article_revisions", args=[obj.pk]), obj.version)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        kind = initial.get("kind") or ArticleKind.RUNBOOK
        initial.setdefault("kind", kind)
        initial.setdefault("body", starting_body(kind))
        initial.setdefault("review_interval_days", default_review_interval(kind))
        initial.setdefault("owner", request.user.pk)
        return initial

    # --- editing with preview ------------------------------------------------

    def _previewing(self, request) -> bool:
        return request.method == "POST" and "_preview" in request.POST

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if not self._previewing(request):
            return form_class

        class PreviewForm(form_class):
            """Validates (errors and conflicts show) but never counts as valid, so nothing is saved."""

            def is_valid(self):
                super().is_valid()
                return False

        return PreviewForm

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["kb_highlight_css"] = highlight_css()
        if self._previewing(request):
            body = request.POST.get("body", "")
            html, toc = render_markdown_with_toc(body)
            warnings = []
            if request.POST.get("kind") == ArticleKind.RUNBOOK:
                missing = missing_runbook_sections(body)
                if missing:
                    warnings.append(f"Before publishing, add the runbook sections: {', '.join(missing)}.")
                if not split_list(request.POST.get("alert_names_text", "")):
                    warnings.append("Before publishing, name the alert(s) this runbook answers.")
            context["kb_preview"] = {"html": html, "toc": toc, "warnings": warnings}
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            "kind": data["kind"], "title": data["title"], "slug": data["slug"], "summary": data.get("summary", ""),
            "body": data.get("body", ""), "project": data.get("project"), "owner": data.get("owner"),
            "review_interval_days": data.get("review_interval_days") or default_review_interval(data["kind"]),
        }
        related = {
            "services": list(data.get("services") or []),
            "tags": split_list(data.get("tags_text", "")),
            "alert_names": split_list(data.get("alert_names_text", "")),
        }
        if change:
            article = services.article_update(
                article=obj, actor=request.user, base_version=data.get("base_version"),
                change_note=data.get("change_note", ""), require_recompletion=data.get("require_recompletion", False),
                **fields, **related,
            )
        else:
            article = services.article_create(actor=request.user, change_note=data.get("change_note", ""),
                                              **fields, **related)
        obj.pk, obj.version = article.pk, article.version

    def save_related(self, request, form, formsets, change):
        """Services, tags and alert names were saved by the service in save_model."""

    def delete_model(self, request, obj):
        services.article_delete(article=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            services.article_delete(article=article, actor=request.user)

    # --- actions -------------------------------------------------------------

    def _run_action(self, request, queryset, service, verb: str):
        done, failed = [], []
        for article in queryset:
            try:
                with transaction.atomic():
                    service(article=article, actor=request.user)
                done.append(article.title)
            except (ValidationError, PermissionDenied) as exc:
                failed.append(f"{article.title}: {error_text(exc)}")
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)
        for failure in failed:
            self.message_user(request, f"Not {verb.lower()}: {failure}", messages.ERROR)

    @admin.action(description="Publish selected articles", permissions=["change"])
    def publish_action(self, request, queryset):
        self._run_action(request, queryset, services.article_publish, "Published")

    @admin.action(description="Mark selected articles reviewed", permissions=["change"])
    def mark_reviewed_action(self, request, queryset):
        self._run_action(request, queryset, services.article_mark_reviewed, "Marked reviewed")

    # --- history, diff and restore -------------------------------------------

    def get_urls(self):
        own = [
            path("<int:object_id>/revisions/", self.admin_site.admin_view(self.revisions_view),
                 name="knowledgebase_article_revisions"),
            path("<int:object_id>/revisions/diff/", self.admin_site.admin_view(self.diff_view),
                 name="knowledgebase_article_diff"),
            path("<int:object_id>/revisions/<int:number>/restore/", self.admin_site.admin_view(self.restore_view),
                 name="knowledgebase_article_restore"),
        ]
        return own + super().get_urls()

    def _article_for(self, request, object_id, *, change=False) -> Article:
        article = get_object_or_404(scope(Article.objects.select_related("project", "owner"), request.user),
                                    pk=object_id)
        allowed = self.has_change_permission(request, article) if change else self.has_view_or_change_permission(
            request, article)
        if not allowed:
            raise PermissionDenied
        return article

    def _context(self, request, article, title):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "original": article,
                "title": title, "subtitle": article.title,
                "has_change_permission": self.has_change_permission(request, article)}

    def revisions_view(self, request, object_id):
        article = self._article_for(request, object_id)
        revisions = list(article.revisions.select_related("author"))
        events = list(article.events.select_related("actor")[:50])
        context = {**self._context(request, article, f"History of {article.title}"),
                   "revisions": revisions, "events": events}
        return TemplateResponse(request, "admin/knowledgebase/article/revisions.html", context)

    def diff_view(self, request, object_id):
        article = self._article_for(request, object_id)
        numbers = {}
        for name, default in (("from", max(article.version - 1, 1)), ("to", article.version)):
            raw = request.GET.get(name, default)
            try:
                numbers[name] = int(raw)
            except (TypeError, ValueError):
                numbers[name] = default
        revisions = {r.number: r for r in article.revisions.filter(number__in=numbers.values()).select_related(
            "author")}
        old, new = revisions.get(numbers["from"]), revisions.get(numbers["to"])
        if old is None or new is None:
            self.message_user(request, "Choose two existing revisions to compare.", messages.ERROR)
            return redirect("admin:knowledgebase_article_revisions", object_id=article.pk)
        lines = revision_diff(old, new)
        context = {**self._context(request, article, f"Changes from v{old.number} to v{new.number}"),
                   "old": old, "new": new, "lines": lines,
                   "added": sum(line.kind == "added" for line in lines),
                   "removed": sum(line.kind == "removed" for line in lines)}
        return TemplateResponse(request, "admin/knowledgebase/article/diff.html", context)

    def restore_view(self, request, object_id, number):
        article = self._article_for(request, object_id, change=True)
        if request.method != "POST":
            return redirect("admin:knowledgebase_article_revisions", object_id=article.pk)
        try:
            article = services.article_restore_revision(
                article=article, number=number, actor=request.user, base_version=request.POST.get("base_version"),
            )
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return redirect("admin:knowledgebase_article_revisions", object_id=article.pk)
        self.message_user(request, f"Restored revision {number} as version {article.version}.", messages.SUCCESS)
        return redirect("admin:knowledgebase_article_change", object_id=article.pk)

from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.base import ModelBase
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from opsportal.registry import app_modules


class SearchCountLimitAdmin:
    """Mixed into every ModelAdmin whose paginator `takes_search_limit` (EstimatedCountPaginator): a
    searched changelist counts exactly only up to OPSPORTAL_ADMIN_SEARCH_EXACT_COUNT_LIMIT rows."""

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if request.GET.get(SEARCH_VAR, "").strip():
            from opsportal.admin.scale import search_exact_count_limit

            return self.paginator(queryset, per_page, orphans, allow_empty_first_page,
                                  exact_limit=search_exact_count_limit())
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)


def estimated_count_admin(admin_class):
    if not getattr(admin_class.paginator, "takes_search_limit", False) or issubclass(admin_class,
                                                                                      SearchCountLimitAdmin):
        return admin_class
    return type(admin_class.__name__, (SearchCountLimitAdmin, admin_class), {"__module__": admin_class.__module__})


class OpsPortalAdminSite(admin.AdminSite):
    site_header = "OpsPortal"
    site_title = "OpsPortal"
    index_title = "Operations overview"
    site_url = "/kb/"  # "View site" opens the knowledge base readers use

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin of a project-scoped model gets per-project scoping (opsportal/access/admin.py),
        and every admin of an unbounded table the search-aware count limit (opsportal/admin/scale)."""
        from opsportal.access.admin import scoped_admin

        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            admin_class = estimated_count_admin(admin_class or admin.ModelAdmin)
            super().register(model, scoped_admin(admin_class, model), **options)

    def dashboard_panels(self, request) -> list[dict]:
        """Panels for the admin home, from every app's `dashboard.panels(request)`.

        A panel is `{"title": str, "rows": [{"label", "url", "detail"}], "empty": str, "order": int}`.
        """
        panels = []
        for module in app_modules("dashboard"):
            panels.extend(module.panels(request) or [])
        return sorted(panels, key=lambda panel: panel.get("order", 100))

    def autocomplete_view(self, request):
        # Autocomplete list filters (opsportal.admin.scale) need it for users whom only the filtered list shows.
        from opsportal.admin.scale import ListFilterAutocompleteJsonView

        return ListFilterAutocompleteJsonView.as_view(admin_site=self)(request)

    def index(self, request, extra_context=None):
        from opsportal.dashboards import registered
        from opsportal.home_strip import home_strip

        extra_context = {
            **(extra_context or {}),
            "dashboard_panels": self.dashboard_panels(request),
            "home_strip": home_strip(request),
            "dashboards": [d for d in registered().values() if not d.permission or request.user.has_perm(d.permission)],
        }
        return super().index(request, extra_context)

    def get_urls(self):
        # Dashboards (docs/dashboards.md): /admin/dashboards/<slug>/, before the model admins' catch-all.
        urls = [path("dashboards/<slug:slug>/", self.admin_view(self.dashboard_view), name="dashboard")]
        return urls + super().get_urls()

    def dashboard_view(self, request, slug):
        from opsportal.dashboards import dashboard_payload, registered, visible_projects

        dashboard = registered().get(slug)
        if dashboard is None:
            raise Http404("No such dashboard.")
        if dashboard.permission and not request.user.has_perm(dashboard.permission):
            raise PermissionDenied
        projects = list(visible_projects(request.user))
        wanted = request.GET.get("project")
        project = next((p for p in projects if p.slug == wanted), None) if wanted else (projects[:1] or [None])[0]
        if wanted and project is None:
            raise Http404("No such project.")
        context = {
            **self.each_context(request), "title": dashboard.title, "dashboard": dashboard, "projects": projects,
            "project": project, "params": request.GET, "errors": {}, "charts": [], "tables": [], "data": None,
        }
        status = 200
        if project is not None:
            try:
                data = dashboard_payload(dashboard, project=project, params=request.GET, now=timezone.now())
            except ValidationError as exc:
                context["errors"] = exc.message_dict
                status = 400
            else:
                context.update(data=data, charts=dashboard.charts(data),
                               tables=dashboard.tables(data) if dashboard.tables else [])
        return TemplateResponse(request, "admin/opsportal/dashboard.html", context, status=status)

from django.contrib import admin
from django.db.models.base import ModelBase

from opsportal.registry import app_modules


class OpsPortalAdminSite(admin.AdminSite):
    site_header = "OpsPortal"
    site_title = "OpsPortal"
    index_title = "Operations overview"
    site_url = "/kb/"  # "View site" opens the knowledge base readers use

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin of a project-scoped model gets per-project scoping (opsportal/access/admin.py)."""
        from opsportal.access.admin import scoped_admin

        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            super().register(model, scoped_admin(admin_class or admin.ModelAdmin, model), **options)

    def dashboard_panels(self, request) -> list[dict]:
        """Panels for the admin home, from every app's `dashboard.panels(request)`.

        A panel is `{"title": str, "rows": [{"label", "url", "detail"}], "empty": str, "order": int}`.
        """
        panels = []
        for module in app_modules("dashboard"):
            panels.extend(module.panels(request) or [])
        return sorted(panels, key=lambda panel: panel.get("order", 100))

    def get_urls(self):
        # Apps add admin pages (dashboards) with `<app>/admin_urls.py`: `urlpatterns(site) -> list`.
        extra = []
        for module in app_modules("admin_urls"):
            extra += module.urlpatterns(self)
        return extra + super().get_urls()

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "dashboard_panels": self.dashboard_panels(request)}
        return super().index(request, extra_context)

from django.contrib import admin

from opsportal.registry import app_modules


class OpsPortalAdminSite(admin.AdminSite):
    site_header = "OpsPortal"
    site_title = "OpsPortal"
    index_title = "Operations overview"
    site_url = "/kb/"  # "View site" opens the knowledge base readers use

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
        extra_context = {**(extra_context or {}), "dashboard_panels": self.dashboard_panels(request)}
        return super().index(request, extra_context)

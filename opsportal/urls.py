from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from opsportal.downloads import evidence_attachment
from opsportal.health import healthz, healthz_live, healthz_ready
from opsportal.observability.metrics import metrics
from opsportal.registry import app_modules

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    # Readers of /kb/ need not be staff: a plain login that looks like the admin's.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            extra_context={"site_header": "OpsPortal", "site_title": "OpsPortal", "title": "Log in"},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("opsportal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("healthz/live", healthz_live, name="healthz-live"),
    path("healthz/ready", healthz_ready, name="healthz-ready"),
    path("metrics", metrics, name="metrics"),
    # MEDIA_URL: evidence files, only through this authenticated view (never served as files).
    path("evidence/files/<path:name>", evidence_attachment, name="evidence-attachment"),
]

# Apps with pages outside the admin (for example /kb/) ship `<app>/urls.py`.
for module in app_modules("urls"):
    if module.__name__ != __name__:
        urlpatterns.append(path("", include(module)))

# No static() route serving MEDIA_ROOT, in debug or not: uploaded evidence is sent only by the
# authenticated download view above, as an attachment.

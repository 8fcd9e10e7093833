"""`/api/v1/`: the core's routes plus every app's `<app>.api.urls.register(router)`."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from opsportal.api import views
from opsportal.api.dashboards import DashboardView
from opsportal.registry import app_modules

router = DefaultRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("services", views.ServiceViewSet, basename="service")
router.register("evidence", views.EvidenceRecordViewSet, basename="evidence")
router.register("validation-log", views.ValidationEntryViewSet, basename="validation-entry")
router.register("approvals", views.ApprovalViewSet, basename="approval")

extra_urlpatterns = [
    path("projects/<slug:slug>/dashboards/<slug:name>/", DashboardView.as_view(), name="project-dashboard"),
]
for module in app_modules("api.urls"):
    if module.__name__ == __name__:
        continue
    module.register(router)
    extra_urlpatterns += getattr(module, "urlpatterns", [])

urlpatterns = extra_urlpatterns + router.urls

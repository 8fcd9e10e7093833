from django.urls import path

from capacity.api.views import PerformanceDashboardView, PerformanceSamplesView, ResourceViewSet


def register(router):
    router.register("resources", ResourceViewSet, basename="resource")


urlpatterns = [
    path("services/<int:pk>/performance-samples/", PerformanceSamplesView.as_view(),
         name="service-performance-samples"),
    path("projects/<slug:slug>/dashboards/performance/", PerformanceDashboardView.as_view(),
         name="project-dashboard-performance"),
]

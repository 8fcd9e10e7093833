from django.urls import path

from dependencies.api.views import (
    ComponentViewSet,
    DependencyFindingViewSet,
    DependencyScanView,
    DependencySummaryView,
)


def register(router):
    router.register("dependency-findings", DependencyFindingViewSet, basename="dependency-finding")
    router.register("components", ComponentViewSet, basename="component")


urlpatterns = [
    path("services/<int:pk>/dependency-scans/", DependencyScanView.as_view(), name="service-dependency-scans"),
    path("projects/<slug:slug>/dependency-summary/", DependencySummaryView.as_view(),
         name="project-dependency-summary"),
]

from django.urls import path

from slos.api.openslo import OpenSLOView
from slos.api.views import SLOAlertViewSet, SLOCheckView, SLOViewSet


def register(router):
    router.register("slos", SLOViewSet, basename="slo")
    router.register("slo-alerts", SLOAlertViewSet, basename="slo-alert")


urlpatterns = [
    path("projects/<slug:slug>/slo-checks/", SLOCheckView.as_view(), name="project-slo-checks"),
    path("projects/<slug:slug>/openslo/", OpenSLOView.as_view(), name="project-openslo"),
]

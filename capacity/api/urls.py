from django.urls import path

from capacity.api.views import PerformanceSamplesView, ResourceViewSet


def register(router):
    router.register("resources", ResourceViewSet, basename="resource")


urlpatterns = [
    path("services/<int:pk>/performance-samples/", PerformanceSamplesView.as_view(),
         name="service-performance-samples"),
]

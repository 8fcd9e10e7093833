from django.urls import path

from retros.api import views


def register(router):
    router.register("retro-series", views.RetroSeriesViewSet, basename="retro-series")
    router.register("retros", views.RetrospectiveViewSet, basename="retrospective")
    router.register("reviews", views.OperationalReviewViewSet, basename="operational-review")


urlpatterns = [
    path("projects/<slug:slug>/retro-schedules/", views.RetroScheduleCreateView.as_view(), name="retro-schedules"),
    path("retro-series/<int:pk>/cadence.json", views.RetroCadenceView.as_view(), name="retro-series-cadence"),
]

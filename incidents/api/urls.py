from django.urls import path

from incidents.api.alertmanager import AlertmanagerWebhookView
from incidents.api.views import IncidentViewSet

urlpatterns = [
    path("alerts/alertmanager/", AlertmanagerWebhookView.as_view(), name="alertmanager-webhook"),
]


def register(router):
    router.register("incidents", IncidentViewSet, basename="incident")
    register_postmortems(router)


def register_postmortems(router):
    """Issue 5: postmortems and action items (called from `register`)."""
    from incidents.api.postmortems import ActionItemViewSet, PostmortemViewSet

    router.register("postmortems", PostmortemViewSet, basename="postmortem")
    router.register("action-items", ActionItemViewSet, basename="action-item")

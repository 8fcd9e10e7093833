from django.urls import path

from incidents.api.alertmanager import AlertmanagerWebhookView
from incidents.api.views import IncidentViewSet

urlpatterns = [
    path("alerts/alertmanager/", AlertmanagerWebhookView.as_view(), name="alertmanager-webhook"),
]


def register(router):
    router.register("incidents", IncidentViewSet, basename="incident")

from django.urls import path

from oncall.views import acknowledge_link

urlpatterns = [
    path("oncall/ack/<str:token>/", acknowledge_link, name="oncall-ack"),
]

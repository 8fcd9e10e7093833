from django.urls import path

from experience.api.views import ApdexView, FeedbackView, ScoresView, SurveyResponsesView


def register(router):
    """No viewsets: the intake endpoints are per project (below); the dashboard twin is the core's."""


urlpatterns = [
    path("projects/<slug:slug>/survey-responses/", SurveyResponsesView.as_view(), name="project-survey-responses"),
    path("projects/<slug:slug>/feedback/", FeedbackView.as_view(), name="project-feedback"),
    path("projects/<slug:slug>/apdex/", ApdexView.as_view(), name="project-apdex"),
    path("projects/<slug:slug>/experience/scores/", ScoresView.as_view(), name="project-experience-scores"),
]

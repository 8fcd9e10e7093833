"""Reader pages of the knowledge base at /kb/ (login required)."""

from django.urls import path

from knowledgebase import views

app_name = "knowledgebase"

urlpatterns = [
    path("kb/", views.article_list, name="list"),
    path("kb/<slug:slug>/", views.article_detail, name="article"),
    path("kb/<slug:slug>/complete/", views.training_complete_view, name="complete"),
]

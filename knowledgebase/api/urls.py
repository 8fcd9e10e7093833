from knowledgebase.api import views


def register(router):
    router.register("articles", views.ArticleViewSet, basename="article")
    router.register("runbooks", views.RunbookViewSet, basename="runbook")
    router.register("training-assignments", views.TrainingAssignmentViewSet, basename="training-assignment")

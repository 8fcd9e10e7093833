"""Admin home panels: stale documentation and overdue training."""

from django.urls import reverse
from django.utils import timezone

from knowledgebase.models import Article, TrainingAssignment
from opsportal.access import scope

ROWS = 8


def panels(request) -> list[dict]:
    user = request.user
    now = timezone.now()
    result = []
    if user.has_perm("knowledgebase.view_article"):
        stale = scope(Article.objects.stale(now), user).select_related("project", "owner").order_by(
            "review_due_at")[:ROWS]
        result.append({
            "title": "Stale documentation",
            "order": 60,
            "empty": "All published articles are reviewed within their interval.",
            "rows": [
                {"label": article.title,
                 "url": reverse("admin:knowledgebase_article_change", args=[article.pk]),
                 "detail": f"due {timezone.localtime(article.review_due_at):%Y-%m-%d}"
                           f" · {article.owner.get_username() if article.owner_id else 'no owner'}"}
                for article in stale
            ],
        })
    if user.has_perm("knowledgebase.view_trainingassignment"):
        overdue = scope(TrainingAssignment.objects.overdue(timezone.localdate(now)), user).select_related(
            "article", "user").order_by("due_on", "id")[:ROWS]
        result.append({
            "title": "Overdue training",
            "order": 61,
            "empty": "No overdue training.",
            "rows": [
                {"label": f"{a.user.get_username()}: {a.article.title}",
                 "url": reverse("admin:knowledgebase_trainingassignment_change", args=[a.pk]),
                 "detail": f"due {a.due_on:%Y-%m-%d}"}
                for a in overdue
            ],
        })
    return result

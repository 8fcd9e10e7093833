"""What operational reviews should look at from the knowledge base.

Weekly `incident_review`: stale runbooks (responders may follow wrong steps).
Monthly `training_updates`: stale articles, overdue training, training changed in the period.
"""

from django.urls import reverse
from django.utils import timezone

from knowledgebase.models import Article, ArticleKind, TrainingAssignment

LIST_LIMIT = 10


def _article_links(articles) -> list[dict]:
    return [{"label": a.title, "url": reverse("admin:knowledgebase_article_change", args=[a.pk])} for a in articles]


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    now = now or timezone.now()
    articles = Article.objects.for_project(project)
    result = []
    if cadence == "weekly":
        stale_runbooks = list(articles.runbooks().stale(now).order_by("review_due_at")[:LIST_LIMIT])
        if stale_runbooks:
            result.append({
                "item": "incident_review", "severity": "warning",
                "text": f"{len(stale_runbooks)} runbook(s) are past their review date; responders may follow "
                        "outdated steps.",
                "links": _article_links(stale_runbooks),
            })
    if cadence == "monthly":
        stale = list(articles.stale(now).order_by("review_due_at")[:LIST_LIMIT])
        if stale:
            result.append({
                "item": "training_updates", "severity": "warning",
                "text": f"{articles.stale(now).count()} article(s) need review (stale documentation).",
                "links": _article_links(stale),
            })
        today = timezone.localdate(now)
        overdue = TrainingAssignment.objects.overdue(today).filter(article__in=articles)
        overdue_count = overdue.count()
        if overdue_count:
            result.append({
                "item": "training_updates", "severity": "critical" if overdue_count >= 5 else "warning",
                "text": f"{overdue_count} training assignment(s) are overdue.",
                "links": [{"label": "Overdue training",
                           "url": reverse("admin:knowledgebase_trainingassignment_changelist") + "?state=overdue"}],
            })
        updated = list(articles.filter(kind=ArticleKind.TRAINING, revisions__created_at__gte=period_start,
                                       revisions__created_at__lt=period_end).distinct()[:LIST_LIMIT])
        if updated:
            result.append({
                "item": "training_updates", "severity": "info",
                "text": f"{len(updated)} training article(s) were updated in this period.",
                "links": _article_links(updated),
            })
    return result

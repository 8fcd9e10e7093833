"""Quality gates read from the knowledge base.

- `documentation_current` ("Documentation maintained and current"): the
  project's published articles, its own and organisation-wide, include none
  past its review date.
- `incident_procedures` ("Incident response procedures documented"): at least
  one published incident procedure and one published runbook apply to the project.
- `knowledge_accessible` ("Operational knowledge documented and accessible"):
  published runbooks that name their alerts (so incidents find them) and at
  least one other published article (knowledge, best practice, training or lesson).
"""

from django.db.models import Count, Q
from django.utils import timezone

from knowledgebase.models import Article, ArticleKind, RunbookAlert


def evaluate(project) -> list[dict]:
    now = timezone.now()
    articles = Article.objects.published().for_project(project)
    counts = articles.aggregate(
        published=Count("id"),
        stale=Count("id", filter=Q(review_due_at__lt=now)),
        procedures=Count("id", filter=Q(kind=ArticleKind.INCIDENT_PROCEDURE)),
        runbooks=Count("id", filter=Q(kind=ArticleKind.RUNBOOK)),
        other=Count("id", filter=Q(kind__in=[ArticleKind.KNOWLEDGE, ArticleKind.BEST_PRACTICE,
                                             ArticleKind.TRAINING, ArticleKind.LESSON_LEARNED])),
        runbooks_without_alerts=Count(
            "id", filter=Q(kind=ArticleKind.RUNBOOK) & ~Q(pk__in=RunbookAlert.objects.values("article_id"))
        ),
    )
    stale_titles = list(articles.filter(review_due_at__lt=now).order_by("review_due_at").values_list("title",
                                                                                                       flat=True)[:5])
    gates = []
    if counts["published"] == 0:
        gates.append({"gate": "documentation_current", "result": "FAIL",
                      "reason": "No published documentation for this project."})
    elif counts["stale"]:
        gates.append({"gate": "documentation_current", "result": "FAIL",
                      "reason": f"{counts['stale']} of {counts['published']} published article(s) are past their "
                                f"review date: {', '.join(stale_titles)}{'…' if counts['stale'] > 5 else ''}."})
    else:
        gates.append({"gate": "documentation_current", "result": "PASS",
                      "reason": f"All {counts['published']} published article(s) reviewed within their interval."})

    missing = []
    if not counts["procedures"]:
        missing.append("no published incident procedure")
    if not counts["runbooks"]:
        missing.append("no published runbook")
    gates.append({
        "gate": "incident_procedures", "result": "FAIL" if missing else "PASS",
        "reason": "; ".join(missing).capitalize() + "." if missing else
        f"{counts['procedures']} incident procedure(s) and {counts['runbooks']} runbook(s) published.",
    })

    problems = []
    if not counts["runbooks"]:
        problems.append("no published runbook")
    elif counts["runbooks_without_alerts"]:
        problems.append(f"{counts['runbooks_without_alerts']} runbook(s) name no alert, so incidents cannot find them")
    if not counts["other"]:
        problems.append("no published knowledge, best practice, training or lesson learned")
    gates.append({
        "gate": "knowledge_accessible", "result": "FAIL" if problems else "PASS",
        "reason": "; ".join(problems).capitalize() + "." if problems else
        f"{counts['published']} published article(s) at /kb/, searchable; every runbook names its alerts.",
    })
    return gates

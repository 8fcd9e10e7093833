"""Read side of the knowledge base (N+1-free list queries, runbook lookup, diffs)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When

from knowledgebase.models import Article, ArticleKind, ArticleRevision, RunbookAlert, TrainingAssignment
from opsportal.links import admin_change_url


def article_list_queryset():
    """Articles with everything a list row shows, in a constant number of queries."""
    return Article.objects.select_related("project", "owner", "last_reviewed_by").prefetch_related(
        "services", "tags", Prefetch("alerts", queryset=RunbookAlert.objects.order_by("alert_name"))
    )


def runbooks_for_alert(alert_name: str, project=None):
    """Published runbooks naming `alert_name` (Alertmanager's alertname): the project's own first,
    then organisation-wide ones. Without a project, every published runbook naming the alert."""
    alert_name = (alert_name or "").strip()
    runbooks = (
        article_list_queryset()
        .published()
        .runbooks()
        .filter(pk__in=RunbookAlert.objects.filter(alert_name=alert_name).values("article_id"))
    )
    if project is not None:
        runbooks = runbooks.for_project(project).annotate(
            kb_scope=Case(When(project=project, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("kb_scope", "title", "id")
    else:
        runbooks = runbooks.annotate(
            kb_scope=Case(When(project__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField())
        ).order_by("kb_scope", "project__name", "title", "id")
    return runbooks


def related_incidents(article: Article, limit: int = 10, *, user=None) -> list[dict]:
    """Incidents linked to the article, as `{"label", "url"}`: for a lesson learned, the incidents it
    came from; for a runbook, the incidents (of its project, if it has one) with an alert it answers.
    With `user`, only incidents of projects the user may see (an org-wide runbook spans projects)."""
    from incidents.models import Alert, Incident  # lazy: incidents also looks runbooks up here

    if article.related_incident_ids:
        incidents = Incident.objects.filter(pk__in=article.related_incident_ids)
    elif article.kind == ArticleKind.RUNBOOK:
        names = [alert.alert_name for alert in article.alerts.all()]
        if not names:
            return []
        alerts = Alert.objects.filter(alert_name__in=names, incident__isnull=False)
        incidents = Incident.objects.filter(pk__in=alerts.values("incident_id"))
        if article.project_id:
            incidents = incidents.filter(project_id=article.project_id)
    else:
        return []
    if user is not None:
        from opsportal.access import scope

        incidents = scope(incidents, user)
    rows = list(incidents.select_related("project").order_by("-pk")[:limit])
    return [{"label": str(incident), "url": admin_change_url(incident)} for incident in rows]



def article_counts_by_kind(queryset) -> dict[str, int]:
    return dict(queryset.values_list("kind").annotate(n=Count("id")).order_by())


def stale_counts(now, project=None) -> dict:
    """Stale and published article counts for a project (its own and organisation-wide) or everywhere."""
    articles = Article.objects.published()
    if project is not None:
        articles = articles.for_project(project)
    return articles.aggregate(
        published=Count("id"),
        stale=Count("id", filter=Q(review_due_at__lt=now)),
        stale_own=Count("id", filter=Q(review_due_at__lt=now, project__isnull=False)),
    )


def overdue_assignments(today, project=None):
    assignments = TrainingAssignment.objects.overdue(today).select_related("article", "user")
    if project is not None:
        assignments = assignments.filter(Q(article__project=project) | Q(article__project__isnull=True))
    return assignments.order_by("due_on", "id")


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed", "gap"
    old_number: int | None
    new_number: int | None
    text: str


def revision_diff(old: ArticleRevision, new: ArticleRevision, context: int = 3) -> list[DiffLine]:
    """Line diff between two revisions (title, summary and body), unchanged runs collapsed to `context` lines."""
    def lines(revision):
        return [f"# {revision.title}", f"> {revision.summary}" if revision.summary else ">", "",
                *revision.body.splitlines()]

    old_lines, new_lines = lines(old), lines(new)
    result: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if result:
            result.append(DiffLine("gap", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                result.extend(DiffLine("same", i1 + k + 1, j1 + k + 1, old_lines[i1 + k]) for k in range(i2 - i1))
                continue
            if tag in ("replace", "delete"):
                result.extend(DiffLine("removed", i1 + k + 1, None, old_lines[i1 + k]) for k in range(i2 - i1))
            if tag in ("replace", "insert"):
                result.extend(DiffLine("added", None, j1 + k + 1, new_lines[j1 + k]) for k in range(j2 - j1))
    return result


def unified_diff_text(old: ArticleRevision, new: ArticleRevision) -> str:
    """Plain unified diff of two revisions' bodies (for the API and copy/paste)."""
    return "\n".join(difflib.unified_diff(
        old.body.splitlines(), new.body.splitlines(), fromfile=f"v{old.number}", tofile=f"v{new.number}", lineterm="",
    )) + "\n"

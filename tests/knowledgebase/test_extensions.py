"""Extension modules: quality gates, review findings, dashboard panels, runbook lookup, demo data."""

from datetime import timedelta

from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from knowledgebase import dashboard, gates, review_findings, services
from knowledgebase.models import Article, ArticleKind, TrainingAssignment
from knowledgebase.selectors import related_incidents, runbooks_for_alert
from tests.factories import ProjectFactory, UserFactory


def _gates(project):
    return {gate["gate"]: gate for gate in gates.evaluate(project)}


def test_gates_fail_without_documentation(project):
    result = _gates(project)
    assert {key: g["result"] for key, g in result.items()} == {
        "documentation_current": "FAIL", "incident_procedures": "FAIL", "knowledge_accessible": "FAIL"}
    assert "No published documentation" in result["documentation_current"]["reason"]


def test_gates_pass_with_current_procedures_runbooks_and_knowledge(project, operator, article_factory):
    article_factory(operator, kind=ArticleKind.INCIDENT_PROCEDURE, publish=True)  # organisation-wide
    article_factory(operator, kind=ArticleKind.RUNBOOK, project=project, publish=True)
    article_factory(operator, kind=ArticleKind.BEST_PRACTICE, project=project, publish=True)
    result = _gates(project)
    assert {key: g["result"] for key, g in result.items()} == {
        "documentation_current": "PASS", "incident_procedures": "PASS", "knowledge_accessible": "PASS"}


def test_documentation_current_fails_on_a_stale_article(project, operator, article_factory):
    article = article_factory(operator, project=project, publish=True, title="Old guide")
    services.article_set_last_review(article=article, reviewed_at=timezone.now() - timedelta(days=400))
    other = ProjectFactory(slug="other")
    article_factory(operator, project=other, publish=True)
    gate = _gates(project)["documentation_current"]
    assert gate["result"] == "FAIL" and "1 of 1" in gate["reason"] and "Old guide" in gate["reason"]
    assert _gates(other)["documentation_current"]["result"] == "PASS"


def test_knowledge_accessible_needs_runbooks_that_name_alerts(project, operator, article_factory):
    article_factory(operator, kind=ArticleKind.KNOWLEDGE, project=project, publish=True)
    runbook = article_factory(operator, kind=ArticleKind.RUNBOOK, project=project, publish=True)
    runbook.alerts.all().delete()
    gate = _gates(project)["knowledge_accessible"]
    assert gate["result"] == "FAIL" and "name no alert" in gate["reason"]


def test_review_findings(project, manager, article_factory):
    now = timezone.now()
    runbook = article_factory(manager, kind=ArticleKind.RUNBOOK, project=project, publish=True, title="Old runbook")
    services.article_set_last_review(article=runbook, reviewed_at=now - timedelta(days=100))
    training = article_factory(manager, kind=ArticleKind.TRAINING, publish=True, title="On-call")
    services.training_assign(article=training, due_on=timezone.localdate() - timedelta(days=1), actor=manager,
                             users=[UserFactory(username="late")])
    weekly = review_findings.findings(project=project, cadence="weekly", period_start=now - timedelta(days=7),
                                      period_end=now, now=now)
    assert [(f["item"], f["severity"]) for f in weekly] == [("incident_review", "warning")]
    assert weekly[0]["links"][0]["label"] == "Old runbook"
    monthly = review_findings.findings(project=project, cadence="monthly", period_start=now - timedelta(days=30),
                                       period_end=now + timedelta(seconds=1), now=now)
    texts = {f["text"] for f in monthly}
    assert {f["item"] for f in monthly} == {"training_updates"}
    assert "1 article(s) need review (stale documentation)." in texts
    assert "1 training assignment(s) are overdue." in texts
    assert "1 training article(s) were updated in this period." in texts
    assert review_findings.findings(project=project, cadence="daily", period_start=now, period_end=now,
                                    now=now) == []


def test_dashboard_panels(manager, viewer, nobody, article_factory):
    article = article_factory(manager, publish=True, title="Old one")
    services.article_set_last_review(article=article, reviewed_at=timezone.now() - timedelta(days=400))
    request = RequestFactory().get("/admin/")
    request.user = manager
    panels = {panel["title"]: panel for panel in dashboard.panels(request)}
    assert [row["label"] for row in panels["Stale documentation"]["rows"]] == ["Old one"]
    assert panels["Overdue training"]["rows"] == []
    request.user = nobody
    assert dashboard.panels(request) == []


def test_runbooks_for_alert_project_first_then_org_wide(project, operator, article_factory):
    org = article_factory(operator, kind=ArticleKind.RUNBOOK, title="A generic", publish=True)
    own = article_factory(operator, kind=ArticleKind.RUNBOOK, title="Z shop", project=project, publish=True)
    assert list(runbooks_for_alert("HighErrorRate", project=project)) == [own, org]
    assert list(runbooks_for_alert("Unknown", project=project)) == []
    assert related_incidents(own) == []  # incidents app not wired yet: nothing, no error


def test_demo_seed_is_idempotent_and_realistic(db):
    call_command("seed_demo")
    call_command("seed_demo")
    # The published demo postmortems (incidents app) add their lessons learned as articles.
    from_postmortems = Article.objects.filter(slug__startswith="lessons-shop-")
    assert from_postmortems.count() == 2
    assert Article.objects.exclude(pk__in=from_postmortems).count() == 13
    assert Article.objects.published().count() == 15
    assert Article.objects.stale(timezone.now()).count() == 1
    assert {a.slug for a in runbooks_for_alert("HighErrorRate")} == {"runbook-high-error-rate"}
    for alert in ("PaymentProviderDown", "CheckoutLatencyHigh", "SLOErrorBudgetBurn"):
        assert runbooks_for_alert(alert).exists()
    assert Article.objects.filter(kind=ArticleKind.INCIDENT_PROCEDURE).exists()
    assert TrainingAssignment.objects.overdue(timezone.localdate()).count() == 1
    assert Article.objects.get(slug="runbook-high-error-rate").version == 2

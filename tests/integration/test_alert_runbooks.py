"""Alertmanager alerts, incidents and knowledge-base runbooks, wired together."""

import pytest

from incidents.models import Alert
from incidents.selectors import incident_runbooks
from knowledgebase.models import ArticleKind
from knowledgebase.selectors import related_incidents
from tests.incidents.test_runbooks_and_setup_admin import _ingest
from tests.knowledgebase.conftest import make_article

pytestmark = pytest.mark.django_db


def test_incident_from_an_alert_shows_the_published_runbook_and_the_runbook_lists_it(project, operator):
    runbook = make_article(
        operator, publish=True, kind=ArticleKind.RUNBOOK, project=project, slug="checkout-error-rate",
        title="Checkout error rate", alert_names=["CheckoutErrorRate"],
    )
    make_article(operator, publish=False, kind=ArticleKind.RUNBOOK, project=project, slug="draft-runbook",
                 alert_names=["CheckoutErrorRate"])
    _ingest(project)
    incident = Alert.objects.get().incident
    knowledge_base = [r for r in incident_runbooks(incident) if r["source"] == "knowledgebase"]
    assert knowledge_base == [{"title": "Checkout error rate", "url": runbook.get_absolute_url(),
                               "source": "knowledgebase"}]
    assert related_incidents(runbook) == [
        {"label": str(incident), "url": f"/admin/incidents/incident/{incident.pk}/change/"}
    ]


def test_incident_admin_page_links_the_runbook(client, project, operator, manager):
    make_article(operator, publish=True, kind=ArticleKind.RUNBOOK, project=project, slug="checkout-error-rate",
                 title="Checkout error rate", alert_names=["CheckoutErrorRate"])
    _ingest(project)
    incident = Alert.objects.get().incident
    client.force_login(manager)
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert page.status_code == 200
    assert b"/kb/checkout-error-rate/" in page.content

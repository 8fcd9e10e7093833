"""Agendas are documents built from the contributors' data (fake contributor modules here)."""

import re
from datetime import UTC, datetime

import pytest

from retros.agenda import agenda_window
from retros.models import Retrospective
from retros.services import retro_generate_agenda, schedule_retros
from tests.factories import ProjectFactory, UserFactory

INCIDENTS = [
    {"number": "INC-7", "title": "Checkout | 502s", "severity": "sev2", "status": "resolved", "mttr_minutes": 95,
     "postmortem_state": "approved", "url": "/admin/incidents/incident/7/change/"},
    {"number": "INC-3", "title": "Payments down", "severity": "sev1", "status": "resolved", "mttr_minutes": 42,
     "postmortem_state": None, "url": "/admin/incidents/incident/3/change/"},
]
SLOS = [{"slo": "Checkout availability", "service": "checkout", "objective": "99.9", "sli": "99.82",
         "status": "failing", "budget_remaining": "-80.0", "url": "/admin/slos/slo/1/change/"}]
ACTIONS = [
    {"title": "Add retry to payment client", "status": "open", "owner": "oncall", "due": "2027-02-10",
     "url": "/admin/incidents/actionitem/1/change/"},
    {"title": "Alert on 5xx ratio", "status": "verified", "owner": "operator", "due": "2027-02-01",
     "url": "/admin/incidents/actionitem/2/change/"},
]


@pytest.fixture
def retro_pair(db):
    project = ProjectFactory(slug="shop-agenda", name="Shop", time_zone="Europe/Berlin")
    series, _ = schedule_retros(project=project, start="2027-02-01", cadence="biweekly", count=2,
                                facilitator=UserFactory(username="lead", first_name="Lars", last_name="Lead"))
    return series.retros.get(sequence=1), series.retros.get(sequence=2)


def test_agenda_contains_every_section_built_from_data(retro_pair, contributors):
    calls = []

    def incidents_app(*, project, since, until):
        calls.append((project.slug, since, until))
        return {"incidents": INCIDENTS, "action_items": ACTIONS}

    contributors(agenda=[incidents_app, lambda **kw: {"slo_compliance": SLOS}])
    first, second = retro_pair
    retro = retro_generate_agenda(second)
    text = retro.agenda_markdown
    # The window runs from the previous retro to this one.
    assert calls == [("shop-agenda", first.scheduled_start, second.scheduled_start)]
    for heading in ["# Retrospective #2: Shop", "## 1. Set the stage", "## 2. Review of the previous retro's action",
                    "## 3. Incidents since the previous retro", "## 4. SLO compliance over the period",
                    "## 5. Gather data", "## 6. Generate insights", "## 7. Decide what to do", "## 8. Close"]:
        assert heading in text
    assert "Monday 15 February 2027, 10:00 (Europe/Berlin)" in text
    assert "**Facilitator:** Lars Lead" in text
    assert ("| [Add retry to payment client](/admin/incidents/actionitem/1/change/) | open | oncall | 2027-02-10 |"
            in text)
    assert "1 of 2 not done yet" in text
    assert "2 incidents: 1 sev1, 1 sev2." in text
    # Most severe first; pipes escaped; MTTR readable; missing postmortem says so.
    assert text.index("INC-3") < text.index("INC-7")
    assert ("| [INC-7 Checkout \\| 502s](/admin/incidents/incident/7/change/) | sev2 | resolved | 1 h 35 min "
            "| approved |") in text
    assert "| [INC-3 Payments down](/admin/incidents/incident/3/change/) | sev1 | resolved | 42 min | none |" in text
    assert "| [Checkout availability](/admin/slos/slo/1/change/) | checkout | 99.9 | 99.82 | failing | -80.0 |" in text
    assert retro.agenda_generated_at is not None


def test_agenda_without_data_says_so(retro_pair, contributors):
    text = retro_generate_agenda(retro_pair[0]).agenda_markdown
    assert "No action items were recorded since the previous retro." in text
    assert "No incidents since the previous retro." in text
    assert "No SLO data for this period." in text


def test_first_retro_looks_back_one_cadence_step(retro_pair):
    since, until = agenda_window(retro_pair[0])
    assert until == retro_pair[0].scheduled_start
    assert since == datetime(2027, 1, 18, 9, 0, tzinfo=UTC)


def test_a_failing_contributor_is_named_and_the_rest_still_shows(retro_pair, contributors):
    def broken(**kwargs):
        raise RuntimeError("database on fire")

    contributors(agenda=[broken, lambda **kw: {"incidents": INCIDENTS[:1]}])
    text = retro_generate_agenda(retro_pair[1]).agenda_markdown
    assert "INC-7" in text
    assert "Not all data could be collected: fake0 data unavailable." in text


def test_admin_shows_agenda_and_downloads_markdown(retro_pair, contributors, client, viewer):
    contributors(agenda=[lambda **kw: {"incidents": INCIDENTS}])
    retro = retro_generate_agenda(retro_pair[1])
    client.force_login(viewer)
    page = client.get(f"/admin/retros/retrospective/{retro.pk}/change/")
    assert page.status_code == 200
    assert re.search(rb'<h2 id="[^"]+">3. Incidents since the previous retro \(10 min\)</h2>', page.content)
    assert b"INC-7" in page.content
    download = client.get(f"/admin/retros/retrospective/{retro.pk}/agenda.md")
    assert download["Content-Type"].startswith("text/markdown")
    assert "attachment" in download["Content-Disposition"]
    assert download.content.decode() == retro.agenda_markdown


def test_api_agenda_builds_when_missing(retro_pair, contributors, viewer, api_as):
    contributors(agenda=[lambda **kw: {"slo_compliance": SLOS}])
    retro = retro_pair[0]
    response = api_as(viewer).get(f"/api/v1/retros/{retro.pk}/agenda/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert "Checkout availability" in response.content.decode()
    assert Retrospective.objects.get(pk=retro.pk).agenda_generated_at is not None

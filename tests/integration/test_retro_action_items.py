"""Retrospectives and operational reviews own action items (the postmortems' model)."""

import pytest
from django.core.exceptions import ValidationError

from incidents.models import ActionItem
from incidents.services import action_item_create, action_item_set_status
from retros.services import retro_generate_agenda, schedule_retros
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def retros(project):
    series, _ = schedule_retros(project=project, start="2027-02-01", cadence="biweekly", count=2,
                                facilitator=UserFactory(username="lead"))
    return series.retros.get(sequence=1), series.retros.get(sequence=2)


def test_the_next_agenda_reviews_the_previous_retros_items_with_their_status(retros, operator, contributors):
    contributors(agenda=[])  # no other app contributes: the items come from the retro itself
    first, second = retros
    kept = action_item_create(project=first.project, retrospective=first, title="Rotate on-call fairly",
                              owner=operator, type="process")
    dropped = action_item_create(project=first.project, retrospective=first, title="Buy a bigger pager",
                                 owner=operator, type="other")
    action_item_set_status(item=dropped, status="wont_do", actor=operator, reason="no budget")
    section = retro_generate_agenda(second).agenda_markdown.split("## 2.")[1].split("## 3.")[0]
    assert f"| [Rotate on-call fairly](/admin/incidents/actionitem/{kept.pk}/change/) | open | operator |" in section
    assert f"| [Buy a bigger pager](/admin/incidents/actionitem/{dropped.pk}/change/) | wont_do | operator |" in section
    assert "1 of 2 not done yet" in section  # a dropped item is not open


def test_an_item_has_one_source_of_the_same_project(retros, operator, project):
    from tests.factories import ProjectFactory

    first, _ = retros
    other = ProjectFactory(slug="other")
    with pytest.raises(ValidationError) as error:
        action_item_create(project=other, retrospective=first, title="x", owner=operator)
    assert "retrospective" in error.value.message_dict
    assert not ActionItem.objects.exists()


def test_retro_admin_adds_items_inline_through_the_services(client, manager, operator, retros):
    first, _ = retros
    client.force_login(manager)
    response = client.post(f"/admin/retros/retrospective/{first.pk}/change/", {
        "facilitator": "", "notes": "",
        "action_items-TOTAL_FORMS": "1", "action_items-INITIAL_FORMS": "0",
        "action_items-0-title": "Write the failover runbook", "action_items-0-type": "process",
        "action_items-0-priority": "P2", "action_items-0-owner": str(operator.pk),
        "action_items-0-due_date": "", "action_items-0-ticket_url": "",
    })
    assert response.status_code == 302, response.content[:3000]
    item = ActionItem.objects.get()
    assert (item.retrospective_id, item.project_id, item.created_by) == (first.pk, first.project_id, manager)
    assert item.due_date is not None  # defaulted from the priority by the service


def test_retro_api_lists_its_items_and_items_can_be_created_for_a_retro(api_as, operator, viewer, retros):
    first, _ = retros
    response = api_as(operator).post("/api/v1/action-items/", {
        "project": "shop", "retrospective": first.pk, "title": "Automate the weekly report", "owner": "operator",
    }, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["retrospective"] == first.pk
    detail = api_as(viewer).get(f"/api/v1/retros/{first.pk}/").json()
    assert [item["title"] for item in detail["action_items"]] == ["Automate the weekly report"]
    listed = api_as(viewer).get("/api/v1/action-items/", {"retrospective": first.pk}).json()
    assert [item["title"] for item in listed["results"]] == ["Automate the weekly report"]

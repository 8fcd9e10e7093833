from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import ActionItem, Postmortem, PostmortemStatus
from incidents.services import action_item_create, action_item_set_status
from tests.factories import UserFactory
from tests.incidents.postmortem_factories import FILLED, in_review, postmortem_for, resolved_incident

pytestmark = pytest.mark.django_db
S = PostmortemStatus


def test_full_workflow_through_the_api(api_as, project, operator, manager):
    incident = resolved_incident(project)
    api = api_as(operator)
    response = api.post("/api/v1/postmortems/", {"incident": incident.pk, "owner": "operator"}, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["required"] is True and "SEV2" in response.json()["required_reason"]

    refused = api.post(f"/api/v1/postmortems/{pk}/submit/")
    assert refused.status_code == 400 and {"root_causes", "action_items"} <= set(refused.json())

    response = api.patch(f"/api/v1/postmortems/{pk}/", {**FILLED, "expected_revision": 1}, format="json")
    assert response.status_code == 200 and response.json()["revision"] == 2
    stale = api.patch(f"/api/v1/postmortems/{pk}/", {"trigger": "x", "expected_revision": 1}, format="json")
    assert stale.status_code == 409
    item = api.post("/api/v1/action-items/", {"project": "shop", "postmortem": pk, "title": "Canary checkout",
                                              "type": "prevent", "priority": "P1", "owner": "operator"},
                    format="json")
    assert item.status_code == 201 and item.json()["due_date"] == str(timezone.localdate() + timedelta(days=15))
    assert api.post(f"/api/v1/postmortems/{pk}/submit/").json()["status"] == "in_review"

    assert api.post(f"/api/v1/postmortems/{pk}/decide/", {"decision": "approve"}).status_code == 403
    response = api_as(manager).post(f"/api/v1/postmortems/{pk}/decide/", {"decision": "approve", "comment": "ok"})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert response.json()["approval_progress"] == {"have": 1, "required": 1, "approvers": ["manager"]}
    assert response.json()["approvals"][0]["comment"] == "ok"
    assert api.post(f"/api/v1/postmortems/{pk}/publish/").json()["status"] == "published"

    evidence = api_as(manager).get("/api/v1/projects/shop/phases/phase6/evidence/").json()
    kinds = [record["kind"] for record in evidence["evidence"]]
    assert "postmortem" in kinds
    [row] = [i for i in evidence["incidents"] if i["id"] == incident.pk]
    assert row["postmortem"]["status"] == "published" and row["postmortem"]["published_at"]
    [record] = [r for r in evidence["evidence"] if r["kind"] == "postmortem"]
    assert record["payload"]["automation"]["parameters"]["incident_ids"] == [incident.pk]


def test_bad_input_is_a_4xx_naming_the_field(api_as, project, operator, manager):
    postmortem = in_review(project, owner=operator)
    api = api_as(manager)
    assert "decision" in api.post(f"/api/v1/postmortems/{postmortem.pk}/decide/", {"decision": "reject"}).json()
    response = api.post(f"/api/v1/postmortems/{postmortem.pk}/decide/", {"decision": "request_changes"})
    assert response.status_code == 400 and "comment" in response.json()
    response = api.get(f"/api/v1/postmortems/{postmortem.pk}/report/", {"output": "pdf"})
    assert response.status_code == 400 and "output" in response.json()
    response = api_as(operator).post("/api/v1/action-items/", {"project": "shop", "title": "x", "owner": "ghost"})
    assert response.status_code == 400 and "owner" in response.json()


def test_viewers_read_but_cannot_write(api_as, project, operator, viewer):
    postmortem = postmortem_for(project, owner=operator)
    api = api_as(viewer)
    assert api.get("/api/v1/postmortems/").status_code == 200
    assert api.patch(f"/api/v1/postmortems/{postmortem.pk}/", {"trigger": "x"}, format="json").status_code == 403
    assert api.post(f"/api/v1/postmortems/{postmortem.pk}/submit/").status_code == 403
    item = ActionItem.objects.get()
    assert api.post(f"/api/v1/action-items/{item.pk}/status/", {"status": "done"}).status_code == 403


def test_reports_in_three_formats_and_sanitized(api_as, project, operator):
    postmortem = postmortem_for(project, owner=operator)
    api = api_as(operator)
    api.patch(f"/api/v1/postmortems/{postmortem.pk}/",
              {"root_causes": "A <script>alert('x')</script> and [link](javascript:alert(1))"}, format="json")
    md = api.get(f"/api/v1/postmortems/{postmortem.pk}/report/")
    assert md.status_code == 200 and md["Content-Type"].startswith("text/markdown")
    assert "## Incident overview" in md.content.decode() and "## Action plan" in md.content.decode()
    html = api.get(f"/api/v1/postmortems/{postmortem.pk}/report/", {"output": "html"}).content.decode()
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<script>" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html  # shown as text
    data = api.get(f"/api/v1/postmortems/{postmortem.pk}/report/", {"output": "json"}).json()
    assert data["action_plan"][0]["title"] == "Add a canary for checkout"
    assert data["incident_overview"]["reference"] == postmortem.incident.reference
    detail = api.get(f"/api/v1/postmortems/{postmortem.pk}/").json()
    assert "<script>" not in detail["rendered_html"]


def test_manager_requires_a_postmortem_via_api(api_as, project, manager, operator):
    from tests.incidents.factories import declare

    incident = declare(project, severity="SEV4")
    assert api_as(operator).post("/api/v1/postmortems/require/", {"incident": incident.pk, "reason": "x"}
                                 ).status_code == 403
    response = api_as(manager).post("/api/v1/postmortems/require/",
                                    {"incident": incident.pk, "reason": "Repeat of SHOP-3"})
    assert response.status_code == 201 and "Repeat of SHOP-3" in response.json()["required_reason"]


def test_action_item_status_and_verification_via_api(api_as, project, operator, manager):
    item = action_item_create(project=project, title="Alert on 5xx ratio", type="detect", owner=manager)
    api = api_as(operator)
    response = api.post(f"/api/v1/action-items/{item.pk}/status/", {"status": "wont_do"})
    assert response.status_code == 400 and "reason" in response.json()
    assert api.post(f"/api/v1/action-items/{item.pk}/status/", {"status": "done"}).json()["awaiting_verification"]
    assert api.post(f"/api/v1/action-items/{item.pk}/verify/", {"comment": "x"}).status_code == 403
    # The owner is a Manager but cannot verify their own item.
    assert api_as(manager).post(f"/api/v1/action-items/{item.pk}/verify/", {"comment": "works"}).status_code == 403
    other = UserFactory(username="boss", is_staff=True)
    from django.contrib.auth.models import Group

    other.groups.add(Group.objects.get(name="Managers"))
    response = api_as(other).post(f"/api/v1/action-items/{item.pk}/verify/", {"comment": "Fired in game day."})
    assert response.status_code == 200 and response.json()["verified_by"] == "boss"


def test_action_item_filters_including_overdue(api_as, project, operator, manager):
    today = timezone.localdate()
    late = action_item_create(project=project, title="Late", owner=operator, due_date=today - timedelta(days=3))
    action_item_create(project=project, title="Fine", owner=manager, due_date=today + timedelta(days=3))
    done = action_item_create(project=project, title="Done", type="prevent", owner=operator,
                              due_date=today - timedelta(days=9))
    action_item_set_status(item=done, status="done", actor=operator)
    api = api_as(manager)

    def titles(**params):
        return sorted(row["title"] for row in api.get("/api/v1/action-items/", params).json()["results"])

    assert titles(overdue="true") == ["Late"]
    assert titles(overdue="false") == ["Done", "Fine"]
    assert titles(awaiting_verification="true") == ["Done"]
    assert titles(owner="operator") == ["Done", "Late"]
    assert titles(status="done") == ["Done"]
    assert api.get("/api/v1/action-items/", {"status": "bogus"}).status_code == 400
    assert late.pk


@pytest.mark.parametrize("url", ["/api/v1/postmortems/", "/api/v1/action-items/"])
def test_lists_run_a_constant_number_of_queries(api_as, project, operator, url):
    api = api_as(operator)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url, {"page_size": 200}).status_code == 200
        return len(ctx)

    for i in range(5):
        postmortem_for(project, owner=operator, title=f"PM {i}", co_authors=[operator])
    five = count()
    for i in range(20):
        postmortem_for(project, owner=operator, title=f"More {i}", co_authors=[operator])
    assert Postmortem.objects.count() == 25
    assert count() == five

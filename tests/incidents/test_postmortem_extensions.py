from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import gates, retro_agenda, review_findings
from incidents.models import Postmortem
from incidents.services import action_item_create, postmortem_decide
from tests.incidents.postmortem_factories import in_review, postmortem_for, resolved_incident

pytestmark = pytest.mark.django_db


def by_gate(project):
    return {g["gate"]: g for g in gates.evaluate(project)}


def test_admin_home_shows_postmortems_awaiting_my_review_but_not_my_own(client, project, manager, operator):
    theirs = in_review(project, owner=operator)
    mine = in_review(project, owner=manager)
    overdue = postmortem_for(project, owner=operator, filled=False, title="Late draft")
    Postmortem.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(days=1))
    client.force_login(manager)
    page = client.get("/admin/").content.decode()
    review = page[page.index("Postmortems awaiting your review"):page.index("Overdue postmortem drafts")]
    assert theirs.incident.reference in review and mine.incident.reference not in review
    drafts = page[page.index("Overdue postmortem drafts"):]
    assert "Late draft" in drafts[:drafts.index("</div>")]
    client.force_login(operator)
    assert "Postmortems awaiting your review" not in client.get("/admin/").content.decode()


def test_gates_follow_postmortems_and_action_items(project, manager, operator):
    assert {k: v["result"] for k, v in by_gate(project).items()
            if k not in ("incidents_within_target", "incident_procedures")} == {
        # Nothing written, nothing due: NO_DATA with its reason, never a PASS (issue #11).
        "postmortem_process": "NO_DATA", "postmortems_for_significant": "NO_DATA",
        "improvements_implemented": "NO_DATA"}
    resolved_incident(project, severity="SEV1")  # no postmortem yet
    result = by_gate(project)
    assert result["postmortem_process"]["result"] == "FAIL" and "SHOP-1" in result["postmortem_process"]["reason"]
    postmortem = in_review(project, owner=operator)
    Postmortem.objects.filter(pk=postmortem.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert "SHOP-2" in by_gate(project)["postmortems_for_significant"]["reason"]
    postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    assert "SHOP-2" not in by_gate(project)["postmortems_for_significant"]["reason"]
    action_item_create(project=project, title="Old", owner=operator,
                       due_date=timezone.localdate() - timedelta(days=20))
    assert by_gate(project)["improvements_implemented"]["result"] == "FAIL"


def test_monthly_review_findings(project, operator):
    postmortem = postmortem_for(project, owner=operator, filled=False)
    Postmortem.objects.filter(pk=postmortem.pk).update(due_at=timezone.now() - timedelta(days=1))
    now = timezone.now()
    found = {f["item"]: f for f in review_findings.findings(
        project=project, cadence="monthly", period_start=now - timedelta(days=30), period_end=now, now=now)}
    assert found["postmortem_analysis"]["severity"] == "critical"
    assert "1 overdue draft(s)" in found["postmortem_analysis"]["text"]
    assert "0 improvement(s) verified" in found["process_improvement"]["text"]


def test_retro_agenda_has_postmortem_state_and_action_items(project, operator):
    postmortem = in_review(project, owner=operator)
    data = retro_agenda.agenda_data(project=project, since=timezone.now() - timedelta(days=1),
                                    until=timezone.now() + timedelta(minutes=1))
    [row] = [r for r in data["incidents"] if r["number"] == postmortem.incident.reference]
    assert row["postmortem_state"] == "in_review"
    assert data["action_items"][0]["title"] == "Add a canary for checkout"
    assert set(data["action_items"][0]) == {"title", "status", "owner", "due", "url"}

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import ActionItem, Postmortem, PostmortemStatus
from incidents.services import postmortem_decide
from opsportal.models import Approval
from tests.incidents.postmortem_factories import in_review, postmortem_for

pytestmark = pytest.mark.django_db
S = PostmortemStatus


def change_url(postmortem):
    return reverse("admin:incidents_postmortem_change", args=[postmortem.pk])


def decide_url(postmortem):
    return reverse("admin:incidents_postmortem_decide", args=[postmortem.pk])


def test_review_page_shows_everything_a_manager_needs(client, manager, operator, project):
    postmortem = in_review(project, owner=operator)
    client.force_login(manager)
    response = client.get(change_url(postmortem))
    assert response.status_code == 200
    html = response.content.decode()
    for marker in ('id="pm-decide"', 'id="pm-approve"', 'id="pm-request-changes"', 'id="pm-checklist"',
                   'id="pm-incident"', 'id="pm-report"', 'id="pm-action-items"', 'id="pm-approval-history"',
                   "Add a canary for checkout", "Root causes</h2>", "Time to resolve"):
        assert marker in html, marker


def test_owner_sees_no_decision_buttons_and_a_forged_post_is_refused(client, manager, operator, project):
    postmortem = in_review(project, owner=manager)
    client.force_login(manager)
    html = client.get(change_url(postmortem)).content.decode()
    assert 'id="pm-approve"' not in html and "another Manager reviews it" in html
    response = client.post(decide_url(postmortem), {"decision": "approve", "comment": "LGTM"})
    assert response.status_code == 403
    assert Approval.objects.count() == 0


def test_operator_gets_no_buttons_and_403(client, operator, manager, project):
    postmortem = in_review(project, owner=manager)
    client.force_login(operator)
    assert 'id="pm-approve"' not in client.get(change_url(postmortem)).content.decode()
    assert client.post(decide_url(postmortem), {"decision": "approve"}).status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW


def test_manager_approves_from_the_page(client, manager, operator, project):
    postmortem = in_review(project, owner=operator)
    client.force_login(manager)
    response = client.post(decide_url(postmortem), {"decision": "approve", "comment": "Thorough."}, follow=True)
    assert response.status_code == 200
    postmortem.refresh_from_db()
    assert postmortem.status == S.APPROVED
    html = response.content.decode()
    assert "is now approved (1 of 1 approvals)" in html and 'id="pm-approve"' not in html
    assert Approval.objects.get().comment == "Thorough."


def test_request_changes_without_comment_is_refused_with_a_message(client, manager, operator, project):
    postmortem = in_review(project, owner=operator)
    client.force_login(manager)
    response = client.post(decide_url(postmortem), {"decision": "request_changes", "comment": ""}, follow=True)
    assert "Not recorded" in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW


def test_diff_between_approved_and_current_version_is_shown(client, manager, operator, project):
    postmortem = in_review(project, owner=operator)
    postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    client.force_login(operator)
    data = {"title": postmortem.title, "owner": operator.pk, "expected_revision": postmortem.revision,
            "no_action_needed_reason": "",
            **{f: getattr(postmortem, f) for f in ("summary", "impact", "root_causes", "trigger", "resolution",
                                                   "detection", "contributing_factors", "went_well", "went_wrong",
                                                   "got_lucky", "timeline", "supporting_information")},
            "trigger": "A config push at 09:58 UTC.",
            "action_items-TOTAL_FORMS": "0", "action_items-INITIAL_FORMS": "0"}
    item = ActionItem.objects.get()
    data.update({"action_items-TOTAL_FORMS": "1", "action_items-INITIAL_FORMS": "1", "action_items-0-id": item.pk,
                 "action_items-0-postmortem": postmortem.pk, "action_items-0-title": item.title,
                 "action_items-0-type": item.type, "action_items-0-priority": item.priority,
                 "action_items-0-owner": item.owner_id, "action_items-0-due_date": item.due_date.isoformat(),
                 "action_items-0-ticket_url": ""})
    response = client.post(change_url(postmortem), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW and postmortem.trigger == "A config push at 09:58 UTC."
    client.force_login(manager)
    html = client.get(change_url(postmortem)).content.decode()
    assert 'id="pm-diff"' in html and "+A config push at 09:58 UTC." in html


def test_inline_adds_action_items_through_the_service(client, operator, project):
    postmortem = postmortem_for(project, owner=operator, with_item=False)
    client.force_login(operator)
    data = {"title": postmortem.title, "owner": operator.pk, "expected_revision": postmortem.revision,
            **{f: getattr(postmortem, f) for f in ("summary", "impact", "root_causes", "trigger", "resolution",
                                                   "detection", "went_well", "went_wrong", "timeline")},
            "action_items-TOTAL_FORMS": "1", "action_items-INITIAL_FORMS": "0",
            "action_items-0-title": "Alert on payment error ratio", "action_items-0-type": "detect",
            "action_items-0-priority": "P1", "action_items-0-owner": operator.pk, "action_items-0-due_date": ""}
    assert client.post(change_url(postmortem), data).status_code == 302
    item = ActionItem.objects.get()
    assert (item.project, item.postmortem, item.priority) == (project, postmortem, "P1")
    assert (item.due_date - timezone.localdate(item.created_at)).days == 15


def test_stale_edit_is_refused(client, operator, project):
    postmortem = postmortem_for(project, owner=operator, with_item=False)
    client.force_login(operator)
    data = {"title": "New title", "owner": operator.pk, "expected_revision": postmortem.revision - 1,
            "action_items-TOTAL_FORMS": "0", "action_items-INITIAL_FORMS": "0"}
    response = client.post(change_url(postmortem), data, follow=True)
    assert "Not saved" in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.title == "Checkout errors"


def test_bulk_approve_reports_refusals(client, manager, operator, project):
    ok = in_review(project, owner=operator)
    own = in_review(project, owner=manager)
    draft = postmortem_for(project, owner=operator)
    client.force_login(manager)
    response = client.post(reverse("admin:incidents_postmortem_changelist"),
                           {"action": "approve_selected", "_selected_action": [ok.pk, own.pk, draft.pk]}, follow=True)
    html = response.content.decode()
    assert f"Approved: {ok.incident.reference}" in html
    assert f"Refused {own.incident.reference}" in html and "Four-eyes" in html
    assert f"Refused {draft.incident.reference}" in html
    assert list(Postmortem.objects.filter(status=S.APPROVED)) == [ok]


def test_operators_do_not_get_the_bulk_approve_action(client, operator, project):
    client.force_login(operator)
    html = client.get(reverse("admin:incidents_postmortem_changelist")).content.decode()
    assert "approve_selected" not in html


def test_submit_and_publish_from_the_page(client, manager, operator, project):
    postmortem = postmortem_for(project, owner=operator)
    client.force_login(operator)
    client.post(reverse("admin:incidents_postmortem_submit", args=[postmortem.pk]))
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW
    postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    client.post(reverse("admin:incidents_postmortem_publish", args=[postmortem.pk]))
    postmortem.refresh_from_db()
    assert postmortem.status == S.PUBLISHED


def test_reports_download_from_the_admin(client, operator, project):
    postmortem = postmortem_for(project, owner=operator)
    client.force_login(operator)
    for fmt, needle in (("md", "## Root cause analysis"), ("html", "<style>"), ("json", '"action_plan"')):
        response = client.get(reverse("admin:incidents_postmortem_report", args=[postmortem.pk, fmt]))
        assert response.status_code == 200 and needle in response.content.decode()
        assert response["Content-Disposition"].endswith(f'.{fmt}"')
    html = client.get(reverse("admin:incidents_postmortem_report", args=[postmortem.pk, "html"])).content.decode()
    assert "http" not in html.split("<body>")[0]  # standalone: no external stylesheet or script


def test_changelist_queries_are_constant(client, manager, operator, project, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(5):
        postmortem_for(project, owner=operator, title=f"Incident {i}")
    client.force_login(manager)
    url = reverse("admin:incidents_postmortem_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    for i in range(15):
        postmortem_for(project, owner=operator, title=f"More {i}")
    with CaptureQueriesContext(connection) as twenty:
        client.get(url)
    assert len(five) == len(twenty)


def test_incident_page_shows_the_requirement_and_managers_can_require_one(client, manager, operator, project):
    from tests.incidents.factories import declare
    from tests.incidents.postmortem_factories import resolved_incident

    significant = resolved_incident(project, severity="SEV1")
    minor = declare(project, severity="SEV4", title="Typo on banner")
    client.force_login(operator)
    page = client.get(reverse("admin:incidents_incident_change", args=[significant.pk])).content.decode()
    assert "required (SEV1: postmortems are required for SEV1 and SEV2)" in page
    page = client.get(reverse("admin:incidents_incident_change", args=[minor.pk])).content.decode()
    assert "not required." in page and "Require a postmortem" not in page
    url = reverse("admin:incidents_postmortem_require", args=[minor.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(manager)
    assert "Require a postmortem" in client.get(
        reverse("admin:incidents_incident_change", args=[minor.pk])).content.decode()
    response = client.post(url, {"reason": "Third banner incident this month"})
    postmortem = Postmortem.objects.get(incident=minor)
    assert response.status_code == 302 and postmortem.required
    page = client.get(reverse("admin:incidents_incident_change", args=[minor.pk])).content.decode()
    assert "Third banner incident this month" in page and "Draft" in page


def test_refresh_timeline_from_the_incident(client, operator, project):
    from incidents.services import incident_add_note

    postmortem = postmortem_for(project, owner=operator)
    incident_add_note(incident=postmortem.incident, text="Rolled back the payment SDK", actor=operator)
    client.force_login(operator)
    assert 'id="pm-prefill"' in client.get(change_url(postmortem)).content.decode()
    client.post(reverse("admin:incidents_postmortem_prefill", args=[postmortem.pk]))
    postmortem.refresh_from_db()
    assert "Rolled back the payment SDK" in postmortem.timeline
    assert client.get(reverse("admin:incidents_postmortem_prefill", args=[postmortem.pk])).status_code == 405


def test_a_manager_who_approved_waits_for_the_second(client, manager, manager2, operator, project):
    postmortem = in_review(project, owner=operator, severity="SEV1")
    postmortem_decide(postmortem=postmortem, decision="approve", approver=manager)
    client.force_login(manager)
    html = client.get(change_url(postmortem)).content.decode()
    assert 'id="pm-approve"' not in html and "You approved this text" in html
    client.force_login(manager2)
    assert 'id="pm-approve"' in client.get(change_url(postmortem)).content.decode()


def test_start_a_postmortem_from_the_admin(client, operator, manager, project):
    from tests.incidents.factories import declare

    incident = declare(project, severity="SEV3", title="Slow search")
    client.force_login(operator)
    add_url = reverse("admin:incidents_postmortem_add")
    option = f'<option value="{incident.pk}">'
    assert option in client.get(add_url).content.decode()
    response = client.post(add_url, {"incident": incident.pk, "owner": operator.pk, "co_authors": [manager.pk]})
    assert response.status_code == 302
    postmortem = Postmortem.objects.get(incident=incident)
    assert (postmortem.owner, list(postmortem.co_authors.all()), postmortem.status) == (operator, [manager], S.DRAFT)
    assert "Declared" in postmortem.timeline
    assert option not in client.get(add_url).content.decode()  # one postmortem per incident


def test_changelist_flags_overdue_drafts_and_filters_awaiting_my_review(client, manager, operator, project):
    from datetime import timedelta

    from django.utils import timezone

    late = postmortem_for(project, owner=operator, filled=False, title="Late one")
    Postmortem.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=3, hours=1))
    theirs = in_review(project, owner=operator)
    mine = in_review(project, owner=manager)
    client.force_login(manager)
    url = reverse("admin:incidents_postmortem_changelist")
    page = client.get(url, {"due": "overdue"}).content.decode()
    assert "Late one" in page and "overdue 3 days" in page
    page = client.get(url, {"due": "mine"}).content.decode()
    assert theirs.incident.reference in page and f">{mine.incident.reference}<" not in page


def test_viewer_reads_the_review_page_without_any_button(client, viewer, operator, project):
    postmortem = in_review(project, owner=operator)
    client.force_login(viewer)
    response = client.get(change_url(postmortem))
    html = response.content.decode()
    assert response.status_code == 200 and 'id="pm-report"' in html
    for button in ('id="pm-approve"', 'id="pm-submit"', 'id="pm-publish"', 'id="pm-prefill"'):
        assert button not in html
    assert client.post(reverse("admin:incidents_postmortem_submit", args=[postmortem.pk])).status_code == 403

"""Feedback triage in the admin: filters, bulk actions through the services, CSV import with a dry run,
and the incident page listing the feedback received for its services during it."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from experience.models import FeedbackItem, FeedbackStatus, SurveyResponse
from experience.services import feedback_ingest
from tests.experience.conftest import NOW

CHANGELIST = "/admin/experience/feedbackitem/"


@pytest.fixture
def items(project, service):
    feedback_ingest(project=project, rows=[
        {"service": "checkout", "source": "app_review", "text": f"item {i}", "received_at": (NOW + i * timedelta(
            minutes=1)).isoformat(), "tags": ["slow"] if i % 2 else [], "external_id": f"r{i}"} for i in range(4)])
    return list(FeedbackItem.objects.order_by("external_id"))


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def act(client, action, items, **extra):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [i.pk for i in items], **extra})


def test_filters_by_status_source_and_tag(admin_client, items):
    tag = items[1].tags.get()
    page = admin_client.get(CHANGELIST, {"tags__id__exact": tag.pk})
    assert page.status_code == 200
    assert sorted(o.pk for o in page.context["cl"].result_list) == [items[1].pk, items[3].pk]
    assert admin_client.get(CHANGELIST, {"status__exact": "closed"}).context["cl"].result_count == 0
    assert admin_client.get(CHANGELIST, {"source__exact": "app_review"}).context["cl"].result_count == 4


def test_triage_and_close_actions(admin_client, items):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        act(admin_client, "triage_action", items[:2])
        act(admin_client, "close_action", items[1:3])
    states = {i.external_id: (i.status, i.triaged_at is not None, i.closed_at is not None)
              for i in FeedbackItem.objects.all()}
    assert states == {"r0": ("triaged", True, False), "r1": ("closed", True, True), "r2": ("closed", True, True),
                      "r3": ("new", False, False)}


def test_link_to_an_incident_asks_for_it_then_links(admin_client, items, project, service):
    from incidents.services import incident_declare

    incident = incident_declare(project=project, title="Checkout down", severity="SEV3", services=[service])
    form = act(admin_client, "link_incident_action", items[:2])
    assert form.status_code == 200 and b"Link feedback to an incident" in form.content
    act(admin_client, "link_incident_action", items[:2], incident=incident.pk, confirm="1")
    assert set(FeedbackItem.objects.filter(linked_incident=incident).values_list("status", flat=True)) == {
        FeedbackStatus.LINKED}
    assert FeedbackItem.objects.filter(linked_incident=incident).count() == 2


def test_create_action_item_links_every_selected_item(admin_client, items, operator):
    response = act(admin_client, "create_action_item_action", items[:3], title="Speed up checkout",
                   owner=operator.pk, priority="P2", due_date="", confirm="1")
    assert response.status_code == 302
    from incidents.models import ActionItem

    item = ActionItem.objects.get()
    assert item.title == "Speed up checkout" and "item 0" in item.description
    assert sorted(item.feedback_items.values_list("external_id", flat=True)) == ["r0", "r1", "r2"]
    assert FeedbackItem.objects.get(external_id="r0").status == FeedbackStatus.LINKED


def test_viewers_cannot_triage(client, viewer, items):
    client.force_login(viewer)
    act(client, "triage_action", items)
    assert set(FeedbackItem.objects.values_list("status", flat=True)) == {FeedbackStatus.NEW}


CSV = ("kind,score,submitted_at,source,external_id,service,tags,comment\n"
       "csat,5,2026-03-18T10:00:00Z,typeform,t1,checkout,fast;easy,Great\n"
       "nps,9,2026-03-18T11:00:00Z,typeform,t2,,,Call me on +44 20 7946 0958\n")


def upload(client, text, confirm):
    data = {"project": client.project.pk, "file": SimpleUploadedFile("answers.csv", text.encode())}
    if confirm:
        data["confirm"] = "on"
    return client.post("/admin/experience/feedbackitem/import/survey-responses/", data)


def test_csv_import_previews_then_stores(admin_client, project, service):
    admin_client.project = project
    preview = upload(admin_client, CSV, confirm=False)
    assert preview.status_code == 200
    assert preview.context["result"].created == 2 and SurveyResponse.objects.count() == 0
    assert "Call me on [phone]" in preview.content.decode()
    stored = upload(admin_client, CSV, confirm=True)
    assert stored.status_code == 302
    assert sorted(SurveyResponse.objects.values_list("external_id", "score")) == [("t1", 5), ("t2", 9)]
    assert sorted(SurveyResponse.objects.get(external_id="t1").tags.values_list("name", flat=True)) == ["easy", "fast"]
    again = upload(admin_client, CSV, confirm=False)
    assert again.context["result"].already_stored == 2


def test_csv_import_names_bad_rows_and_stores_nothing(admin_client, project, service):
    admin_client.project = project
    bad = CSV + "csat,9,2026-03-18T12:00:00Z,typeform,t3,checkout,,\n"
    page = upload(admin_client, bad, confirm=True)
    assert page.status_code == 200
    assert page.context["errors"] == [{"index": 2, "field": "score", "message": "a csat score is between 1 and 5 "
                                                                                "(got 9)."}]
    assert SurveyResponse.objects.count() == 0
    unknown = upload(admin_client, "kind,score,colour\n", confirm=False)
    assert "Unknown columns: colour" in unknown.context["errors"][0]["message"]


def test_incident_page_lists_feedback_for_its_services_during_it(admin_client, project, service):
    from incidents.services import incident_declare
    from tests.factories import ServiceFactory

    other = ServiceFactory(project=project, slug="search", name="Search")
    with time_machine.travel(NOW, tick=False):
        incident = incident_declare(project=project, title="Checkout down", severity="SEV3", services=[service])
    feedback_ingest(project=project, rows=[
        {"service": "checkout", "source": "app_review", "text": "zq-during <b>it</b>",
         "received_at": (NOW + timedelta(minutes=5)).isoformat()},
        {"service": "checkout", "source": "app_review", "text": "zq-before",
         "received_at": (NOW - timedelta(minutes=5)).isoformat()},
        {"service": other.slug, "source": "app_review", "text": "zq-other",
         "received_at": (NOW + timedelta(minutes=5)).isoformat()}])
    html = admin_client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert "User feedback during this incident" in html
    assert "zq-during &lt;b&gt;it&lt;/b&gt;" in html
    assert "zq-before" not in html and "zq-other" not in html


def test_select_all_triage_and_link_run_in_the_background(admin_client, items, project, service,
                                                          django_capture_on_commit_callbacks):
    from incidents.services import incident_declare
    from opsportal.models import BulkActionRun

    incident = incident_declare(project=project, title="Checkout down", severity="SEV3", services=[service])

    def post_all(action, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return act(admin_client, action, items[:1], select_across="1", index="0", **extra)

    post_all("triage_action")
    run = BulkActionRun.objects.get()
    assert (run.operation, run.total, run.done, run.failed) == ("experience.bulk.triage", 4, 4, 0)
    assert set(FeedbackItem.objects.values_list("status", flat=True)) == {FeedbackStatus.TRIAGED}
    form = post_all("link_incident_action")
    assert '<input type="hidden" name="select_across" value="1">' in form.content.decode()
    assert BulkActionRun.objects.count() == 1  # the form step queues nothing
    post_all("link_incident_action", incident=incident.pk, confirm="1")
    run = BulkActionRun.objects.latest("pk")
    assert (run.operation, run.kwargs, run.done, run.failed) == ("experience.bulk.link_incident",
                                                                 {"incident_id": incident.pk}, 4, 0)
    assert FeedbackItem.objects.filter(linked_incident=incident, status=FeedbackStatus.LINKED).count() == 4

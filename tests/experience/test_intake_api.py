"""`POST /api/v1/projects/{slug}/survey-responses/`, `/feedback/`, `/apdex/`: all rows or none, rows named."""

from datetime import timedelta

import pytest

from experience.models import ApdexSample, FeedbackItem, FeedbackStatus, SurveyResponse, Tag
from tests.experience.conftest import NOW, survey

SURVEYS = "/api/v1/projects/shop/survey-responses/"
FEEDBACK = "/api/v1/projects/shop/feedback/"


@pytest.fixture
def api(api_as, operator, service):
    return api_as(operator)


def test_responses_are_stored_with_tags_and_resending_is_idempotent(api):
    rows = [survey("csat", 5, 1, tags=["Checkout", "fast"], channel="in_app"), survey("nps", 0, 2, service=None)]
    first = api.post(SURVEYS, rows, format="json")
    assert first.status_code == 200, first.json()
    assert first.json() == {"received": 2, "created": 2, "already_stored": 0}
    again = api.post(SURVEYS, rows, format="json")
    assert again.json() == {"received": 2, "created": 0, "already_stored": 2}
    assert SurveyResponse.objects.count() == 2
    stored = SurveyResponse.objects.get(kind="csat")
    assert (stored.channel, stored.service.slug) == ("in_app", "checkout")
    assert sorted(stored.tags.values_list("name", flat=True)) == ["checkout", "fast"]
    assert Tag.objects.count() == 2


def test_a_resent_id_with_other_content_is_refused_not_overwritten(api):
    api.post(SURVEYS, [survey("csat", 5, 1)], format="json")
    response = api.post(SURVEYS, [survey("csat", 5, 2), survey("csat", 1, 1)], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 1, "field": "external_id", "message":
                                          "delighted:csat-1 is already stored with another score; "
                                          "an external id names one response."}]
    assert list(SurveyResponse.objects.values_list("external_id", "score")) == [("csat-1", 5)]


def test_each_bad_row_and_field_is_named_and_nothing_is_stored(api):
    rows = [
        survey("csat", 5, 1),
        survey("csat", 6, 2),  # out of range for CSAT
        survey("nps", 11, 3),
        survey("ces", 0, 4),
        {**survey("csat", 3, 5), "submitted_at": "2026-03-18 12:00"},  # no zone
        {**survey("bogus", 3, 6)},
        {**survey("csat", 3, 7), "service": "nope", "color": "red"},
        survey("csat", 4, 1),  # repeats row 0's id
        "not an object",
    ]
    response = api.post(SURVEYS, rows, format="json")
    assert response.status_code == 400
    errors = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(1, "score"), (2, "score"), (3, "score"), (4, "submitted_at"), (5, "kind"), (6, "color"),
                      (6, "service"), (7, "external_id"), (8, "row")}
    messages = {(e["index"], e["field"]): e["message"] for e in response.json()["errors"]}
    assert messages[(1, "score")] == "a csat score is between 1 and 5 (got 6)."
    assert messages[(2, "score")] == "a nps score is between 0 and 10 (got 11)."
    assert SurveyResponse.objects.count() == 0


def test_exact_range_edges_are_accepted(api):
    rows = [survey("csat", 1, 1), survey("csat", 5, 2), survey("nps", 0, 3), survey("nps", 10, 4),
            survey("ces", 1, 5), survey("ces", 7, 6)]
    assert api.post(SURVEYS, rows, format="json").json()["created"] == 6


def test_list_limits_and_shape(api):
    too_many = api.post(SURVEYS, [survey("csat", 5, i) for i in range(5001)], format="json")
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["message"] == "At most 5,000 rows per request (got 5,001)."
    assert api.post(SURVEYS, {"kind": "csat"}, format="json").status_code == 400
    assert api.post(SURVEYS, [], format="json").status_code == 400
    assert SurveyResponse.objects.count() == 0


def test_five_thousand_rows_in_one_request(api, django_assert_max_num_queries):
    rows = [survey("csat", 1 + i % 5, i, tags=["bulk"]) for i in range(5000)]
    # Batched lookups and inserts (SQLite caps variables per statement): ~90, never one per row.
    with django_assert_max_num_queries(100):
        response = api.post(SURVEYS, rows, format="json")
    assert response.json()["created"] == 5000
    assert SurveyResponse.objects.filter(tags__name="bulk").count() == 5000


def test_feedback_intake(api):
    rows = [{"service": "checkout", "source": "app_review", "text": "Payment spins forever", "severity": "high",
             "received_at": NOW.isoformat(), "tags": ["payment"], "external_id": "r-1",
             "external_url": "https://play.example.com/r/1"},
            {"service": "checkout", "source": "internal", "text": "Search is slow", "received_at": NOW.isoformat()}]
    assert api.post(FEEDBACK, rows, format="json").json() == {"received": 2, "created": 2, "already_stored": 0}
    assert api.post(FEEDBACK, rows[:1], format="json").json()["already_stored"] == 1
    assert FeedbackItem.objects.count() == 2
    assert set(FeedbackItem.objects.values_list("status", flat=True)) == {FeedbackStatus.NEW}
    bad = api.post(FEEDBACK, [{"service": "checkout", "source": "tweet", "text": "",
                               "received_at": NOW.isoformat(), "external_url": "javascript:alert(1)"}], format="json")
    assert {(e["index"], e["field"]) for e in bad.json()["errors"]} == {(0, "source"), (0, "text"),
                                                                         (0, "external_url")}


def test_apdex_counts_are_pushed_and_replaced(api):
    row = {"service": "checkout", "start": "2026-03-18T11:00:00Z", "end": "2026-03-18T12:00:00Z",
           "threshold_ms": 300, "satisfied": 600, "tolerating": 300, "frustrated": 100}
    assert api.post("/api/v1/projects/shop/apdex/", [row], format="json").json() == {"stored": 1}
    api.post("/api/v1/projects/shop/apdex/", [{**row, "satisfied": 700}], format="json")
    assert list(ApdexSample.objects.values_list("satisfied", flat=True)) == [700]
    bad = api.post("/api/v1/projects/shop/apdex/", [{**row, "satisfied": -1, "end": row["start"]}], format="json")
    assert {(e["index"], e["field"]) for e in bad.json()["errors"]} == {(0, "satisfied"), (0, "end")}


def test_viewers_cannot_post_and_other_projects_are_404(api_as, viewer, service):
    from tests.factories import ProjectFactory

    assert api_as(viewer).post(SURVEYS, [survey("csat", 5, 1)], format="json").status_code == 403
    assert api_as(viewer).post("/api/v1/projects/nope/feedback/", [], format="json").status_code == 404
    ProjectFactory(slug="other")
    assert SurveyResponse.objects.count() == 0


def test_scores_per_channel_and_week_through_the_api(api_as, viewer, project, service):
    import time_machine

    from experience.services import survey_responses_ingest

    survey_responses_ingest(project=project, rows=[survey("nps", s, i, channel=c, at=NOW - timedelta(hours=1))
                                                   for i, (s, c) in enumerate(
        [(10, "email"), (9, "email"), (0, "email"), (3, "in_app")])])
    client = api_as(viewer)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/api/v1/projects/shop/experience/scores/",
                          {"kind": "nps", "period": "week", "group_by": "channel", "from": "2026-03-16"}).json()
        bad = client.get("/api/v1/projects/shop/experience/scores/", {"kind": "nps", "group_by": "colour"})
    assert [(r["channel"], r["value"], r["responses"], r["status"]) for r in body["scores"]] == [
        ("email", 33, 3, "OK"), ("in_app", -100, 1, "OK")]
    assert bad.status_code == 400 and "group_by" in bad.json()

"""Email addresses and phone numbers are masked on intake; stored text is plain and rendered escaped."""

import pytest

from experience.masking import mask_personal_data
from experience.models import FeedbackItem, SurveyResponse
from experience.services import feedback_ingest, respondent_hash, survey_responses_ingest
from tests.experience.conftest import NOW, survey


@pytest.mark.parametrize(("text", "masked"), [
    ("write to jane.doe+shop@example.co.uk please", "write to [email] please"),
    ("call +44 20 7946 0958 today", "call [phone] today"),
    ("or (555) 123-4567.", "or [phone]."),
    ("mobile 0612345678", "mobile [phone]"),
    ("+49 30 901820", "[phone]"),
    # Not phone numbers: dates, times, short numbers, versions.
    ("failed on 2026-11-26 at 12:30, order 1234", "failed on 2026-11-26 at 12:30, order 1234"),
    ("version 1.2.3.4 build 12345678", "version 1.2.3.4 build 12345678"),
])
def test_mask_personal_data(text, masked):
    assert mask_personal_data(text) == masked


def test_intake_masks_comments_and_feedback_and_hashes_the_respondent(project, service):
    survey_responses_ingest(project=project, rows=[survey(
        "csat", 2, 1, comment="Slow checkout. Mail me: bob@example.com or +1 415 555 2671",
        respondent="Bob@Example.com ")])
    feedback_ingest(project=project, rows=[{
        "service": "checkout", "source": "support_ticket", "received_at": NOW.isoformat(),
        "text": "Customer alice@example.org (tel 020 7946 0958) cannot pay"}])
    response = SurveyResponse.objects.get()
    assert response.comment == "Slow checkout. Mail me: [email] or [phone]"
    assert response.respondent_hash == respondent_hash("bob@example.com")
    assert "bob" not in response.respondent_hash and len(response.respondent_hash) == 64
    assert FeedbackItem.objects.get().text == "Customer [email] (tel [phone]) cannot pay"


def test_feedback_text_is_rendered_escaped_in_the_admin(client, manager, project, service):
    from django.http import HttpRequest

    feedback_ingest(project=project, rows=[{
        "service": "checkout", "source": "app_review", "received_at": NOW.isoformat(),
        "text": "<script>alert('x')</script> broken"}])
    item = FeedbackItem.objects.get()
    assert item.text == "<script>alert('x')</script> broken"  # stored as plain text
    client.login(request=HttpRequest(), username="manager", password="pw-for-tests")
    body = client.get(f"/admin/experience/feedbackitem/{item.pk}/change/").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; broken" in body

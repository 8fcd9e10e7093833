"""Review findings: feedback bursts (daily alert_triage); weekly drops, negative tags, untriaged items."""

from datetime import timedelta

import pytest

from experience.models import FeedbackItem
from experience.review_findings import findings
from experience.services import feedback_ingest, survey_responses_ingest
from tests.experience.conftest import NOW, survey

DAY = timedelta(days=1)
START = NOW.replace(hour=0)  # the daily review's period: the day of NOW


def feedback(project, moments, *, service="checkout", severity="low", tags=(), prefix="f"):
    feedback_ingest(project=project, rows=[
        {"service": service, "source": "support_ticket", "text": f"item {i}", "received_at": at.isoformat(),
         "severity": severity, "tags": list(tags), "external_id": f"{prefix}{i}"} for i, at in enumerate(moments)])


def daily(project):
    return findings(project=project, cadence="daily", period_start=START, period_end=START + DAY, now=NOW)


def test_ten_items_within_fifteen_minutes_is_a_burst(project, service):
    # 10 items, the first and the last exactly 15 minutes apart (ends included).
    feedback(project, [NOW + timedelta(seconds=100 * i) for i in range(9)] + [NOW + timedelta(minutes=15)])
    [finding] = daily(project)
    assert finding["item"] == "alert_triage" and finding["severity"] == "warning"
    assert finding["text"].startswith("Feedback burst on Checkout: 10 items within 15 minutes (2026-03-18 12:00-12:15")


def test_nine_items_or_a_wider_spread_is_no_burst(project, service):
    feedback(project, [NOW + timedelta(minutes=i) for i in range(9)])
    feedback(project, [NOW + timedelta(hours=2, seconds=101 * i) for i in range(9)]
             + [NOW + timedelta(hours=2, minutes=15, seconds=1)], prefix="g")
    assert daily(project) == []


def test_burst_size_is_configurable(project, service, settings):
    settings.OPSPORTAL_FEEDBACK_BURST_COUNT = 3
    settings.OPSPORTAL_FEEDBACK_BURST_MINUTES = 5
    feedback(project, [NOW, NOW + timedelta(minutes=2), NOW + timedelta(minutes=5)])
    assert "3 items within 5 minutes" in daily(project)[0]["text"]


def weekly(project):
    return findings(project=project, cadence="weekly", period_start=NOW - 7 * DAY, period_end=NOW, now=NOW)


def test_weekly_drop_against_the_previous_four_weeks(project, service):
    baseline = [survey("csat", 5 if i % 10 else 2, f"b{i}", at=NOW - 20 * DAY + timedelta(hours=i)) for i in range(40)]
    week = [survey("csat", 5 if i % 2 else 2, f"w{i}", at=NOW - 2 * DAY + timedelta(hours=i)) for i in range(10)]
    nps = [survey("nps", 10, f"n{i}", at=NOW - 20 * DAY) for i in range(4)] + [survey("nps", 10, "n9", at=NOW - DAY)]
    survey_responses_ingest(project=project, rows=baseline + week + nps)
    [drop] = weekly(project)
    assert drop["item"] == "slo_review" and drop["severity"] == "warning"
    assert drop["text"] == ("CSAT of checkout fell to 50.0% (10 responses) from 90.0% over the previous 4 weeks "
                            "(40 responses): down 40.0 points.")


def test_no_baseline_is_no_drop(project, service):
    survey_responses_ingest(project=project, rows=[survey("csat", 1, "w", at=NOW - DAY)])
    assert weekly(project) == []


def test_top_negative_tags_and_untriaged_items(project, service):
    feedback(project, [NOW - DAY] * 3, severity="high", tags=["payment"], prefix="p")
    feedback(project, [NOW - DAY], severity="medium", tags=["search", "payment"], prefix="s")
    feedback(project, [NOW - DAY] * 5, severity="low", tags=["praise"], prefix="l")
    feedback(project, [NOW - 4 * DAY, NOW - 3 * DAY + timedelta(minutes=1)], prefix="old")
    FeedbackItem.objects.filter(external_id="p0").update(status="triaged", triaged_at=NOW)
    tags, untriaged = weekly(project)
    assert tags["text"] == "Top tags of this week's negative feedback: payment (4), search (1)."
    # 4 days old, untriaged: counted; 3 days minus a minute: not yet; triaged: not.
    assert untriaged["text"] == "1 feedback item(s) untriaged for more than 3 days."


@pytest.mark.parametrize("cadence", ["monthly", "quarterly"])
def test_other_cadences_have_no_findings(project, service, cadence):
    feedback(project, [NOW] * 12)
    assert findings(project=project, cadence=cadence, period_start=START, period_end=START + DAY, now=NOW) == []

"""The demo data seeds a story for the UX dashboard and reviews, and re-running it stores nothing twice."""

from datetime import UTC, datetime, timedelta

import time_machine

from experience import demo
from experience.models import ApdexSample, FeedbackItem, SurveyResponse
from experience.review_findings import findings
from slos.models import SLIMeasurement
from tests.factories import ServiceFactory

NOW = datetime(2026, 3, 18, 12, 30, tzinfo=UTC)


def test_demo_is_idempotent_and_tells_its_story(project, service):
    services = {"checkout": service, **{slug: ServiceFactory(project=project, slug=slug, name=slug.title())
                                        for slug in ("search", "payments")}}
    context = {"project": project, "services": services}
    with time_machine.travel(NOW, tick=False):
        demo.seed(context)
        counts = (SurveyResponse.objects.count(), FeedbackItem.objects.count(), ApdexSample.objects.count(),
                  SLIMeasurement.objects.count())
        demo.seed(context)
    assert (SurveyResponse.objects.count(), FeedbackItem.objects.count(), ApdexSample.objects.count(),
            SLIMeasurement.objects.count()) == counts
    assert counts[0] == 2 * 2 * 28 * 8 and counts[3] > 0
    day = NOW.replace(hour=0, minute=0)
    daily = findings(project=project, cadence="daily", period_start=day - timedelta(days=1), period_end=day, now=NOW)
    assert [f["item"] for f in daily] == ["alert_triage"] and "Payments" in daily[0]["text"]
    weekly = findings(project=project, cadence="weekly", period_start=day - timedelta(days=7), period_end=day,
                      now=NOW)
    texts = " | ".join(f["text"] for f in weekly)
    assert "CSAT of checkout fell" in texts and "untriaged for more than 3 days" in texts
    assert "payment (12)" in texts

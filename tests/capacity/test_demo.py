"""capacity.demo: idempotent, relative to the seeding clock, and it tells its story in the reviews."""

from datetime import timedelta

import time_machine

from capacity import demo, gates, review_findings
from capacity.models import PerformanceSample, ResourceRollup, ResourceSample
from tests.factories import ServiceFactory


def counts():
    return (ResourceSample.objects.count(), ResourceRollup.objects.count(), PerformanceSample.objects.count())


def test_demo_is_idempotent_and_tells_its_story(project, now):
    services = {slug: ServiceFactory(project=project, slug=slug, name=slug.title())
                for slug in ("checkout", "payments", "search")}
    with time_machine.travel(now, tick=False):
        demo.seed({"services": services})
        first = counts()
        demo.seed({"services": services})
        assert counts() == first
    assert first[0] == 3 * (35 * 24 + 1)
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        demo.seed({"services": services})
        assert counts()[0] == first[0] + 3 * 2  # tops up the missing hours only
    period = {"project": project, "period_start": now - timedelta(days=1), "period_end": now, "now": now}
    daily = review_findings.findings(cadence="daily", **period)
    assert [(f["severity"], f["text"].split(":")[0]) for f in daily] == [
        ("warning", "shop/payments/db connection pool")]
    monthly = review_findings.findings(cadence="monthly", **period)
    assert [f["text"].split(":")[0] for f in monthly] == ["shop/checkout/orders-db disk"]
    [gate] = gates.evaluate(project, now=now)
    assert gate["result"] == "FAIL" and "orders-db disk" in gate["reason"]
    week_end = now.replace(hour=0, minute=0)
    weekly = review_findings.findings(cadence="weekly", project=project, period_start=week_end - timedelta(days=7),
                                      period_end=week_end, now=now)
    assert len(weekly) == 1 and weekly[0]["text"].startswith("shop/checkout: regression")

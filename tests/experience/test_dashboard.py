"""The UX dashboard and its API twin: the numbers, NO_DATA gaps, incident markers, constant queries."""

from datetime import timedelta

import time_machine

from experience.apdex import apdex_samples_ingest
from experience.services import feedback_ingest, survey_responses_ingest
from tests.experience.conftest import NOW, survey
from tests.factories import ServiceFactory

DAY = timedelta(days=1)


def seed(project, now, *, services=("checkout",)):
    """Three days of answers for each service, feedback with tags, Apdex counts, an incident two days ago."""
    from incidents.services import incident_declare

    rows, feedback = [], []
    for slug in services:
        for d in (1, 2, 3):
            at = now - d * DAY
            rows += [survey("csat", s, f"{slug}-c{d}-{i}", at=at, service=slug) for i, s in enumerate([5, 4, 3, 5, 1])]
            rows += [survey("nps", s, f"{slug}-n{d}-{i}", at=at, service=slug)
                     for i, s in enumerate([10, 9, 8, 7, 6, 0, 10])]
        feedback += [{"service": slug, "source": "app_review", "text": f"{slug} {i}", "tags": ["slow"],
                      "received_at": (now - DAY).isoformat(), "severity": "high"} for i in range(3)]
        apdex_samples_ingest(project=project, rows=[{
            "service": slug, "start": (now - DAY - timedelta(hours=1)).isoformat(), "end": (now - DAY).isoformat(),
            "threshold_ms": 300, "satisfied": 600, "tolerating": 300, "frustrated": 100}])
    survey_responses_ingest(project=project, rows=rows)
    feedback_ingest(project=project, rows=feedback + [{"service": services[0], "source": "internal", "text": "x",
                                                       "received_at": (now - DAY).isoformat()}])
    checkout = project.services.get(slug=services[0])
    with time_machine.travel(now - 2 * DAY, tick=False):
        incident_declare(project=project, title="Payments failing", severity="SEV3", services=[checkout])


def test_api_twin_returns_the_numbers(api_as, viewer, project, service):
    seed(project, NOW)
    with time_machine.travel(NOW, tick=False):
        body = api_as(viewer).get("/api/v1/projects/shop/dashboards/ux/?from=2026-03-11&to=2026-03-17").json()
    assert body["days"] == [f"2026-03-{d}" for d in range(11, 18)]
    [svc] = body["services"]
    # Worked examples per day: CSAT 60%, NPS 14; days without answers are gaps (null), never 0.
    assert svc["csat_percent"] == [None, None, None, None, "60.0", "60.0", "60.0"]
    assert svc["nps"] == [None, None, None, None, 14, 14, 14]
    assert svc["csat_responses"] == [0, 0, 0, 0, 5, 5, 5]
    assert svc["apdex"] == [{"threshold_ms": 300, "apdex": [None] * 6 + ["0.75"], "requests": [0] * 6 + [1000]}]
    assert svc["incident_days"] == [False] * 5 + [True, False]
    assert body["distributions"]["csat"] == {"1": 3, "2": 0, "3": 3, "4": 3, "5": 6}
    assert body["feedback_by_tag"] == [
        {"tag": "slow", "new": 3, "triaged": 0, "linked": 0, "closed": 0, "total": 3},
        {"tag": "(untagged)", "new": 1, "triaged": 0, "linked": 0, "closed": 0, "total": 1}]
    assert [i["title"] for i in body["incidents"]] == ["Payments failing"]


def test_admin_page_draws_with_constant_queries(client, viewer, project, service, django_assert_max_num_queries):
    seed(project, NOW)
    client.force_login(viewer)
    with time_machine.travel(NOW, tick=False):
        with django_assert_max_num_queries(30) as one_service:
            page = client.get("/admin/dashboards/ux/?project=shop")
        html = page.content.decode()
        assert page.status_code == 200
        # CSAT, NPS, responses, Apdex for checkout; CSAT and NPS distributions; feedback by tag.
        assert html.count('data-opsportal-chart="') == 4 + 2 + 1
        assert "Checkout: CSAT per day" in html and "Payments failing" in html
        for i in range(3):
            ServiceFactory(project=project, slug=f"svc{i}", name=f"Service {i}")
        seed(project, NOW - 5 * DAY, services=("svc0", "svc1", "svc2"))
        with django_assert_max_num_queries(len(one_service.captured_queries)):
            page = client.get("/admin/dashboards/ux/?project=shop")
    assert page.content.decode().count('data-opsportal-chart="') == 4 * 4 + 2 + 1


def test_another_projects_dashboard_is_404(api_as, operator, service):
    from opsportal.access.models import ProjectMembership
    from tests.factories import ProjectFactory

    other = ProjectFactory(slug="other")
    ProjectMembership.objects.filter(project=other, user=operator).delete()
    assert api_as(operator).get("/api/v1/projects/other/dashboards/ux/").status_code == 404

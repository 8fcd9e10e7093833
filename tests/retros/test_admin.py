"""Admin flows: scheduling retros from the admin, pages render for each role."""

from datetime import date

import pytest

from retros.models import RetroSeries
from retros.services import review_create_for_period, schedule_retros
from tests.factories import ProjectFactory


@pytest.fixture
def shop(db):
    return ProjectFactory(slug="admin-shop", time_zone="Europe/Berlin")


def test_admin_add_series_runs_schedule_retros(shop, client, operator):
    client.force_login(operator)
    data = {"project": shop.pk, "cadence": "monthly", "start": "2027-01-31", "count": "3", "facilitator": ""}
    response = client.post("/admin/retros/retroseries/add/", data)
    assert response.status_code == 302, response.content[:3000]
    series = RetroSeries.objects.get()
    assert [r.scheduled_start.astimezone(series.zone).day for r in series.retros.order_by("sequence")] == [31, 28, 31]
    again = client.post("/admin/retros/retroseries/add/", data, follow=True)
    assert b"The same request was scheduled before" in again.content
    assert RetroSeries.objects.count() == 1
    clash = client.post("/admin/retros/retroseries/add/", {**data, "start": "2027-02-15"})
    assert clash.status_code == 200 and f"#{series.pk}".encode() in clash.content
    bad = client.post("/admin/retros/retroseries/add/", {**data, "start": "31.01.2027"})
    assert bad.status_code == 200 and b"start must be a date" in bad.content
    assert RetroSeries.objects.count() == 1


@pytest.mark.parametrize("role", ["viewer", "operator", "manager"])
def test_admin_pages_render_for_every_role(shop, client, request, role, contributors):
    user = request.getfixturevalue(role)
    series, _ = schedule_retros(project=shop, start="2027-01-04", cadence="weekly", count=2)
    review, _ = review_create_for_period(project=shop, cadence="quarterly", period_start=date(2027, 1, 1))
    client.force_login(user)
    for url in [
        "/admin/retros/retroseries/", f"/admin/retros/retroseries/{series.pk}/change/",
        "/admin/retros/retrospective/", f"/admin/retros/retrospective/{series.retros.first().pk}/change/",
        "/admin/retros/operationalreview/", f"/admin/retros/operationalreview/{review.pk}/change/",
        "/admin/retros/operationalreview/?overdue=no&cadence=quarterly", "/admin/",
    ]:
        assert client.get(url).status_code == 200, url
    series_page = client.get(f"/admin/retros/retroseries/{series.pk}/change/").content.decode()
    assert f"/api/v1/retro-series/{series.pk}/cadence.json" in series_page
    review_page = client.get(f"/admin/retros/operationalreview/{review.pk}/change/").content.decode()
    assert "Strategic review" in review_page and "quarter_start" in review_page

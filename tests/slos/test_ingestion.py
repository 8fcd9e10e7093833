"""Push ingestion: POST /api/v1/slos/{id}/measurements/ stores all rows or none."""

import logging

import pytest
from django.utils import timezone

from slos.models import SLIMeasurement
from slos.services import MAX_ROWS


def rows(n, start_minute=0, good=99, total=100):
    return [
        {"start": f"2026-11-26T{(start_minute + i) // 60:02d}:{(start_minute + i) % 60:02d}:00Z",
         "end": f"2026-11-26T{(start_minute + i + 1) // 60:02d}:{(start_minute + i + 1) % 60:02d}:00Z",
         "good": good, "total": total}
        for i in range(n)
    ]


def url(slo):
    return f"/api/v1/slos/{slo.pk}/measurements/"


def test_valid_rows_are_all_stored(api_as, operator, make_slo):
    slo = make_slo()
    response = api_as(operator).post(url(slo), rows(3), format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"received": 3, "created": 3, "replaced": 0}
    assert list(SLIMeasurement.objects.filter(slo=slo).order_by("start").values_list("good", "total")) == [
        (99, 100)] * 3


def test_resending_an_interval_replaces_it_and_logs_the_replacement(api_as, operator, make_slo, caplog):
    slo = make_slo()
    client = api_as(operator)
    client.post(url(slo), rows(2), format="json")
    with caplog.at_level(logging.INFO, logger="slos.services.ingestion"):
        response = client.post(url(slo), rows(1, good=50), format="json")
    assert response.json() == {"received": 1, "created": 0, "replaced": 1}
    first = SLIMeasurement.objects.filter(slo=slo).order_by("start").first()
    assert (first.good, first.total) == (50, 100)
    assert SLIMeasurement.objects.filter(slo=slo).count() == 2
    assert "replaced by operator: good/total 99/100 -> 50/100" in caplog.text


def test_any_bad_row_stores_nothing_and_names_each_row_and_field(api_as, operator, make_slo):
    slo = make_slo()
    body = rows(6)
    body[1]["good"] = 101  # more good than total
    body[2]["end"] = body[2]["start"]  # empty interval
    body[3]["total"] = -1
    body[4]["start"] = "yesterday"
    del body[5]["good"]
    body.append(dict(body[0]))  # the same interval twice
    response = api_as(operator).post(url(slo), body, format="json")
    assert response.status_code == 400
    errors = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(1, "good"), (2, "end"), (3, "total"), (4, "start"), (5, "good"), (6, "start")}
    assert not SLIMeasurement.objects.exists()


@pytest.mark.parametrize("body", [{"start": "x"}, [], "text", [1, 2]])
def test_malformed_bodies_are_400(api_as, operator, make_slo, body):
    response = api_as(operator).post(url(make_slo()), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]


def test_naive_timestamps_are_refused(api_as, operator, make_slo):
    body = [{"start": "2026-11-26T10:00:00", "end": "2026-11-26T10:01:00", "good": 1, "total": 1}]
    response = api_as(operator).post(url(make_slo()), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "start"


def test_error_rate_slos_accept_bad_and_total(api_as, operator, make_slo):
    slo = make_slo(sli_kind="error_rate")
    body = [{"start": "2026-11-26T10:00:00+01:00", "end": "2026-11-26T10:05:00+01:00", "bad": 3, "total": 40}]
    response = api_as(operator).post(url(slo), body, format="json")
    assert response.status_code == 200
    stored = SLIMeasurement.objects.get(slo=slo)
    assert (stored.good, stored.total, stored.start.hour) == (37, 40, 9)
    # Availability SLOs do not take `bad`.
    other = make_slo()
    response = api_as(operator).post(url(other), body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "bad"


def test_at_most_ten_thousand_rows_per_request(api_as, operator, make_slo):
    slo = make_slo()
    too_many = [{"start": "2026-11-26T10:00:00Z", "end": "2026-11-26T10:01:00Z", "good": 1, "total": 1}] * (
        MAX_ROWS + 1)
    response = api_as(operator).post(url(slo), too_many, format="json")
    assert response.status_code == 400
    assert "10000" in response.json()["errors"][0]["message"]


def test_ten_thousand_rows_in_one_request(api_as, operator, make_slo):
    slo = make_slo()
    body = [
        {"start": f"2026-10-{1 + i // 1440:02d}T{(i % 1440) // 60:02d}:{i % 60:02d}:00Z",
         "end": f"2026-10-{1 + i // 1440:02d}T{(i % 1440) // 60:02d}:{i % 60:02d}:59Z", "good": 9, "total": 10}
        for i in range(MAX_ROWS)
    ]
    response = api_as(operator).post(url(slo), body, format="json")
    assert response.status_code == 200, response.json()
    assert SLIMeasurement.objects.filter(slo=slo).count() == MAX_ROWS


def test_viewers_cannot_push(api_as, viewer, make_slo):
    response = api_as(viewer).post(url(make_slo()), rows(1), format="json")
    assert response.status_code == 403
    assert not SLIMeasurement.objects.exists()


def test_ingestion_refreshes_the_snapshot_after_commit(api_as, operator, make_slo, django_capture_on_commit_callbacks):
    slo = make_slo()
    now_rows = rows(1, good=100)
    stamp = timezone.now().replace(second=0, microsecond=0) - timezone.timedelta(minutes=2)
    now_rows[0]["start"] = stamp.isoformat()
    now_rows[0]["end"] = (stamp + timezone.timedelta(minutes=1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        api_as(operator).post(url(slo), now_rows, format="json")
    slo.refresh_from_db()
    assert slo.status == "PASS"
    assert slo.last_sli == 100

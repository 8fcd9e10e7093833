"""schedule_retros: service, command, API; idempotence, overlap refusal, JSON schema, evidence."""

import json
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from opsportal.models import EvidenceRecord
from retros.models import RetroSeries, Retrospective
from retros.services import cadence_document, schedule_retros
from tests.factories import ProjectFactory, UserFactory

SCHEMA = json.loads((Path(__file__).parents[2] / "retros" / "schemas" / "retro-cadence.schema.json").read_text())


def assert_valid_cadence_json(document):
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    for retro in document["retros"]:
        assert datetime.fromisoformat(retro["scheduled_start"]).utcoffset() is not None


@pytest.fixture
def berlin(db):
    return ProjectFactory(slug="berlin-shop", time_zone="Europe/Berlin")


def test_schedule_creates_series_retros_and_evidence(berlin):
    lead = UserFactory(username="lead")
    series, created = schedule_retros(project=berlin, start="2027-01-31", cadence="monthly", count=3,
                                      facilitator=lead, actor=lead)
    assert created
    starts = list(series.retros.order_by("sequence").values_list("scheduled_start", flat=True))
    local = [s.astimezone(series.zone).isoformat() for s in starts]
    assert local == ["2027-01-31T10:00:00+01:00", "2027-02-28T10:00:00+01:00", "2027-03-31T10:00:00+02:00"]
    assert series.last_start == starts[-1]
    assert set(series.retros.values_list("facilitator__username", flat=True)) == {"lead"}
    evidence = EvidenceRecord.objects.get(project=berlin, kind="retro_cadence")
    assert evidence.payload["series"] == series.pk
    assert [r["scheduled_start"] for r in evidence.payload["retros"]] == local
    assert evidence.payload_intact()


def test_cadence_json_matches_the_schema_and_shows_dst_offsets(berlin):
    series, _ = schedule_retros(project=berlin, start="2027-03-15T10:00", cadence="weekly", count=3)
    document = cadence_document(series)
    assert_valid_cadence_json(document)
    assert document["project"] == "berlin-shop"
    assert document["time_zone"] == "Europe/Berlin"
    assert document["count"] == 3
    assert [r["scheduled_start"] for r in document["retros"]] == [
        "2027-03-15T10:00:00+01:00", "2027-03-22T10:00:00+01:00", "2027-03-29T10:00:00+02:00",
    ]
    assert [r["sequence"] for r in document["retros"]] == [1, 2, 3]
    retro = series.retros.get(sequence=1)
    assert document["retros"][0]["agenda_url"] == f"/api/v1/retros/{retro.pk}/agenda/"


def test_schema_rejects_a_malformed_document(berlin):
    series, _ = schedule_retros(project=berlin, start="2027-03-15", cadence="weekly", count=1)
    document = cadence_document(series)
    document["cadence"] = "daily"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_same_request_twice_creates_nothing_new(berlin):
    first, created_first = schedule_retros(project=berlin, start="2027-01-04", cadence="biweekly", count=6)
    again, created_again = schedule_retros(project=berlin, start="2027-01-04T10:00", cadence="biweekly", count=6)
    assert created_first and not created_again
    assert again.pk == first.pk
    assert RetroSeries.objects.count() == 1
    assert Retrospective.objects.count() == 6
    assert EvidenceRecord.objects.filter(kind="retro_cadence").count() == 1


def test_overlapping_series_is_refused_naming_the_existing_one(berlin):
    existing, _ = schedule_retros(project=berlin, start="2027-01-04", cadence="weekly", count=10)
    with pytest.raises(ValidationError) as exc:
        schedule_retros(project=berlin, start="2027-02-01", cadence="weekly", count=4)
    message = " ".join(exc.value.message_dict["start"])
    assert f"#{existing.pk}" in message and "overlap" in message
    with pytest.raises(ValidationError):  # same start, different count: also an overlap
        schedule_retros(project=berlin, start="2027-01-04", cadence="weekly", count=3)
    assert RetroSeries.objects.count() == 1


def test_other_cadence_other_project_or_after_the_last_retro_is_fine(berlin):
    schedule_retros(project=berlin, start="2027-01-04", cadence="weekly", count=4)
    _, monthly = schedule_retros(project=berlin, start="2027-01-04", cadence="monthly", count=4)
    _, other = schedule_retros(project=ProjectFactory(slug="other"), start="2027-01-04", cadence="weekly", count=4)
    _, later = schedule_retros(project=berlin, start="2027-01-26", cadence="weekly", count=4)
    assert monthly and other and later
    assert RetroSeries.objects.count() == 4


@pytest.mark.parametrize("kwargs, field", [
    ({"start": "2027-02-30", "cadence": "weekly", "count": 3}, "start"),
    ({"start": "2027-02-01", "cadence": "daily", "count": 3}, "cadence"),
    ({"start": "2027-02-01", "cadence": "weekly", "count": 0}, "count"),
    ({"start": "2027-02-01", "cadence": "weekly", "count": 261}, "count"),
    ({"start": "9999-12-01", "cadence": "quarterly", "count": 8}, "start"),
    ({"start": "0001-01-01", "cadence": "monthly", "count": 1}, "start"),
])
def test_bad_input_is_refused_and_writes_nothing(berlin, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        schedule_retros(project=berlin, **kwargs)
    assert field in exc.value.message_dict
    assert not RetroSeries.objects.exists() and not EvidenceRecord.objects.exists()


# --- command ---------------------------------------------------------------------

def test_command_writes_the_cadence_json_to_output(berlin, tmp_path, capsys):
    output = tmp_path / "cadence.json"
    call_command("schedule_retros", "berlin-shop", "--start", "2028-01-31", "--cadence", "monthly",
                 "--count", "3", "--output", str(output))
    document = json.loads(output.read_text())
    assert_valid_cadence_json(document)
    assert [r["scheduled_start"][:10] for r in document["retros"]] == ["2028-01-31", "2028-02-29", "2028-03-31"]
    call_command("schedule_retros", "berlin-shop", "--start", "2028-01-31", "--cadence", "monthly", "--count", "3")
    assert json.loads(capsys.readouterr().out)["series"] == document["series"]
    assert RetroSeries.objects.count() == 1


@pytest.mark.parametrize("args, text", [
    (["berlin-shop", "--start", "2027-13-01", "--cadence", "weekly", "--count", "3"], "start"),
    (["berlin-shop", "--start", "2027-01-01", "--cadence", "fortnightly", "--count", "3"], "cadence"),
    (["berlin-shop", "--start", "2027-01-01", "--cadence", "weekly", "--count", "999"], "count"),
    (["no-such-project", "--start", "2027-01-01", "--cadence", "weekly", "--count", "3"], "project"),
])
def test_command_bad_input_exits_with_code_2(berlin, args, text):
    with pytest.raises(CommandError) as exc:
        call_command("schedule_retros", *args)
    assert exc.value.returncode == 2
    assert text in str(exc.value)


def test_command_refuses_an_overlap_with_exit_2(berlin):
    call_command("schedule_retros", "berlin-shop", "--start", "2027-01-04", "--cadence", "weekly", "--count", "8",
                 "--output", "/dev/null")
    with pytest.raises(CommandError) as exc:
        call_command("schedule_retros", "berlin-shop", "--start", "2027-01-11", "--cadence", "weekly", "--count", "2")
    assert exc.value.returncode == 2 and "overlap" in str(exc.value)


# --- API ---------------------------------------------------------------------------

def test_api_schedule_create_then_identical_then_overlap(berlin, operator, api_as):
    client = api_as(operator)
    url = "/api/v1/projects/berlin-shop/retro-schedules/"
    body = {"start": "2027-03-15T10:00", "cadence": "weekly", "count": 3, "facilitator": "operator"}
    created = client.post(url, body, format="json")
    assert created.status_code == 201, created.content
    document = created.json()
    assert_valid_cadence_json(document)
    assert document["retros"][0]["facilitator"] == "operator"
    assert document["retros"][0]["agenda_url"].startswith("http://testserver/api/v1/retros/")
    again = client.post(url, body, format="json")
    assert again.status_code == 200 and again.json()["series"] == document["series"]
    clash = client.post(url, {**body, "start": "2027-03-22"}, format="json")
    assert clash.status_code == 400 and f"#{document['series']}" in clash.json()["start"][0]


@pytest.mark.parametrize("body, field", [
    ({"start": "2027-02-30", "cadence": "weekly", "count": 3}, "start"),
    ({"start": "2027-02-01", "cadence": "hourly", "count": 3}, "cadence"),
    ({"start": "2027-02-01", "cadence": "weekly", "count": 0}, "count"),
    ({"start": "2027-02-01", "cadence": "weekly"}, "count"),
    ({"start": "2027-02-01", "cadence": "weekly", "count": 2, "facilitator": "ghost"}, "facilitator"),
])
def test_api_schedule_bad_input_is_400_naming_the_field(berlin, operator, api_as, body, field):
    response = api_as(operator).post("/api/v1/projects/berlin-shop/retro-schedules/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not RetroSeries.objects.exists()


def test_api_schedule_permissions_and_unknown_project(berlin, viewer, operator, api_as):
    body = {"start": "2027-02-01", "cadence": "weekly", "count": 2}
    assert api_as(viewer).post("/api/v1/projects/berlin-shop/retro-schedules/", body).status_code == 403
    assert api_as(operator).post("/api/v1/projects/nope/retro-schedules/", body).status_code == 404


def test_api_cadence_json_and_series_list_detail(berlin, viewer, api_as):
    series, _ = schedule_retros(project=berlin, start="2027-01-31", cadence="monthly", count=2)
    client = api_as(viewer)
    cadence = client.get(f"/api/v1/retro-series/{series.pk}/cadence.json")
    assert cadence.status_code == 200
    assert_valid_cadence_json(cadence.json())
    assert cadence.json()["retros"][1]["scheduled_start"] == "2027-02-28T10:00:00+01:00"
    listing = client.get("/api/v1/retro-series/", {"project": "berlin-shop"})
    assert [row["id"] for row in listing.json()["results"]] == [series.pk]
    detail = client.get(f"/api/v1/retro-series/{series.pk}/")
    assert detail.json()["start"] == "2027-01-31T10:00:00+01:00" and detail.json()["retro_count"] == 2
    assert client.get("/api/v1/retro-series/999999/cadence.json").status_code == 404

"""`POST /api/v1/schedules/`, `.../oncall/?at=`, `.../shifts/?from=&to=`: shapes, errors, access."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall.models import OnCallSchedule
from oncall.services import override_create
from tests.factories import ProjectFactory, UserFactory
from tests.memberships import member

URL = "/api/v1/schedules/"


def body(**overrides):
    data = {"project": "shop", "name": "Primary", "time_zone": "Europe/Berlin", "layers": [
        {"name": "Office", "participants": ["alice", "bob"], "rotation": "weekly",
         "first_handoff": "2026-03-23T09:00", "restrict_weekdays": [1, 2, 3, 4, 5],
         "restrict_start": "09:00", "restrict_end": "17:00"},
        {"name": "Nights", "participants": ["night1", "night2"], "rotation": "hours", "shift_hours": 12,
         "first_handoff": "2026-03-23T09:00"},
    ]}
    data.update(overrides)
    return data


def test_manager_creates_a_schedule_and_asks_who_is_on_call(api_as, manager, project, people):
    client = api_as(manager)
    response = client.post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["project"] == "shop"
    assert created["layers"][0] == {
        "name": "Office", "position": 0, "participants": ["alice", "bob"], "rotation": "weekly", "shift_hours": None,
        "first_handoff": "2026-03-23T09:00:00", "restrict_weekdays": [1, 2, 3, 4, 5],
        "restrict_start": "09:00:00", "restrict_end": "17:00:00"}
    assert created["layers"][1]["participants"] == ["night1", "night2"]

    oncall = client.get(f"{URL}{created['id']}/oncall/", {"at": "2026-04-01T12:00:00+02:00"}).json()
    assert oncall["oncall"] == "bob"
    assert oncall["layers"][0] == {"name": "Office", "position": 0, "oncall": "bob",
                                   "shift_start": "2026-04-01T07:00:00+00:00",
                                   "shift_end": "2026-04-01T15:00:00+00:00"}
    assert oncall["layers"][1]["oncall"] == "night1"  # (9 days * 2 shifts) % 2 == 0, +0 at 12:00 local
    night = client.get(f"{URL}{created['id']}/oncall/", {"at": "2026-04-01T22:00:00+02:00"}).json()
    assert night["oncall"] == "night2" and night["layers"][0]["oncall"] is None and night["override"] is None


def test_shifts_lists_layers_overrides_and_the_final_answer(api_as, manager, project, people):
    client = api_as(manager)
    created = client.post(URL, body(), format="json").json()
    schedule = OnCallSchedule.objects.get(pk=created["id"])
    from datetime import datetime
    from zoneinfo import ZoneInfo
    berlin = ZoneInfo("Europe/Berlin")
    override_create(schedule=schedule, user=people["dave"], start=datetime(2026, 4, 1, 10, tzinfo=berlin),
                    end=datetime(2026, 4, 1, 11, tzinfo=berlin))
    response = client.get(f"{URL}{schedule.pk}/shifts/", {"from": "2026-04-01T00:00:00+02:00",
                                                          "to": "2026-04-02T00:00:00+02:00"})
    assert response.status_code == 200
    data = response.json()
    assert [s["user"] for s in data["layers"][0]["shifts"]] == ["bob"]
    assert [(s["user"], s["start"], s["end"]) for s in data["final"]] == [
        ("night2", "2026-03-31T22:00:00+00:00", "2026-04-01T07:00:00+00:00"),
        ("bob", "2026-04-01T07:00:00+00:00", "2026-04-01T08:00:00+00:00"),
        ("dave", "2026-04-01T08:00:00+00:00", "2026-04-01T09:00:00+00:00"),
        ("bob", "2026-04-01T09:00:00+00:00", "2026-04-01T15:00:00+00:00"),
        # The 12-hour layer counts elapsed hours from 08:00 UTC: 20:00 UTC is its handoff.
        ("night1", "2026-04-01T15:00:00+00:00", "2026-04-01T20:00:00+00:00"),
        ("night2", "2026-04-01T20:00:00+00:00", "2026-04-01T22:00:00+00:00"),
    ]
    assert data["final"][2]["override"] is True
    assert data["overrides"][0]["user"] == "dave"


@pytest.mark.parametrize(("change", "field"), [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"project": "nope"}, "project"),
    ({"layers": []}, "layers"),
])
def test_bad_schedule_is_a_400_naming_the_field(api_as, manager, project, people, change, field):
    response = api_as(manager).post(URL, body(**change), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not OnCallSchedule.objects.exists()


@pytest.mark.parametrize(("layer_change", "field"), [
    ({"participants": ["alice", "ghost"]}, "participants"),
    ({"participants": []}, "participants"),
    ({"rotation": "hours", "shift_hours": None}, "shift_hours"),
    ({"rotation": "monthly"}, "rotation"),
    ({"first_handoff": "2026-03-23T09:00:00+01:00"}, "first_handoff"),
    ({"first_handoff": "Monday"}, "first_handoff"),
    ({"restrict_end": None}, "restrict_end"),
    ({"restrict_weekdays": [1, 1]}, "restrict_weekdays"),
    ({"restrict_weekdays": [8]}, "restrict_weekdays"),
    ({"restrict_end": "09:00"}, "layers[0].restrict_end"),  # same as start: the model's check
])
def test_bad_layer_is_a_400_naming_the_field_and_nothing_is_written(api_as, manager, project, people,
                                                                    layer_change, field):
    data = body()
    data["layers"][0].update(layer_change)
    response = api_as(manager).post(URL, data, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()
    if field.startswith("layers["):
        assert field in errors
    else:
        assert field in errors["layers"]["0"]
    assert not OnCallSchedule.objects.exists()


def test_duplicate_name_is_a_400(api_as, manager, project, people):
    client = api_as(manager)
    assert client.post(URL, body(), format="json").status_code == 201
    response = client.post(URL, body(), format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    assert OnCallSchedule.objects.count() == 1


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-04-01T00:00:00", "to": "2026-04-02T00:00:00+00:00"}, "from"),
    ({"from": "2026-04-01T00:00:00+00:00"}, "to"),
    ({"from": "2026-04-02T00:00:00+00:00", "to": "2026-04-01T00:00:00+00:00"}, "to"),
    ({"from": "2026-01-01T00:00:00+00:00", "to": "2026-06-01T00:00:00+00:00"}, "to"),
])
def test_bad_shift_range_is_a_400(api_as, manager, project, people, params, field):
    client = api_as(manager)
    pk = client.post(URL, body(), format="json").json()["id"]
    response = client.get(f"{URL}{pk}/shifts/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_naive_at_is_a_400(api_as, manager, project, people):
    client = api_as(manager)
    pk = client.post(URL, body(), format="json").json()["id"]
    response = client.get(f"{URL}{pk}/oncall/", {"at": "2026-04-01T12:00"})
    assert response.status_code == 400 and "at" in response.json()


def test_operators_read_but_only_managers_configure(api_as, manager, operator, project, people):
    pk = api_as(manager).post(URL, body(), format="json").json()["id"]
    client = api_as(operator)
    assert client.post(URL, body(name="Mine"), format="json").status_code == 403
    assert client.get(f"{URL}{pk}/oncall/").status_code == 200
    assert client.delete(f"{URL}{pk}/").status_code == 403


@pytest.mark.no_group_memberships
def test_another_projects_schedule_is_invisible(api_as, manager, roles, people):
    shop, other = ProjectFactory(slug="shop"), ProjectFactory(slug="other")
    member(manager, shop, "manager")
    from tests.factories import UserFactory
    outsider = UserFactory(username="outsider", is_staff=True)
    member(outsider, other, "manager")
    pk = api_as(manager).post(URL, body(), format="json").json()["id"]
    client = api_as(outsider)
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.get(f"{URL}{pk}/oncall/").status_code == 404
    assert client.get(f"{URL}{pk}/shifts/", {"from": "2026-04-01T00:00:00Z",
                                             "to": "2026-04-02T00:00:00Z"}).status_code == 404
    assert client.get(URL).json()["results"] == []
    assert client.post(URL, body(name="Into shop"), format="json").status_code == 400  # shop: not theirs


def test_list_and_shifts_query_counts_are_constant(api_as, manager, project, people):
    client = api_as(manager)
    pk = client.post(URL, body(), format="json").json()["id"]
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for i in range(3):
        client.post(URL, body(name=f"Extra {i}"), format="json")
    with CaptureQueriesContext(connection) as four:
        client.get(URL)
    assert len(four) == len(one)
    with CaptureQueriesContext(connection) as week:
        client.get(f"{URL}{pk}/shifts/", {"from": "2026-04-01T00:00:00Z", "to": "2026-04-08T00:00:00Z"})
    with CaptureQueriesContext(connection) as quarter:
        client.get(f"{URL}{pk}/shifts/", {"from": "2026-04-01T00:00:00Z", "to": "2026-07-01T00:00:00Z"})
    assert len(quarter) == len(week)


def test_organisation_wide_schedule_is_for_organisation_managers(api_as, manager, operator, viewer, project,
                                                                  people):
    from tests.memberships import member
    project_manager = UserFactory(username="pm", is_staff=True)
    member(project_manager, project, "manager")  # a Manager of shop only, no organisation group
    assert api_as(project_manager).post(URL, body(project=None, name="Org"), format="json").status_code == 403
    assert api_as(project_manager).post(URL, body(name="Shop's"), format="json").status_code == 201
    assert api_as(operator).post(URL, body(project=None, name="Org"), format="json").status_code == 403
    response = api_as(manager).post(URL, body(project=None, name="Org"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["project"] is None
    pk = response.json()["id"]
    assert api_as(viewer).get(f"{URL}{pk}/oncall/", {"at": "2026-04-01T10:00:00Z"}).json()["oncall"] == "bob"
    assert api_as(operator).delete(f"{URL}{pk}/").status_code == 403

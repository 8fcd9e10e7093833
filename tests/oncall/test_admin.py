"""The schedule's admin page: the next four weeks per layer with overrides marked; Managers configure."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine
from django.http import HttpRequest
from django.urls import reverse

from oncall.models import OnCallSchedule
from oncall.services import override_create, schedule_create
from tests.oncall.conftest import layer

BERLIN = ZoneInfo("Europe/Berlin")


def login(client, user):
    user.set_password("pw")
    user.save()
    assert client.login(request=HttpRequest(), username=user.username, password="pw")


def test_change_page_shows_four_weeks_per_layer_with_overrides(client, manager, project, people):
    schedule = schedule_create(project=project, name="Primary", time_zone="Europe/Berlin", layers=[
        layer("Office", [people["alice"], people["bob"]], weekdays="12345", start=time(9), end=time(17)),
        layer("Nights", [people["night1"], people["night2"], people["carol"]], first=(date(2026, 3, 23), time(9))),
    ])
    override_create(schedule=schedule, user=people["dave"], start=datetime(2026, 4, 8, 10, tzinfo=BERLIN),
                    end=datetime(2026, 4, 8, 12, tzinfo=BERLIN))
    login(client, manager)
    with time_machine.travel(datetime(2026, 4, 6, 7, 0, tzinfo=BERLIN), tick=False):
        response = client.get(reverse("admin:oncall_oncallschedule_change", args=[schedule.pk]))
    assert response.status_code == 200
    upcoming = response.context["upcoming"]
    office, nights = upcoming["layers"]
    assert len(office["rows"]) == 20  # four weeks of weekday office hours
    assert office["rows"][0]["start"] == datetime(2026, 4, 6, 9, tzinfo=BERLIN)
    assert office["rows"][0]["user"].username == "alice"  # week k=2 of [alice, bob]
    marked = [row for row in office["rows"] if row["overrides"]]
    assert [(r["start"].day, r["overrides"][0].user.username) for r in marked] == [(8, "dave")]
    assert [r["user"].username for r in nights["rows"]] == ["night2", "carol", "night1", "night2", "carol"]
    body = response.content.decode()
    assert 'id="oncall-upcoming"' in body and "override:</strong> dave" in body
    assert "Mon 2026-04-06 09:00" in body  # local time of the schedule's zone


def test_operator_sees_but_cannot_add_a_schedule(client, operator, project, people):
    login(client, operator)
    assert client.get(reverse("admin:oncall_oncallschedule_changelist")).status_code == 200
    assert client.get(reverse("admin:oncall_oncallschedule_add")).status_code == 403
    response = client.post(reverse("admin:oncall_oncallschedule_add"), {
        "project": project.pk, "name": "Sneaky", "time_zone": "UTC"})
    assert response.status_code == 403
    assert not OnCallSchedule.objects.exists()


def test_escalation_trail_is_in_the_admin(client, manager, project, people, django_capture_on_commit_callbacks):
    from incidents.services import incident_declare
    from oncall.models import Escalation, EscalationPolicy, EscalationStep, EscalationTarget

    policy = EscalationPolicy.objects.create(project=project, name="Default")
    step = EscalationStep.objects.create(policy=policy, position=0, target=EscalationTarget.USERS, wait_minutes=5)
    step.users.set([people["carol"]])
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(project=project, title="Down", severity="SEV2")
    escalation = Escalation.objects.get(incident=incident)
    login(client, manager)
    response = client.get(reverse("admin:oncall_escalation_change", args=[escalation.pk]))
    assert response.status_code == 200
    assert "carol" in response.content.decode()
    assert client.get(reverse("admin:oncall_escalationpolicy_change", args=[policy.pk])).status_code == 200


def test_an_override_across_the_night_clocks_go_back_can_be_edited(client, manager, project, people, settings):
    """25 October 2026, Berlin: 02:00-03:00 happens twice. An override from 02:30 the first time (CEST)
    to 02:30 the second time (CET) shows both ends as 02:30; editing its reason keeps both instants,
    a new wall time in that hour is refused naming the field (admin-wide, see OpsPortalAdminConfig)."""
    from datetime import UTC

    settings.TIME_ZONE = "Europe/Berlin"
    schedule = schedule_create(project=project, name="Primary", time_zone="Europe/Berlin", layers=[
        layer("Primary", [people["alice"], people["bob"]]),
    ])
    start, end = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    override = override_create(schedule=schedule, user=people["dave"], start=start, end=end)
    url = reverse("admin:oncall_scheduleoverride_change", args=[override.pk])
    data = {"schedule": schedule.pk, "user": people["dave"].pk, "reason": "covers the clock change",
            "start_0": "2026-10-25", "start_1": "02:30:00", "end_0": "2026-10-25", "end_1": "02:30:00"}
    with time_machine.travel(datetime(2026, 10, 20, 9, tzinfo=UTC), tick=False):
        login(client, manager)  # at the travelled-to instant: a session from the real clock may be expired there
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        override.refresh_from_db()
        assert (override.start, override.end, override.reason) == (start, end, "covers the clock change")
        response = client.post(url, {**data, "end_1": "02:45:00"})
    assert response.status_code == 200
    assert "end" in response.context["adminform"].form.errors
    override.refresh_from_db()
    assert override.end == end

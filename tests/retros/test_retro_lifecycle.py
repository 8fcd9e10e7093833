"""Reminders (once), missed retros (flagged once), held / cancelled, sanitized notes."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings

from opsportal.models import EvidenceRecord, Notification
from retros.models import Retrospective, RetroStatus
from retros.services import retro_cancel, retro_checks, retro_mark_held, retro_update_notes, schedule_retros
from tests.factories import ProjectFactory, UserFactory

START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", email="lead@example.com")


@pytest.fixture
def retro(lead):
    project = ProjectFactory(slug="life", time_zone="Europe/Berlin")
    series, _ = schedule_retros(project=project, start="2026-02-02", cadence="weekly", count=3, facilitator=lead)
    return series.retros.get(sequence=1)


def test_facilitator_is_reminded_a_day_before_once_with_the_agenda(
    retro, contributors, django_capture_on_commit_callbacks
):
    assert retro_checks(now=START - timedelta(hours=25))["reminders"] == 0  # not yet
    with django_capture_on_commit_callbacks(execute=True):
        first = retro_checks(now=START - timedelta(hours=23))
        second = retro_checks(now=START - timedelta(hours=22))
    assert (first["reminders"], first["agendas"]) == (1, 1)
    assert (second["reminders"], second["agendas"]) == (0, 0)
    notification = Notification.objects.get(key=f"retros.reminder:{retro.pk}")
    assert notification.recipients == ["lead@example.com"]
    assert "## 1. Set the stage" in notification.body
    assert len(mail.outbox) == 1 and "facilitate" in mail.outbox[0].subject
    assert Retrospective.objects.get(pk=retro.pk).agenda_generated_at == START - timedelta(hours=23)


@override_settings(OPSPORTAL={"RETRO_REMINDER_HOURS": 2})
def test_reminder_lead_time_is_configurable(retro, contributors):
    assert retro_checks(now=START - timedelta(hours=3))["reminders"] == 0
    assert retro_checks(now=START - timedelta(hours=1))["reminders"] == 1


def test_missed_retro_is_flagged_once(retro, contributors):
    assert retro_checks(now=START + timedelta(days=1))["missed"] == 0  # within two days: not missed yet
    flagged_at = START + timedelta(days=2, minutes=5)
    assert retro_checks(now=flagged_at)["missed"] == 1
    assert retro_checks(now=flagged_at + timedelta(hours=1))["missed"] == 0
    retro.refresh_from_db()
    assert retro.missed_flagged_at == flagged_at and retro.missed
    assert Notification.objects.filter(key=f"retros.missed:{retro.pk}").count() == 1


def test_held_retro_is_not_flagged_missed(retro, lead, contributors):
    retro_mark_held(retro, actor=lead, held_at=START + timedelta(hours=1))
    assert retro_checks(now=START + timedelta(days=3))["missed"] == 0


def test_mark_held_with_attendees_and_notes(retro, lead):
    operator = UserFactory(username="op")
    held = retro_mark_held(retro, actor=lead, held_at=START, attendees=[lead, operator],
                           notes="## Went well\n<script>alert(1)</script>[x](javascript:alert(1))")
    assert held.status == RetroStatus.HELD and held.held_at == START
    assert set(held.attendees.values_list("username", flat=True)) == {"lead", "op"}
    assert re.search(r'<h2 id="[^"]+">Went well</h2>', held.notes_html)
    assert "<script" not in held.notes_html and "javascript:" not in held.notes_html
    evidence = EvidenceRecord.objects.get(kind="retrospective")
    assert evidence.payload["attendees"] == ["lead", "op"]
    assert retro_mark_held(held, actor=lead).held_at == START  # again: no change


def test_cancel_needs_a_reason_and_blocks_held(retro, lead):
    with pytest.raises(ValidationError) as exc:
        retro_cancel(retro, actor=lead, reason="  ")
    assert "reason" in exc.value.message_dict
    cancelled = retro_cancel(retro, actor=lead, reason="Team offsite")
    assert cancelled.status == RetroStatus.CANCELLED and cancelled.cancel_reason == "Team offsite"
    with pytest.raises(ValidationError):
        retro_mark_held(cancelled, actor=lead)
    with pytest.raises(ValidationError):
        retro_update_notes(cancelled, actor=lead, notes="x")


def test_notes_are_rendered_and_sanitized(retro, lead):
    updated = retro_update_notes(retro, actor=lead, notes='<img src=x onerror=alert(1)> **bold** [ok](https://x.example)')
    assert "<strong>bold</strong>" in updated.notes_html
    assert 'href="https://x.example"' in updated.notes_html
    # Raw HTML is shown as inert text, never as a tag.
    assert "<img" not in updated.notes_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in updated.notes_html


def test_api_retro_list_detail_and_actions(retro, operator, viewer, api_as):
    listing = api_as(viewer).get("/api/v1/retros/", {"project": "life", "status": "scheduled"})
    assert listing.status_code == 200 and len(listing.json()["results"]) == 3
    client = api_as(operator)
    notes = client.post(f"/api/v1/retros/{retro.pk}/notes/", {"notes": "*hi*"}, format="json")
    assert notes.status_code == 200 and notes.json()["notes_html"] == "<p><em>hi</em></p>"
    held = client.post(f"/api/v1/retros/{retro.pk}/held/",
                       {"attendees": ["operator"], "held_at": "2026-02-02T09:30:00Z"}, format="json")
    assert held.status_code == 200, held.content
    assert held.json()["status"] == "held" and held.json()["attendees"] == ["operator"]
    other = retro.series.retros.get(sequence=2)
    assert client.post(f"/api/v1/retros/{other.pk}/cancel/", {}, format="json").status_code == 400
    cancel = client.post(f"/api/v1/retros/{other.pk}/cancel/", {"reason": "Holiday"}, format="json")
    assert cancel.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/retros/{other.pk}/held/", {}, format="json").status_code == 400
    assert api_as(viewer).post(f"/api/v1/retros/{retro.pk}/notes/", {"notes": "x"}).status_code == 403
    bad = client.post(f"/api/v1/retros/{retro.pk}/held/", {"attendees": ["ghost"]}, format="json")
    assert bad.status_code == 400 and "attendees" in bad.json()


def test_admin_mark_held_and_cancel_flow(lead, client, roles):
    from django.contrib.auth.models import Group

    past, _ = schedule_retros(project=ProjectFactory(slug="past"), start="2026-01-05", cadence="weekly", count=2)
    retro = past.retros.get(sequence=1)

    user = UserFactory(username="op-admin", is_staff=True)
    user.groups.add(Group.objects.get(name="Operators"))
    client.force_login(user)
    response = client.post("/admin/retros/retrospective/", {"action": "mark_held", "_selected_action": [retro.pk]})
    assert response.status_code == 302
    assert Retrospective.objects.get(pk=retro.pk).status == RetroStatus.HELD
    Retrospective.objects.filter(pk=retro.series.retros.get(sequence=2).pk).update(
        scheduled_start=datetime(2099, 1, 1, tzinfo=UTC))
    response = client.post("/admin/retros/retrospective/",
                           {"action": "mark_held", "_selected_action": [retro.series.retros.get(sequence=2).pk]},
                           follow=True)
    assert b"more than a day before" in response.content
    other = retro.series.retros.get(sequence=2)
    page = client.post(f"/admin/retros/retrospective/{other.pk}/cancel/", {"reason": ""})
    assert page.status_code == 200 and Retrospective.objects.get(pk=other.pk).status == RetroStatus.SCHEDULED
    client.post(f"/admin/retros/retrospective/{other.pk}/cancel/", {"reason": "Release freeze"})
    assert Retrospective.objects.get(pk=other.pk).cancel_reason == "Release freeze"


def test_held_at_cannot_be_in_the_future_or_long_before_the_retro(retro, lead):
    from django.utils import timezone

    with pytest.raises(ValidationError) as exc:
        retro_mark_held(retro, actor=lead, held_at=timezone.now() + timedelta(days=2))
    assert "held_at" in exc.value.message_dict
    with pytest.raises(ValidationError):
        retro_mark_held(retro, actor=lead, held_at=START - timedelta(days=3))
    assert Retrospective.objects.get(pk=retro.pk).status == RetroStatus.SCHEDULED


def test_a_stale_agenda_is_rebuilt_once_in_the_reminder_window(retro, contributors):
    from retros.services import retro_generate_agenda

    retro_generate_agenda(retro, now=START - timedelta(days=5))  # built on demand, long before
    contributors(agenda=[lambda **kw: {"incidents": [{"number": "INC-9", "title": "late", "severity": "sev2",
                                                        "status": "open", "mttr_minutes": None,
                                                        "postmortem_state": None, "url": "/x"}]}])
    assert retro_checks(now=START - timedelta(hours=20))["agendas"] == 1
    assert retro_checks(now=START - timedelta(hours=10))["agendas"] == 0
    assert "INC-9" in Retrospective.objects.get(pk=retro.pk).agenda_markdown


def test_api_retro_time_filters_accept_any_offset(retro, viewer, api_as):
    client = api_as(viewer)
    response = client.get("/api/v1/retros/", {"scheduled_after": "2026-02-02T08:59:00-23:25"})  # 3 Feb 08:24 UTC
    assert response.status_code == 200
    assert sorted(row["sequence"] for row in response.json()["results"]) == [2, 3]
    response = client.get("/api/v1/retros/", {"scheduled_after": "2026-02-02T10:00:00+01:00",
                                               "scheduled_before": "2026-02-02T10:00:01+01:00"})
    assert [row["sequence"] for row in response.json()["results"]] == [1]
    assert client.get("/api/v1/retros/", {"scheduled_after": "yesterday"}).status_code == 400

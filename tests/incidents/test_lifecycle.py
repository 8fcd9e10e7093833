from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import Incident, IncidentEventKind, IncidentStatus
from incidents.services import (
    incident_acknowledge,
    incident_change_severity,
    incident_open_or_attach,
    incident_transition,
)
from opsportal.errors import InvalidTransition
from opsportal.models import EvidenceRecord
from tests.factories import ProjectFactory
from tests.incidents.factories import declare

pytestmark = pytest.mark.django_db


def kinds(incident):
    return list(incident.events.chronological().values_list("kind", flat=True))


def test_declare_numbers_per_project_and_writes_timeline(project, operator):
    first = declare(project, actor=operator)
    second = declare(project, title="Search slow", severity="SEV3")
    other = declare(ProjectFactory(slug="blog"), title="Blog down")
    assert (first.number, first.reference) == (1, "SHOP-1")
    assert (second.number, second.reference) == (2, "SHOP-2")
    assert other.reference == "BLOG-1"
    assert first.status == IncidentStatus.TRIAGE
    assert first.detected_at == first.declared_at
    assert kinds(first) == [IncidentEventKind.DECLARED]
    assert first.events.get().author == operator


def test_numbers_come_from_a_sequence_that_only_goes_up(project):
    from django.db.models import ProtectedError

    from incidents.models import IncidentNumberSequence

    first = declare(project)
    with pytest.raises(ProtectedError):  # the timeline protects the incident, so its number stays taken
        first.delete()
    IncidentNumberSequence.objects.filter(project=project).update(last_number=7)  # e.g. imported history
    assert declare(project).number == 8


def test_allowed_path_sets_each_timestamp_once(project, operator):
    incident = declare(project)
    incident = incident_transition(incident=incident, to_status="investigating", actor=operator)
    acknowledged = incident.acknowledged_at
    assert acknowledged is not None
    incident = incident_transition(incident=incident, to_status="identified", actor=operator)
    incident = incident_transition(incident=incident, to_status="monitoring", actor=operator)
    mitigated = incident.mitigated_at
    assert mitigated is not None
    incident = incident_transition(incident=incident, to_status="investigating", actor=operator)
    incident = incident_transition(incident=incident, to_status="monitoring", actor=operator)
    assert incident.mitigated_at == mitigated
    assert incident.acknowledged_at == acknowledged
    incident = incident_transition(incident=incident, to_status="resolved", actor=operator)
    assert incident.resolved_at is not None
    incident = incident_transition(incident=incident, to_status="closed", actor=operator)
    assert incident.closed_at >= incident.resolved_at
    assert kinds(incident).count(IncidentEventKind.STATUS_CHANGE) == 7


@pytest.mark.parametrize(
    "path, refused",
    [
        (["monitoring"], "triage"),
        (["resolved", "closed"], "investigating"),
        (["cancelled"], "investigating"),
        (["monitoring"], "cancelled"),
    ],
)
def test_refused_moves_say_what_is_allowed(project, path, refused):
    incident = declare(project)
    for status in path:
        incident = incident_transition(incident=incident, to_status=status)
    with pytest.raises(InvalidTransition) as excinfo:
        incident_transition(incident=incident, to_status=refused)
    message = excinfo.value.message_dict["status"][0]
    assert f"not {refused}" in message
    assert "can move to" in message
    incident.refresh_from_db()
    assert incident.status == path[-1]


def test_unknown_status_is_a_field_error(project):
    with pytest.raises(ValidationError) as excinfo:
        incident_transition(incident=declare(project), to_status="fixed")
    assert "status" in excinfo.value.message_dict


def test_reopen_is_recorded_and_clears_resolved_time(project):
    incident = incident_transition(incident=declare(project), to_status="resolved")
    incident = incident_transition(incident=incident, to_status="investigating")
    assert incident.resolved_at is None
    event = incident.events.filter(kind=IncidentEventKind.STATUS_CHANGE).last()
    assert event.data["reopened"] is True
    assert "reopened" in event.text
    incident = incident_transition(incident=incident, to_status="resolved")
    assert incident.resolved_at is not None
    assert EvidenceRecord.objects.filter(project=project, kind="incident").count() == 2


def test_duplicate_needs_the_original(project):
    original = declare(project)
    incident = declare(project, title="Same checkout errors")
    with pytest.raises(ValidationError) as excinfo:
        incident_transition(incident=incident, to_status="duplicate")
    assert "duplicate_of" in excinfo.value.message_dict
    incident = incident_transition(incident=incident, to_status="duplicate", duplicate_of=original)
    assert incident.duplicate_of == original
    assert "Duplicate of SHOP-1" in incident.events.last().text


def test_acknowledge_moves_triage_to_investigating(project, operator):
    incident = incident_acknowledge(incident=declare(project), actor=operator)
    assert incident.status == IncidentStatus.INVESTIGATING
    assert incident.acknowledged_at is not None


def test_resolve_writes_incident_evidence(project):
    incident = incident_transition(incident=declare(project, impact_started_at=timezone.now() - timedelta(hours=1)),
                                   to_status="resolved")
    record = EvidenceRecord.objects.get(project=project, kind="incident")
    assert record.payload["reference"] == incident.reference
    assert record.payload["time_to_resolve_minutes"] == 60
    assert record.payload["resolve_within_target"] is True


def test_severity_change_recomputes_targets(project):
    incident = declare(project, severity="SEV3")
    assert incident.acknowledge_due_at - incident.detected_at == timedelta(hours=1)
    incident = incident_change_severity(incident=incident, severity="SEV1", reason="Payments down too")
    assert incident.acknowledge_due_at - incident.detected_at == timedelta(minutes=5)
    event = incident.events.last()
    assert (event.kind, event.data) == (IncidentEventKind.SEVERITY_CHANGE, {"from": "SEV3", "to": "SEV1"})
    assert "raised" in event.text


def test_open_or_attach_is_idempotent_per_open_group_key(project, service):
    first, created = incident_open_or_attach(
        project=project, source="slo_burn", group_key="slo:7", title="Checkout availability burning",
        severity="SEV2", services=[service],
    )
    again, created_again = incident_open_or_attach(
        project=project, source="slo_burn", group_key="slo:7", title="whatever", severity="SEV1",
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert list(first.services.all()) == [service]
    incident_transition(incident=first, to_status="resolved")
    third, created_third = incident_open_or_attach(
        project=project, source="slo_burn", group_key="slo:7", title="Burning again", severity="SEV2",
    )
    assert created_third is True
    assert third.pk != first.pk
    # Reopening the old one cannot take the key from the open one.
    reopened = incident_transition(incident=first, to_status="investigating")
    assert reopened.open_group_key is None
    assert Incident.objects.get(pk=third.pk).open_group_key == "slo:7"


def test_open_or_attach_requires_group_key(project):
    with pytest.raises(ValidationError) as excinfo:
        incident_open_or_attach(project=project, source="api", group_key=" ", title="x", severity="SEV3")
    assert "group_key" in excinfo.value.message_dict


def test_declare_rejects_foreign_service_and_bad_severity(project):
    from tests.factories import ServiceFactory

    foreign = ServiceFactory(project=ProjectFactory(slug="blog"))
    with pytest.raises(ValidationError) as excinfo:
        declare(project, services=[foreign])
    assert "services" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        declare(project, severity="P1")
    assert "severity" in excinfo.value.message_dict
    assert not Incident.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_open_or_attach_yields_one_incident(project):
    import threading

    from django.db import connection

    barrier = threading.Barrier(8)
    results = []

    def open_it():
        barrier.wait()
        try:
            incident, created = incident_open_or_attach(
                project=project, source="slo_burn", group_key="slo:42", title="Checkout availability burning",
                severity="SEV2",
            )
            results.append((incident.pk, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Incident.objects.count() == 1

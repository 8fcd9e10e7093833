from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import IncidentEventKind, IncidentRoleAssignment
from incidents.services import (
    incident_assign_role,
    incident_correct_timestamps,
    incident_relieve_role,
    incident_transition,
)
from tests.incidents.factories import declare

pytestmark = pytest.mark.django_db


def test_correction_keeps_old_and_new_values(project, operator):
    incident = declare(project)
    impact = incident.detected_at - timedelta(minutes=45)
    incident = incident_correct_timestamps(incident=incident, changes={"impact_started_at": impact}, actor=operator,
                                           reason="Error logs start earlier")
    assert incident.impact_started_at == impact
    event = incident.events.get(kind=IncidentEventKind.TIMESTAMP_CORRECTION)
    assert event.data["impact_started_at"] == {"old": None, "new": impact.isoformat()}
    assert event.author == operator
    assert "Error logs start earlier" in event.text


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"impact_started_at": +10}, "detected_at"),  # impact after detection
        ({"acknowledged_at": -10}, "acknowledged_at"),  # acknowledged before detected
        ({"mitigated_at": -30, "impact_started_at": -20}, "mitigated_at"),
        ({"resolved_at": -30, "impact_started_at": -20}, "resolved_at"),
        ({"closed_at": -5}, "closed_at"),  # before resolved
        ({"detected_at": None}, "detected_at"),
        ({"declared_at": -1}, "declared_at"),  # not correctable
    ],
)
def test_timestamp_order_is_validated(project, changes, field):
    incident = declare(project, detected_at=timezone.now() - timedelta(hours=3))
    incident = incident_transition(incident=incident, to_status="resolved")
    incident = incident_transition(incident=incident, to_status="closed")
    base = incident.detected_at
    values = {name: (None if minutes is None else base + timedelta(minutes=minutes)) for name, minutes in
              changes.items()}
    if "closed_at" in values:
        values["closed_at"] = incident.resolved_at - timedelta(minutes=5)
    with pytest.raises(ValidationError) as excinfo:
        incident_correct_timestamps(incident=incident, changes=values)
    assert field in excinfo.value.message_dict
    assert not incident.events.filter(kind=IncidentEventKind.TIMESTAMP_CORRECTION).exists()


def test_future_timestamps_are_refused(project):
    incident = declare(project)
    with pytest.raises(ValidationError) as excinfo:
        incident_correct_timestamps(incident=incident, changes={"acknowledged_at": timezone.now() + timedelta(hours=1)})
    assert "acknowledged_at" in excinfo.value.message_dict


def test_commander_hand_over_is_kept_with_times(project, operator, manager):
    incident = declare(project)
    first = incident_assign_role(incident=incident, role="commander", user=operator, actor=operator)
    second = incident_assign_role(incident=incident, role="commander", user=manager, actor=operator)
    first.refresh_from_db()
    incident.refresh_from_db()
    assert incident.commander == manager
    assert first.relieved_at == second.assigned_at
    assert second.relieved_at is None
    texts = list(incident.events.filter(kind=IncidentEventKind.ROLE_CHANGE).values_list("text", flat=True))
    assert texts[-1] == "Incident commander handed over from operator to manager."


def test_experts_can_be_several_and_relieved(project, operator, manager):
    incident = declare(project)
    incident_assign_role(incident=incident, role="expert", user=operator)
    incident_assign_role(incident=incident, role="expert", user=manager)
    assert IncidentRoleAssignment.objects.active().filter(incident=incident, role="expert").count() == 2
    incident_relieve_role(incident=incident, role="expert", user=operator)
    assert IncidentRoleAssignment.objects.active().filter(incident=incident, role="expert").count() == 1
    with pytest.raises(ValidationError):
        incident_relieve_role(incident=incident, role="scribe", user=operator)


def test_unknown_role_is_a_field_error(project, operator):
    with pytest.raises(ValidationError) as excinfo:
        incident_assign_role(incident=declare(project), role="hero", user=operator)
    assert "role" in excinfo.value.message_dict

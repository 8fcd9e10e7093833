from datetime import date, time

import pytest

from oncall.models import Rotation
from oncall.services import schedule_create
from tests.factories import UserFactory


@pytest.fixture
def people(db):
    return {name: UserFactory(username=name) for name in ("alice", "bob", "carol", "dave", "night1", "night2")}


def layer(name, participants, *, rotation=Rotation.WEEKLY, first=(date(2026, 3, 23), time(9)), shift_hours=None,
          weekdays="", start=None, end=None):
    return {"name": name, "participants": participants, "rotation": rotation, "shift_hours": shift_hours,
            "handoff_date": first[0], "handoff_time": first[1], "restrict_weekdays": weekdays,
            "restrict_start": start, "restrict_end": end}


@pytest.fixture
def weekly_berlin(project, people):
    """Weekly rotation of three, handing off Monday 09:00 Europe/Berlin from Monday 23 March 2026."""
    return schedule_create(project=project, name="Primary", time_zone="Europe/Berlin", layers=[
        layer("Primary", [people["alice"], people["bob"], people["carol"]]),
    ])

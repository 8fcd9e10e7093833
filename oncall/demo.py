"""Demo on-call for the shop: a weekly primary rotation (Monday 09:00 in the shop's zone), office-hours
first line, and one override next week. Idempotent: an existing schedule of the name is left alone."""

from datetime import time, timedelta

from django.utils import timezone

from oncall.models import OnCallSchedule, Rotation
from oncall.services import override_create, schedule_create


def seed(context):
    project, users = context["project"], context["users"]
    existing = OnCallSchedule.objects.filter(project=project, name="Shop primary").first()
    if existing:
        context["oncall_schedule"] = existing
        return
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)

    def layer(name, people, **extra):
        return {"name": name, "participants": [users[u] for u in people], "rotation": Rotation.WEEKLY,
                "shift_hours": None, "handoff_date": monday, "handoff_time": time(9), "restrict_weekdays": "",
                "restrict_start": None, "restrict_end": None, **extra}

    schedule = schedule_create(project=project, name="Shop primary", time_zone=project.time_zone, layers=[
        layer("Office hours", ["operator", "lead"], restrict_weekdays="12345", restrict_start=time(9),
              restrict_end=time(17)),
        layer("Around the clock", ["oncall", "operator", "lead"]),
    ])
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=8)
    override_create(schedule=schedule, user=users["manager"], start=start, end=start + timedelta(hours=6),
                    reason="Covering a medical appointment")
    context["oncall_schedule"] = schedule

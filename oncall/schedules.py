"""Escalation steps fire on a one-minute tick (a step is at most a minute late)."""

SCHEDULES = [
    {
        "name": "oncall.escalations_tick",
        "func": "oncall.tasks.escalations_tick",
        "schedule_type": "I",
        "minutes": 1,
        "kwargs": {},
    },
]

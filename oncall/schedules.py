"""Escalation steps fire on a one-minute tick (a step is at most a minute late); stakeholder-update
reminders are checked on the same tick."""

SCHEDULES = [
    {
        "name": "oncall.escalations_tick",
        "func": "oncall.tasks.escalations_tick",
        "schedule_type": "I",
        "minutes": 1,
        "kwargs": {},
    },
    {
        "name": "oncall.status_updates_due",
        "func": "oncall.tasks.status_updates_due",
        "schedule_type": "I",
        "minutes": 1,
        "kwargs": {},
    },
]

"""UX objectives are fed from survey and Apdex data every 5 minutes (late data within 48 hours)."""

SCHEDULES = [
    {
        "name": "experience.feed_ux_objectives",
        "func": "experience.tasks.feed_all",
        "schedule_type": "I",
        "minutes": 5,
        "kwargs": {},
    },
]

"""UX objectives are fed from survey and Apdex data every 5 minutes (late data within 48 hours)."""

SCHEDULES = [
    {
        # Prometheus Apdex sources: the intervals completed since each one's last (experience/apdex.py).
        "name": "experience.pull_apdex_sources",
        "func": "experience.tasks.pull_apdex_sources",
        "schedule_type": "I",
        "minutes": 5,
        "kwargs": {},
    },
    {
        "name": "experience.feed_ux_objectives",
        "func": "experience.tasks.feed_all",
        "schedule_type": "I",
        "minutes": 5,
        "kwargs": {},
    },
]

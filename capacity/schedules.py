"""Prometheus pulls every 5 minutes; weekly performance comparison (Mondays 00:30 UTC, the week just ended)."""

SCHEDULES = [
    {
        "name": "capacity.pull_prometheus",
        "func": "capacity.tasks.pull_prometheus",
        "schedule_type": "I",  # every `minutes`
        "minutes": 5,
        "kwargs": {},
    },
    {
        "name": "capacity.performance_compare_all",
        "func": "capacity.tasks.performance_compare_all",
        "schedule_type": "C",
        "cron": "30 0 * * 1",
        "kwargs": {},
    },
]

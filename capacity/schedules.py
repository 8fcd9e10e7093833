"""Weekly performance comparison (Mondays 00:30 UTC, for the week that just ended)."""

SCHEDULES = [
    {
        "name": "capacity.performance_compare_all",
        "func": "capacity.tasks.performance_compare_all",
        "schedule_type": "C",
        "cron": "30 0 * * 1",
        "kwargs": {},
    },
]

"""Daily: expired risk acceptances reopen (00:20 UTC), then the overdue digest (07:10 UTC)."""

SCHEDULES = [
    {
        "name": "dependencies.expire_acceptances",
        "func": "dependencies.tasks.expire_acceptances",
        "schedule_type": "C",
        "cron": "20 0 * * *",
        "kwargs": {},
    },
    {
        "name": "dependencies.send_overdue_digests",
        "func": "dependencies.tasks.send_overdue_digests",
        "schedule_type": "C",
        "cron": "10 7 * * *",
        "kwargs": {},
    },
]

"""Cadence of the knowledge base; `manage.py setup_schedules` registers it."""

SCHEDULES = [
    {
        # Daily (django-q2 "D"): stale-documentation digests and overdue-training reminders.
        # Both are keyed per person and day/week, so an extra run sends nothing twice.
        "name": "knowledgebase.daily_documentation_check",
        "func": "knowledgebase.tasks.daily_documentation_check",
        "schedule_type": "D",
    },
]

"""Cadence of the incidents app; `manage.py setup_schedules` registers it."""

SCHEDULES = [
    {
        # Breaches are written to the timeline and notified within a minute of the due time.
        "name": "incidents.check_response_targets",
        "func": "incidents.tasks.check_response_targets",
        "schedule_type": "I",
        "minutes": 1,
    },
    {
        # Chat webhook deliveries that failed are retried with back-off (1, 2, 4, 8 minutes);
        # failed responder emails are written to their incident's timeline.
        "name": "incidents.retry_notifications",
        "func": "incidents.tasks.retry_notifications",
        "schedule_type": "I",
        "minutes": 1,
    },
]

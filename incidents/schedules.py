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
        # Chat webhook deliveries that failed are retried with back-off (1, 2, 4, 8 minutes).
        "name": "incidents.retry_webhook_deliveries",
        "func": "incidents.tasks.retry_webhook_deliveries",
        "schedule_type": "I",
        "minutes": 1,
    },
]

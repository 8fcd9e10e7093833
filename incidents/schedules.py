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
        # Failed responder emails are written to their incident's timeline (retries of emails and
        # chat webhooks are the core's `opsportal.outbox_sweep`).
        "name": "incidents.retry_notifications",
        "func": "incidents.tasks.retry_notifications",
        "schedule_type": "I",
        "minutes": 1,
    },
]

# Postmortems and action items (issue 5).
SCHEDULES += [
    {
        # Significant incidents get their postmortem started; drafts get a due time once resolved.
        "name": "incidents.postmortems_ensure_required",
        "func": "incidents.tasks.postmortems_ensure_required",
        "schedule_type": "I",
        "minutes": 5,
    },
    {
        # One message per owner per day listing their overdue drafts (notify_once key: owner + day).
        "name": "incidents.postmortems_remind_overdue",
        "func": "incidents.tasks.postmortems_remind_overdue",
        "schedule_type": "C",
        "cron": "0 8 * * 1-5",
    },
    {
        # Overdue action item digests per owner, and escalation to Managers after 14 days, once.
        "name": "incidents.action_items_daily",
        "func": "incidents.tasks.action_items_daily",
        "schedule_type": "C",
        "cron": "15 8 * * *",
    },
]

"""Cadence entries of the core app; `manage.py setup_schedules` registers them.

Each entry: name (unique key), func (dotted path), schedule_type (a django-q2
Schedule type), and optionally minutes, cron, kwargs, repeats.
"""

SCHEDULES = [
    {
        "name": "opsportal.worker_heartbeat",
        "func": "opsportal.tasks.worker_heartbeat",
        "schedule_type": "I",  # minutes
        "minutes": 1,
    },
    {
        # The outbox (email and chat webhooks): due retries with back-off, dead letter after the
        # last attempt, on any broker.
        "name": "opsportal.outbox_sweep",
        "func": "opsportal.tasks.sweep_outbox",
        "schedule_type": "I",
        "minutes": 1,
    },
    {
        "name": "opsportal.daily_gate_report",
        "func": "opsportal.tasks.daily_gate_report",
        "schedule_type": "C",  # cron
        "cron": "30 6 * * *",
    },
    {
        "name": "opsportal.prune_task_results",
        "func": "opsportal.tasks.prune_task_results",
        "schedule_type": "C",
        "cron": "45 4 * * *",
    },
    {
        "name": "opsportal.daily_evidence_chain_check",
        "func": "opsportal.services.chain_audit.evidence_chain_check_all_projects",
        "schedule_type": "C",  # cron
        "cron": "15 5 * * *",
    },
]

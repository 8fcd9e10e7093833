"""Cadence of the slos app; `manage.py setup_schedules` registers it (never `ready()`).

"""

SCHEDULES = [
    {
        "name": "slos.evaluate_burn_alerts",
        "func": "slos.tasks.evaluate_burn_alerts",
        "schedule_type": "I",  # every `minutes`
        "minutes": 1,
    },
    {
        # A paging burn whose incident could not be opened is retried until it is (idempotent by group key).
        "name": "slos.retry_page_incidents",
        "func": "slos.tasks.retry_page_incidents",
        "schedule_type": "I",
        "minutes": 1,
    },
    {
        # Prometheus-sourced SLIs: completed intervals since the last stored one (slos.sources.prometheus).
        "name": "slos.pull_prometheus",
        "func": "slos.tasks.pull_prometheus",
        "schedule_type": "I",
        "minutes": 1,
    },
    {
        "name": "slos.monitor_slo_daily",
        "func": "slos.tasks.monitor_slo_all_projects",
        "schedule_type": "D",  # daily, from the first run
    },
    {
        # Raw measurements past OPSPORTAL_SLI_RAW_RETENTION_DAYS go; their rollups stay (slos.services.rollups).
        "name": "slos.prune_raw_measurements",
        "func": "slos.tasks.prune_raw_measurements",
        "schedule_type": "D",
    },
]

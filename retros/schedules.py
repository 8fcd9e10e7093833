"""Cadence checks of the retros app (registered by `manage.py setup_schedules`).

Both run every 10 minutes, so a review appears within 10 minutes of its
period's start in the project's zone. The cluster runs with `catch_up` off:
after downtime each schedule fires once, and that run creates the missed
periods' reviews once each (capped), instead of replaying every missed run.
"""

SCHEDULES = [
    {
        "name": "retros.review_checks",
        "func": "retros.tasks.run_review_checks",
        "schedule_type": "I",  # minutes
        "minutes": 10,
    },
    {
        "name": "retros.retro_checks",
        "func": "retros.tasks.run_retro_checks",
        "schedule_type": "I",
        "minutes": 10,
    },
]

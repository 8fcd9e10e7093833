"""Scheduled loops that fail loudly.

A loop over projects (or SLOs, retros) isolates each item: one failure is logged
and the rest still run, each in its own transaction. Then, if any item failed,
the task raises ScheduledWorkFailed naming them, so django-q2 records the task as
failed (the admin's Failed tasks list, the failed-task count on /metrics) instead
of reporting success. The items that succeeded stay done.
"""


class ScheduledWorkFailed(Exception):
    """Some items of a scheduled loop failed; the others were done."""

    def __init__(self, what: str, failed, outcome: dict):
        self.what, self.failed, self.outcome = what, failed, outcome
        names = f": {', '.join(map(str, failed))}" if isinstance(failed, list | tuple) else ""
        count = len(failed) if isinstance(failed, list | tuple) else failed
        super().__init__(f"{what}: {count} failed{names} (outcome: {outcome})")


def fail_if_any(outcome: dict, *, failed, what: str) -> dict:
    """`outcome` unchanged when nothing failed; else raise ScheduledWorkFailed.
    `failed` is a list of item names or a count."""
    if failed:
        raise ScheduledWorkFailed(what, failed, outcome)
    return outcome

"""Log context: every line carries the request id, or the task name and id in a worker.

The request id comes from `X-Request-ID` (or is generated) in RequestIdMiddleware; the task
fields are set by django-q2's pre_execute signal in the worker process (see `task_started`).
"""

import logging
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
task_var: ContextVar[tuple[str, str]] = ContextVar("task", default=("", ""))

logger = logging.getLogger("opsportal.tasks")


class ContextFilter(logging.Filter):
    """Adds request_id, task_name and task_id to every record (empty when not in a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_name, record.task_id = task_var.get()
        record.task_label = f" {record.task_name}:{record.task_id}" if record.task_name else ""
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, then context and extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record.pop("task_label", None)
        # Keep the lines short: context fields only when they have a value.
        for key in ("request_id", "task_name", "task_id"):
            if not log_record.get(key):
                log_record.pop(key, None)
        # time first (the library adds it last), then level, logger, message, context, extras.
        fields = dict(log_record)
        log_record.clear()
        log_record["time"] = fields.pop("time", None)
        log_record.update(fields)


def task_started(sender, func=None, task=None, **kwargs):
    """django-q2 pre_execute (in the worker process): tag the following log lines with the task."""
    task = task or {}
    name = task.get("func") if isinstance(task.get("func"), str) else getattr(func, "__qualname__", str(func))
    task_var.set((str(name or ""), str(task.get("id", ""))))
    logger.info("task started", extra={"task_group": task.get("group") or ""})


def task_finished(sender, func=None, task=None, **kwargs):
    """django-q2 post_execute_in_worker: log the outcome, then clear the task context."""
    task = task or {}
    success = bool(task.get("success"))
    logger.log(logging.INFO if success else logging.ERROR, "task finished", extra={"success": success})
    task_var.set(("", ""))

"""Configurable rules for postmortems and action items.

Each can be overridden in `settings.OPSPORTAL` (keys below); values are merged
over the defaults, so `{"POSTMORTEM_APPROVALS_REQUIRED": {"SEV2": 2}}` keeps SEV1 at 2.
"""

from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    # Business days after resolution until the draft is due (key "default" for any other severity).
    "POSTMORTEM_DUE_BUSINESS_DAYS": {"SEV1": 3, "SEV2": 5, "default": 10},
    # Distinct Manager approvals of the same text needed before a postmortem is approved.
    "POSTMORTEM_APPROVALS_REQUIRED": {"SEV1": 2, "default": 1},
    # An incident that consumed more than this share of an SLO's error budget needs a postmortem
    # (the Workbook's error budget policy).
    "POSTMORTEM_BUDGET_THRESHOLD_PERCENT": "20",
    # Calendar days from creation to the due date of an action item, by priority.
    "ACTION_ITEM_DUE_DAYS": {"P1": 15, "P2": 30, "P3": 60},
    # Items overdue by more than this many days are escalated to the project's Managers, once.
    "ACTION_ITEM_ESCALATE_AFTER_DAYS": 14,
}


def _setting(key):
    value = getattr(settings, "OPSPORTAL", {}).get(key)
    default = DEFAULTS[key]
    if isinstance(default, dict):
        return {**default, **(value or {})}
    return default if value is None else value


def due_business_days(severity: str) -> int:
    table = _setting("POSTMORTEM_DUE_BUSINESS_DAYS")
    return int(table.get(severity, table["default"]))


def approvals_required(severity: str) -> int:
    table = _setting("POSTMORTEM_APPROVALS_REQUIRED")
    return max(1, int(table.get(severity, table["default"])))


def budget_threshold_percent() -> Decimal:
    return Decimal(str(_setting("POSTMORTEM_BUDGET_THRESHOLD_PERCENT")))


def action_item_due_days(priority: str) -> int:
    return int(_setting("ACTION_ITEM_DUE_DAYS")[priority])


def escalate_after_days() -> int:
    return int(_setting("ACTION_ITEM_ESCALATE_AFTER_DAYS"))

"""Retro agendas: data from every app's `retro_agenda.agenda_data`, laid out by
the template `retros/templates/retros/agenda.md` (documented in docs/retros.md)."""

import logging
from collections import Counter

from django.db import transaction
from django.template.loader import render_to_string

from opsportal.registry import app_modules
from retros.cadence import previous_occurrence

logger = logging.getLogger(__name__)

AGENDA_TEMPLATE = "retros/agenda.md"
AGENDA_LISTS = ("incidents", "slo_compliance", "action_items")
SEVERITY_ORDER = {"sev1": 1, "sev2": 2, "sev3": 3, "sev4": 4, "critical": 1, "major": 2, "minor": 3}
DONE_STATES = {"done", "wont_do", "verified", "closed", "completed", "cancelled"}


def collect_agenda_data(*, project, since, until) -> dict:
    """Merge the `incidents`, `slo_compliance` and `action_items` lists of every contributor.

    One contributor failing does not stop the agenda: the failure is logged and
    named in `errors`.
    """
    data = {key: [] for key in AGENDA_LISTS}
    data["errors"] = []
    for module in app_modules("retro_agenda"):
        try:
            with transaction.atomic():  # a savepoint: a database error in one contributor stays there
                part = module.agenda_data(project=project, since=since, until=until) or {}
        except Exception:
            logger.exception("retro agenda data from %s failed for %s", module.__name__, project.slug)
            data["errors"].append(f"{module.__name__.split('.')[0]} data unavailable")
            continue
        for key in AGENDA_LISTS:
            data[key].extend(part.get(key) or [])
    return data


def previous_retro_action_items(retro) -> list[dict]:
    """The action items the previous (not cancelled) retro of the project decided, with their status."""
    from incidents.postmortem_extensions import action_item_url
    from retros.models import Retrospective

    previous = (
        Retrospective.objects.filter(project_id=retro.project_id, scheduled_start__lt=retro.scheduled_start)
        .exclude(status="cancelled")
        .order_by("-scheduled_start")
        .first()
    )
    if previous is None:
        return []
    items = previous.action_items.select_related("owner").order_by("id")
    return [
        {"title": item.title, "status": item.status, "owner": item.owner.get_username(),
         "due": item.due_date.isoformat(), "url": action_item_url(item)}
        for item in items
    ]


def agenda_window(retro):
    """(since, until): from the previous retro of the project to this one."""
    from retros.models import Retrospective

    previous = (
        Retrospective.objects.filter(project_id=retro.project_id, scheduled_start__lt=retro.scheduled_start)
        .exclude(status="cancelled")
        .order_by("-scheduled_start")
        .values_list("scheduled_start", flat=True)
        .first()
    )
    if previous is None:
        local = retro.scheduled_start.astimezone(retro.series.zone)
        previous = previous_occurrence(local, retro.series.cadence)
    return previous, retro.scheduled_start


def _mttr_display(minutes) -> str:
    if minutes is None:
        return "-"
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def build_agenda(retro) -> str:
    """The retro's agenda as Markdown, built from the data of its window."""
    since, until = agenda_window(retro)
    data = collect_agenda_data(project=retro.project, since=since, until=until)
    zone = retro.series.zone
    incidents = sorted(
        ({**incident, "mttr_display": _mttr_display(incident.get("mttr_minutes"))} for incident in data["incidents"]),
        key=lambda i: (SEVERITY_ORDER.get(str(i.get("severity", "")).lower(), 9), str(i.get("number", ""))),
    )
    severities = Counter(str(i.get("severity", "unknown")) for i in incidents)
    # The previous retro's own items first, then any other item created in the period.
    action_items = previous_retro_action_items(retro)
    listed = {item["url"] for item in action_items}
    action_items += [item for item in data["action_items"] if item.get("url") not in listed]
    context = {
        "retro": retro,
        "project": retro.project,
        "facilitator": (retro.facilitator.get_full_name() or retro.facilitator.get_username())
        if retro.facilitator_id else "",
        "time_zone": retro.series.time_zone,
        "cadence_label": {"weekly": "week", "biweekly": "two weeks", "monthly": "month"}.get(
            retro.series.cadence, "quarter"
        ),
        # Formatted here: the template's date filter would convert to the server's zone.
        "local_start": f"{retro.scheduled_start.astimezone(zone):%A %d %B %Y, %H:%M}",
        "since_local": f"{since.astimezone(zone):%d %b %Y %H:%M}",
        "until_local": f"{until.astimezone(zone):%d %b %Y %H:%M}",
        "action_items": action_items,
        "open_action_items": sum(1 for a in action_items if str(a.get("status", "")).lower() not in DONE_STATES),
        "incidents": incidents,
        "severity_summary": ", ".join(f"{count} {severity}" for severity, count in sorted(severities.items())),
        "slo_compliance": data["slo_compliance"],
        "collection_errors": data["errors"],
    }
    text = render_to_string(AGENDA_TEMPLATE, context)
    # Collapse the blank lines template tags leave behind.
    lines, blank = [], False
    for line in text.strip().splitlines():
        if not line.strip():
            if not blank:
                lines.append("")
            blank = True
        else:
            lines.append(line.rstrip())
            blank = False
    return "\n".join(lines) + "\n"

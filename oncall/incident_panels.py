"""On the incident's admin page (and the response decision form): the escalation trail (who was paged,
when, at which step; acknowledgement and stop) and the stakeholder updates with the due times missed."""

from django.utils import timezone

from oncall.models import Escalation, StatusUpdate
from oncall.status_updates import cadence_for, missed_updates

WHEN = "%Y-%m-%d %H:%M"


def _escalation_panel(incident) -> dict:
    escalation = (Escalation.objects.filter(incident=incident).select_related("policy")
                  .prefetch_related("fires").first())
    rows = []
    if escalation is not None:
        policy = escalation.policy.name if escalation.policy else "(policy deleted)"
        rows.append([escalation.started_at.strftime(WHEN), "started", policy, ""])
        for fire in escalation.fires.all():
            rows.append([fire.fired_at.strftime(WHEN), f"round {fire.cycle + 1}, step {fire.position + 1}",
                         "paged", ", ".join(fire.recipients) or "nobody on call"])
        if escalation.stopped_at:
            rows.append([escalation.stopped_at.strftime(WHEN), "stopped", escalation.stop_reason,
                         "reached the last step" if escalation.reached_last_step else ""])
        elif escalation.next_fire_at:
            rows.append([escalation.next_fire_at.strftime(WHEN), "next step due", "", ""])
    if incident.acknowledged_at:
        rows.append([incident.acknowledged_at.strftime(WHEN), "acknowledged", "", ""])
    rows.sort(key=lambda row: row[0])
    return {"title": "Escalation trail", "header": ["when (UTC)", "what", "", "paged"], "rows": rows,
            "empty": "No escalation policy ran for this incident."}


def _updates_panel(incident, now) -> dict:
    updates = list(StatusUpdate.objects.filter(incident=incident).select_related("author").order_by("posted_at"))
    rows = [[u.posted_at.strftime(WHEN), u.get_audience_display(), u.state,
             u.author.get_username() if u.author else "automation", u.body[:200]] for u in updates]
    missed = missed_updates(incident, [u.posted_at for u in updates], until=now)
    rows += [[due.strftime(WHEN), "MISSED", "", "", "no update was posted by this due time"] for due in missed]
    rows.sort(key=lambda row: row[0])
    cadence = cadence_for(incident.severity)
    every = f" (due every {int(cadence.total_seconds() // 60)} min for {incident.severity})" if cadence else ""
    return {"title": f"Stakeholder updates{every}: {len(missed)} missed",
            "header": ["when (UTC)", "audience", "state", "by", "text"], "rows": rows,
            "empty": "No stakeholder update yet."}


def panels(request, incident) -> list[dict]:
    if not request.user.has_perm("oncall.view_escalation", incident.project):
        return []
    return [_escalation_panel(incident), _updates_panel(incident, timezone.now())]

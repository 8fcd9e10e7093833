"""What postmortems and action items contribute to the core's extension points.

The incidents modules (`dashboard.py`, `phase_evidence.py`, `gates.py`, `review_findings.py`,
`retro_agenda.py`) call these next to their own, so each keeps one entry point.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from incidents.models import VERIFIED_TYPES, ActionItem, Incident, Postmortem, PostmortemStatus
from incidents.postmortem_rules import escalate_after_days
from opsportal.access import scope

S = PostmortemStatus
LIMIT = 10
GATE_WINDOW = timedelta(days=90)


def postmortem_url(postmortem) -> str:
    return reverse("admin:incidents_postmortem_change", args=[postmortem.pk])


def action_item_url(item) -> str:
    return reverse("admin:incidents_actionitem_change", args=[item.pk])


def _pm_label(postmortem) -> str:
    return f"{postmortem.incident.reference} {postmortem.title}"


# --- admin home ------------------------------------------------------------------

def postmortem_panels(request) -> list[dict]:
    """"Postmortems awaiting your review" (never your own), overdue drafts, and items awaiting verification."""
    user = request.user
    if not user.has_perm("incidents.view_postmortem"):
        return []
    now = timezone.now()
    base = scope(Postmortem.objects.select_related("incident", "owner"), user)
    panels = []
    if user.has_perm("incidents.approve_postmortem"):
        awaiting = scope(base, user, "approve_postmortem").awaiting_review_by(user).order_by("submitted_at")[:LIMIT]
        panels.append({
            "title": "Postmortems awaiting your review",
            "rows": [{"label": _pm_label(p), "url": postmortem_url(p),
                      "detail": f"{p.incident.severity} · by {p.owner or 'no owner'} · submitted "
                                f"{p.submitted_at:%Y-%m-%d}" if p.submitted_at else p.incident.severity}
                     for p in awaiting],
            "empty": "Nothing waits for your review.", "order": 1,
        })
    overdue = base.overdue(now).order_by("due_at")[:LIMIT]
    panels.append({
        "title": "Overdue postmortem drafts",
        "rows": [{"label": _pm_label(p), "url": postmortem_url(p),
                  "detail": f"due {p.due_at:%Y-%m-%d} · {p.owner or 'no owner'} · {p.get_status_display()}"}
                 for p in overdue],
        "empty": "No postmortem draft is overdue.", "order": 2,
    })
    if user.has_perm("incidents.verify_actionitem"):
        items = scope(ActionItem.objects.awaiting_verification(), user, "verify_actionitem").exclude(
            owner=user).select_related("owner")
        panels.append({
            "title": "Improvements awaiting your verification",
            "rows": [{"label": i.title, "url": action_item_url(i),
                      "detail": f"{i.get_type_display()} · {i.owner} · done {i.completed_at:%Y-%m-%d}"}
                     for i in items.order_by("completed_at")[:LIMIT]],
            "empty": "No done improvement waits for verification.", "order": 3,
        })
    return panels


# --- phase evidence ----------------------------------------------------------------

def improvement_as_evidence(item) -> dict:
    return {
        "id": item.pk, "title": item.title, "type": item.type, "priority": item.priority,
        "owner": item.owner.get_username(), "status": item.status,
        "completed_at": item.completed_at.isoformat() if item.completed_at else None,
        "verification": "verified" if item.verified_at else "not_required",
        "verified_by": item.verified_by.get_username() if item.verified_by_id else None,
        "verified_at": item.verified_at.isoformat() if item.verified_at else None,
        "postmortem_id": item.postmortem_id,
        "incident_ids": [item.postmortem.incident_id] if item.postmortem_id else [],
        "url": action_item_url(item),
    }


def improvements(project) -> list[dict]:
    """The specification's `improvements`: action items implemented (prevent/detect ones verified by a Manager)."""
    items = (ActionItem.objects.for_project(project).implemented()
             .select_related("owner", "verified_by", "postmortem").order_by("completed_at", "id"))
    return [improvement_as_evidence(item) for item in items]


def with_postmortem_state(incidents: list[dict]) -> list[dict]:
    """Add each incident's postmortem (id, status, required, approval and publication times) or None."""
    postmortems = {
        row["incident_id"]: row for row in Postmortem.objects.filter(
            incident_id__in=[i["id"] for i in incidents]
        ).values("incident_id", "id", "status", "required", "approved_at", "published_at")
    }
    for incident in incidents:
        row = postmortems.get(incident["id"])
        incident["postmortem"] = None if row is None else {
            "id": row["id"], "status": row["status"], "required": row["required"],
            "approved_at": row["approved_at"].isoformat() if row["approved_at"] else None,
            "published_at": row["published_at"].isoformat() if row["published_at"] else None,
        }
    return incidents


# --- quality gates -------------------------------------------------------------------

def postmortem_gates(project) -> list[dict]:
    now = timezone.now()
    gates = []
    overdue = list(Postmortem.objects.for_project(project).overdue(now).select_related("incident")[:10])
    missing = list(
        Incident.objects.for_project(project).counted().significant()
        .filter(resolved_at__isnull=False, postmortem__isnull=True).values_list("reference", flat=True)[:10]
    )
    if overdue or missing:
        reasons = []
        if overdue:
            reasons.append("Overdue postmortem drafts: " + ", ".join(p.incident.reference for p in overdue) + ".")
        if missing:
            reasons.append("Resolved significant incidents without a postmortem: " + ", ".join(missing) + ".")
        gates.append({"gate": "postmortem_process", "result": "FAIL", "reason": " ".join(reasons)})
    else:
        gates.append({"gate": "postmortem_process", "result": "PASS", "reason": (
            "Postmortems are started for every resolved significant incident and none is overdue; "
            "approval by Managers with four-eyes is enforced.")})

    # Significant incidents resolved in the window whose postmortem is due must be approved or published.
    due = (Incident.objects.for_project(project).counted().significant()
           .filter(resolved_at__gte=now - GATE_WINDOW, resolved_at__isnull=False)
           .select_related("postmortem"))
    lacking = []
    total = 0
    for incident in due:
        postmortem = getattr(incident, "postmortem", None) if _has_postmortem(incident) else None
        if postmortem is not None and postmortem.status in (S.APPROVED, S.PUBLISHED):
            total += 1
            continue
        if postmortem is not None and postmortem.due_at and postmortem.due_at > now:
            continue  # still within its due time
        total += 1
        lacking.append(incident.reference)
    gates.append({
        "gate": "postmortems_for_significant", "result": "FAIL" if lacking else "PASS",
        "reason": (f"Significant incidents of the last 90 days past due without an approved postmortem: "
                   f"{', '.join(lacking[:10])}." if lacking else
                   f"{total} significant incident(s) of the last 90 days have an approved postmortem "
                   "(or are still within the due time)."),
    })

    items = ActionItem.objects.for_project(project)
    late = items.overdue_by_more_than(escalate_after_days(), timezone.localdate()).count()
    stale_verification = items.awaiting_verification().filter(
        completed_at__lt=now - timedelta(days=escalate_after_days())).count()
    implemented = items.implemented().count()
    problems = []
    if late:
        problems.append(f"{late} action item(s) overdue by more than {escalate_after_days()} days")
    if stale_verification:
        problems.append(f"{stale_verification} done improvement(s) awaiting verification for more than "
                        f"{escalate_after_days()} days")
    gates.append({
        "gate": "improvements_implemented", "result": "FAIL" if problems else "PASS",
        "reason": ("; ".join(problems) + "." if problems else
                   f"{implemented} action item(s) implemented; none long overdue or unverified."),
    })
    return gates


def _has_postmortem(incident) -> bool:
    try:
        return incident.postmortem is not None
    except Postmortem.DoesNotExist:
        return False


# --- operational review findings -------------------------------------------------------

def _links_pm(postmortems):
    return [{"label": _pm_label(p), "url": postmortem_url(p)} for p in postmortems]


def _links_items(items):
    return [{"label": i.title, "url": action_item_url(i)} for i in items]


def postmortem_findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    """Monthly `postmortem_analysis` and `process_improvement`; weekly a short `incident_review` note."""
    found = []
    postmortems = Postmortem.objects.for_project(project).select_related("incident")
    items = ActionItem.objects.for_project(project).select_related("owner")
    if cadence == "monthly":
        without = list(
            Incident.objects.for_project(project).counted().significant().filter(resolved_at__isnull=False)
            .exclude(postmortem__status__in=[S.APPROVED, S.PUBLISHED]).order_by("resolved_at")[:20]
        )
        overdue = list(postmortems.overdue(now)[:20])
        in_review = list(postmortems.awaiting_review()[:20])
        published = postmortems.filter(published_at__gte=period_start, published_at__lt=period_end).count()
        text = (f"{published} postmortem(s) published in the period; {len(without)} significant incident(s) "
                f"without an approved postmortem; {len(overdue)} overdue draft(s); {len(in_review)} in review.")
        found.append({
            "item": "postmortem_analysis", "severity": "critical" if overdue else ("warning" if without else "info"),
            "text": text,
            "links": [{"label": f"{i.reference} {i.title}", "url": reverse("admin:incidents_incident_change",
                                                                          args=[i.pk])} for i in without]
            + _links_pm(overdue) + _links_pm(in_review),
        })
        overdue_items = list(items.overdue(now.date())[:20])
        awaiting = list(items.awaiting_verification()[:20])
        verified = items.filter(verified_at__gte=period_start, verified_at__lt=period_end).count()
        found.append({
            "item": "process_improvement",
            "severity": "warning" if overdue_items or awaiting else "info",
            "text": (f"{verified} improvement(s) verified in the period; {len(overdue_items)} action item(s) overdue; "
                     f"{len(awaiting)} awaiting verification."),
            "links": _links_items(overdue_items) + _links_items(awaiting),
        })
    return found


# --- retro agendas -----------------------------------------------------------------

def agenda_additions(*, project, since, until, incidents: list[dict]) -> dict:
    """Fill `postmortem_state` of the incident rows and list the action items created in the period."""
    states = dict(Postmortem.objects.for_project(project).filter(
        incident__reference__in=[row["number"] for row in incidents]
    ).values_list("incident__reference", "status"))
    for row in incidents:
        row["postmortem_state"] = states.get(row["number"])
    new_items = (ActionItem.objects.for_project(project).filter(created_at__gte=since, created_at__lt=until)
                 .select_related("owner").order_by("created_at", "id"))
    return {"action_items": [
        {"title": i.title, "status": i.status, "owner": i.owner.get_username(), "due": i.due_date.isoformat(),
         "url": action_item_url(i)} for i in new_items
    ]}


__all__ = ["VERIFIED_TYPES", "agenda_additions", "improvements", "postmortem_findings", "postmortem_gates",
           "postmortem_panels"]

"""Read side of postmortems: the document, approvals of the current text, diffs and the report formats."""

import difflib
import json

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import escape

from incidents.models import SECTIONS, ActionItem, IncidentEvent, Postmortem, PostmortemRevision, PostmortemStatus
from incidents.postmortem_rules import approvals_required
from knowledgebase.markdown import render_markdown
from opsportal.models import Approval, ApprovalDecision, ApprovalKind


def postmortem_list_queryset():
    return (
        Postmortem.objects.select_related("project", "incident", "owner")
        .prefetch_related("co_authors")
        .annotate(
            _open_items=Count("action_items", filter=Q(action_items__status__in=["open", "in_progress"]),
                              distinct=True),
        )
    )


def timeline_markdown(incident) -> str:
    """The incident timeline as a Markdown list (UTC), to prefill the postmortem's timeline section."""
    lines = []
    for event in IncidentEvent.objects.filter(incident=incident).select_related("author").chronological():
        who = f" ({event.author.get_username()})" if event.author_id else ""
        text = " ".join(event.text.split())
        lines.append(f"- **{event.occurred_at:%Y-%m-%d %H:%M} UTC** {event.get_kind_display()}{who}: {text}")
    return "\n".join(lines)


def document_markdown(postmortem: Postmortem) -> str:
    """The postmortem text as one Markdown document: what is revisioned, rendered and approved."""
    parts = [f"# {postmortem.title}"]
    for field, heading, _required in SECTIONS:
        body = (getattr(postmortem, field) or "").strip()
        if body:
            parts.append(f"## {heading}\n\n{body}")
    if postmortem.no_action_needed_reason.strip():
        parts.append(f"## No action needed\n\n{postmortem.no_action_needed_reason.strip()}")
    return "\n\n".join(parts) + "\n"


def render_document(postmortem: Postmortem) -> str:
    return render_markdown(document_markdown(postmortem))


def postmortem_approvals(postmortem: Postmortem):
    """Every decision on this postmortem, newest first (the approval history)."""
    return (
        Approval.objects.filter(
            kind=ApprovalKind.POSTMORTEM,
            subject_type=ContentType.objects.get_for_model(Postmortem),
            subject_id=postmortem.pk,
        )
        .select_related("approver")
        .order_by("-created_at", "-id")
    )


def current_approvals(postmortem: Postmortem, approvals=None) -> list[Approval]:
    """Approvals that count now: of the current text, given since it was last submitted, one per Manager."""
    approvals = list(approvals if approvals is not None else postmortem_approvals(postmortem))
    seen, counted = set(), []
    for approval in approvals:
        if (
            approval.decision == ApprovalDecision.APPROVE
            and approval.content_sha256 == postmortem.content_sha256
            and postmortem.submitted_at is not None
            and approval.created_at >= postmortem.submitted_at
            and approval.approver_id not in seen
        ):
            seen.add(approval.approver_id)
            counted.append(approval)
    return counted


def approval_progress(postmortem: Postmortem, approvals=None) -> dict:
    counted = current_approvals(postmortem, approvals)
    return {"have": len(counted), "required": approvals_required(postmortem.incident.severity),
            "approvers": [a.approver.get_username() for a in counted]}


def last_approved_revision(postmortem: Postmortem) -> PostmortemRevision | None:
    """The newest revision whose rendered text a Manager approved."""
    approved_hashes = set(
        postmortem_approvals(postmortem).filter(decision=ApprovalDecision.APPROVE).values_list("content_sha256",
                                                                                              flat=True)
    )
    if not approved_hashes:
        return None
    return postmortem.revisions.filter(content_sha256__in=approved_hashes).order_by("-number").first()


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """Unified diff as (kind, line) pairs; kind is "add", "del", "hunk" or "same"."""
    result = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), "approved", "current", lineterm="", n=2):
        if line.startswith(("+++", "---")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        result.append((kind, line))
    return result


def approved_vs_current_diff(postmortem: Postmortem) -> dict | None:
    approved = last_approved_revision(postmortem)
    if approved is None:
        return None
    current = document_markdown(postmortem)
    return {"revision": approved, "lines": diff_lines(approved.content, current),
            "identical": approved.content == current}


def incident_facts(incident) -> dict:
    """Summary and response metrics of one incident, in minutes (None when a timestamp is missing)."""

    def minutes(later, earlier):
        if later is None or earlier is None:
            return None
        return int((later - earlier).total_seconds() // 60)

    return {
        "reference": incident.reference, "title": incident.title, "severity": incident.severity,
        "status": incident.status, "summary": incident.summary, "customer_impact": incident.customer_impact,
        "services": [s.name for s in incident.services.all()],
        "impact_started_at": incident.impact_started_at, "detected_at": incident.detected_at,
        "declared_at": incident.declared_at, "acknowledged_at": incident.acknowledged_at,
        "mitigated_at": incident.mitigated_at, "resolved_at": incident.resolved_at,
        "time_to_detect_minutes": minutes(incident.detected_at, incident.impact_started_at),
        "time_to_acknowledge_minutes": minutes(incident.acknowledged_at, incident.detected_at),
        "time_to_mitigate_minutes": minutes(incident.mitigated_at, incident.impact_started_at),
        "time_to_resolve_minutes": minutes(incident.resolved_at, incident.impact_started_at),
    }


# --- reports -----------------------------------------------------------------

def _items(postmortem):
    return list(ActionItem.objects.filter(postmortem=postmortem).select_related("owner").order_by("due_date", "id"))


def _iso(value):
    return value.isoformat() if value else None


def report_data(postmortem: Postmortem) -> dict:
    """The specification's Postmortem Report as data: overview, timeline, root causes, lessons, action plan."""
    approvals = list(postmortem_approvals(postmortem))
    facts = incident_facts(postmortem.incident)
    return {
        "postmortem_id": postmortem.pk,
        "title": postmortem.title,
        "status": postmortem.status,
        "project": postmortem.project.slug,
        "owner": postmortem.owner.get_username() if postmortem.owner_id else None,
        "co_authors": sorted(u.get_username() for u in postmortem.co_authors.all()),
        "revision": postmortem.revision,
        "content_sha256": postmortem.content_sha256,
        "incident_overview": {**{k: (_iso(v) if hasattr(v, "isoformat") else v) for k, v in facts.items()},
                              "summary_text": postmortem.summary, "impact": postmortem.impact},
        "timeline_analysis": {"timeline": postmortem.timeline, "detection": postmortem.detection,
                              "trigger": postmortem.trigger, "resolution": postmortem.resolution},
        "root_cause_analysis": {"root_causes": postmortem.root_causes,
                                "contributing_factors": postmortem.contributing_factors},
        "lessons_learned": {"went_well": postmortem.went_well, "went_wrong": postmortem.went_wrong,
                            "got_lucky": postmortem.got_lucky},
        "supporting_information": postmortem.supporting_information,
        "action_plan": [
            {"id": item.pk, "title": item.title, "type": item.type, "priority": item.priority,
             "owner": item.owner.get_username(), "due_date": item.due_date.isoformat(), "status": item.status,
             "ticket_url": item.ticket_url, "verified": item.verified_at is not None}
            for item in _items(postmortem)
        ],
        "no_action_needed_reason": postmortem.no_action_needed_reason,
        "approvals": [
            {"approver": a.approver.get_username(), "decision": a.decision, "comment": a.comment,
             "content_sha256": a.content_sha256, "at": a.created_at.isoformat()}
            for a in approvals
        ],
        "approved_at": _iso(postmortem.approved_at),
        "published_at": _iso(postmortem.published_at),
        "generated_at": timezone.now().isoformat(),
    }


def _fmt(value) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "-"


def report_markdown(postmortem: Postmortem) -> str:
    """Incident overview, timeline analysis, root cause analysis, lessons learned, action plan."""
    pm, facts = postmortem, incident_facts(postmortem.incident)
    items = _items(pm)

    def block(title, *pairs):
        body = "\n\n".join(f"### {h}\n\n{(t or '').strip() or '_Not written._'}" for h, t in pairs)
        return f"## {title}\n\n{body}"

    def mins(value):
        return "-" if value is None else f"{value} min"

    overview = (
        f"## Incident overview\n\n"
        f"| | |\n|---|---|\n"
        f"| Incident | {facts['reference']} {facts['title']} |\n| Severity | {facts['severity']} |\n"
        f"| Services | {', '.join(facts['services']) or '-'} |\n"
        f"| Impact started | {_fmt(facts['impact_started_at'])} |\n| Detected | {_fmt(facts['detected_at'])} |\n"
        f"| Resolved | {_fmt(facts['resolved_at'])} |\n"
        f"| Time to detect / acknowledge / mitigate / resolve | {mins(facts['time_to_detect_minutes'])} / "
        f"{mins(facts['time_to_acknowledge_minutes'])} / {mins(facts['time_to_mitigate_minutes'])} / "
        f"{mins(facts['time_to_resolve_minutes'])} |\n"
        f"| Postmortem status | {pm.get_status_display()} (revision {pm.revision}) |\n"
        f"| Owner | {pm.owner.get_username() if pm.owner_id else '-'} |\n\n"
        f"### Summary\n\n{pm.summary.strip() or '_Not written._'}\n\n"
        f"### Impact\n\n{pm.impact.strip() or '_Not written._'}"
    )
    if items:
        rows = "\n".join(
            f"| {i.title} | {i.get_type_display()} | {i.priority} | {i.owner.get_username()} | {i.due_date} | "
            f"{i.get_status_display()}{' (verified)' if i.verified_at else ''} |"
            for i in items
        )
        header = "| Action | Type | Priority | Owner | Due | Status |\n|---|---|---|---|---|---|"
        plan = f"## Action plan\n\n{header}\n{rows}"
    else:
        plan = f"## Action plan\n\nNo action needed: {pm.no_action_needed_reason.strip() or '-'}"
    approvals = current_approvals(pm)
    sign_off = "\n".join(f"- Approved by {a.approver.get_username()} on {_fmt(a.created_at)}"
                         + (f": {a.comment}" if a.comment else "") for a in approvals) or "- Not approved yet."
    return "\n\n".join([
        f"# Postmortem: {pm.title}",
        overview,
        block("Timeline analysis", ("Timeline", pm.timeline), ("Detection", pm.detection), ("Trigger", pm.trigger),
              ("Resolution", pm.resolution)),
        block("Root cause analysis", ("Root causes", pm.root_causes),
              ("Contributing factors", pm.contributing_factors)),
        block("Lessons learned", ("What went well", pm.went_well), ("What went wrong", pm.went_wrong),
              ("Where we got lucky", pm.got_lucky)),
        plan,
        *([f"## Supporting information\n\n{pm.supporting_information.strip()}"] if pm.supporting_information.strip()
          else []),
        f"## Sign-off\n\n{sign_off}",
    ]) + "\n"


REPORT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;
color:#1b1f23;line-height:1.5}h1{border-bottom:2px solid #264b5d;padding-bottom:.3em}h2{color:#264b5d;
border-bottom:1px solid #ddd;margin-top:1.6em}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;
padding:.3em .6em;text-align:left;vertical-align:top}code,pre{background:#f4f4f4;font-size:.9em}pre{padding:.6em;
overflow:auto}footer{margin-top:3em;color:#666;font-size:.85em}
"""


def report_html(postmortem: Postmortem) -> str:
    """A standalone HTML page (inline CSS, no external resources) of the Markdown report."""
    body = render_markdown(report_markdown(postmortem))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Postmortem: {escape(postmortem.title)}</title><style>{REPORT_CSS}</style></head>"
        f"<body>{body}<footer>Generated by OpsPortal on {_fmt(timezone.now())}; content SHA-256 "
        f"{escape(postmortem.content_sha256)}.</footer></body></html>\n"
    )


def report_json(postmortem: Postmortem) -> str:
    return json.dumps(report_data(postmortem), indent=2, ensure_ascii=False)


def postmortem_requirement(incident) -> dict:
    """Whether the incident needs a postmortem and why (for the incident page and API)."""
    postmortem = getattr(incident, "postmortem", None) if hasattr(incident, "postmortem") else None
    if postmortem is not None:
        return {"required": postmortem.required, "reason": postmortem.required_reason,
                "postmortem_id": postmortem.pk, "status": postmortem.status}
    from incidents.services.postmortems import requirement_reason

    reason = requirement_reason(incident)
    return {"required": bool(reason), "reason": reason or "", "postmortem_id": None, "status": None}


OVERDUE_STATES = (PostmortemStatus.DRAFT, PostmortemStatus.CHANGES_REQUESTED)

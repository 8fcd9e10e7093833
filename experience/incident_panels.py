"""The incident page lists the feedback received for its services while it was open."""

from django.urls import reverse

from experience.models import FeedbackItem
from opsportal.access import scope

MAX_ROWS = 50


def feedback_during(incident, user):
    """Feedback for the incident's services received from its start (impact, else declaration) to its
    resolution (or now, while open), plus any feedback linked to it."""
    from django.db.models import Q

    start = incident.impact_started_at or incident.declared_at
    window = Q(service__in=incident.services.all(), received_at__gte=start)
    if incident.resolved_at:
        window &= Q(received_at__lte=incident.resolved_at)
    queryset = FeedbackItem.objects.filter(project_id=incident.project_id).filter(window | Q(linked_incident=incident))
    return scope(queryset, user).select_related("service").order_by("received_at", "pk")


def panels(request, incident) -> list[dict]:
    if not request.user.has_perm("experience.view_feedbackitem", incident.project):
        return []
    items = list(feedback_during(incident, request.user)[:MAX_ROWS + 1])
    rows = [[{"label": f"#{i.pk}", "url": reverse("admin:experience_feedbackitem_change", args=[i.pk])},
             i.received_at.strftime("%Y-%m-%d %H:%M"), i.service.name, i.get_source_display(), i.get_severity_display(),
             i.get_status_display(), i.text[:200]] for i in items[:MAX_ROWS]]
    title = "User feedback during this incident" + (f" (first {MAX_ROWS})" if len(items) > MAX_ROWS else "")
    return [{"title": title, "header": ["#", "received", "service", "source", "severity", "status", "text"],
             "rows": rows, "empty": "No feedback for its services while it was open."}]

"""Admin home panels: live incidents and breached response targets."""

from django.utils import timezone
from django.utils.timesince import timesince

from incidents.models import Incident
from incidents.selectors.reports import live_incidents
from opsportal.access import scope
from opsportal.links import admin_change_url

LIMIT = 10


def _row(incident: Incident, now, extra: str = "") -> dict:
    commander = incident.commander.get_username() if incident.commander_id else "no commander"
    age = timesince(incident.declared_at, now).split(",")[0]
    detail = f"{incident.severity} · {incident.get_status_display()} · {commander} · {age}"
    return {"label": f"{incident.reference} {incident.title}", "url": admin_change_url(incident),
            "detail": f"{detail}{extra}"}


def panels(request) -> list[dict]:
    if not request.user.has_perm("incidents.view_incident"):
        return []
    now = timezone.now()
    live = list(scope(live_incidents(), request.user)[:LIMIT])  # only the user's projects
    breached = list(
        scope(live_incidents(), request.user)
        .filter(pk__in=Incident.objects.open().target_breached(now).values("pk"))[:LIMIT]
    )
    return [
        {"title": "Live incidents", "rows": [_row(i, now) for i in live], "empty": "No open incidents.",
         "order": 10},
        {"title": "Breached response targets",
         "rows": [_row(i, now, " · target breached") for i in breached],
         "empty": "Every open incident is within its response targets.", "order": 11},
    ]


# Postmortems and action items (issue 5): their panels join the incident panels.
_incident_panels = panels


def panels(request) -> list[dict]:  # noqa: F811
    from incidents.postmortem_extensions import postmortem_panels

    return _incident_panels(request) + postmortem_panels(request)


def strip(request, *, now) -> list[dict]:
    """Admin home strip: open incidents by severity and overdue action items (two queries). `now`
    is the dashboard's clock (opsportal.home_strip reads it once for every app)."""
    if not request.user.has_perm("incidents.view_incident"):
        return []
    from django.db.models import Count
    from django.urls import reverse

    from incidents.models import ActionItem, Severity
    from opsportal.dashboards import visible_projects

    projects = visible_projects(request.user)
    url = reverse("admin:dashboard", args=["incidents"])
    counts = dict(Incident.objects.filter(project__in=projects).open().values_list("severity")
                  .annotate(n=Count("pk")).order_by())
    overdue = ActionItem.objects.filter(project__in=projects).overdue(timezone.localdate(now)).count()
    return [{"label": f"open {sev}", "value": counts.get(sev, 0), "url": url} for sev in Severity.values] + [
        {"label": "overdue action items", "value": overdue, "url": url}]


def _dashboards():
    from incidents.dashboards import incident_charts, incident_dashboard_data, incident_tables
    from opsportal.dashboards import Dashboard

    return [Dashboard(
        slug="incidents", title="Incident dashboard", data=incident_dashboard_data, charts=incident_charts,
        tables=incident_tables, permission="incidents.view_incident",
        description="Incidents by week and severity, response times and targets per month, what is open, "
                    "postmortems of significant incidents and action items.",
    )]


DASHBOARDS = _dashboards()

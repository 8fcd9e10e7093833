"""`{% incident_panels original %}`: tables other apps add to an incident's admin page.

Each app may ship `incident_panels.py` with `panels(request, incident) -> list[{"title", "header",
"rows", "empty"}]` (docs/EXTENSION_POINTS.md); cells are escaped text, or (label, url) links.
"""

from django import template

from opsportal.registry import app_modules

register = template.Library()


@register.inclusion_tag("admin/incidents/incident/app_panels.html", takes_context=True)
def incident_panels(context, incident):
    request = context.get("request")
    panels = []
    if incident is not None and request is not None:
        for module in app_modules("incident_panels"):
            panels += module.panels(request, incident)
    return {"panels": panels}

"""`slo_compliance` of a retrospective agenda: each SLO's SLI over the retro period."""

from django.urls import reverse

from slos import budget
from slos.models import SLO
from slos.selectors import period_event_totals


def agenda_data(*, project, since, until) -> dict:
    slos = list(SLO.objects.active().filter(project=project).select_related("service")
                .order_by("service__name", "name"))
    totals = period_event_totals(slos, since, until)
    items = []
    for slo in slos:
        period = totals[slo.pk]
        sli = budget.to_percent(budget.sli(period))
        remaining = budget.to_percent(budget.budget_remaining(period, slo.objective))
        items.append({
            "slo": slo.name,
            "service": slo.service.name,
            "objective": slo.target_display,
            "sli": None if sli is None else str(sli),
            "status": budget.status(period, slo.objective),
            "budget_remaining": None if remaining is None else str(remaining),
            "url": reverse("admin:slos_slo_change", args=[slo.pk]),
        })
    return {"slo_compliance": items}

"""Quality gate `capacity_planning`: no resource forecast to run out within 30 days without an open action item."""

from datetime import timedelta

from capacity.models import ResourceActionItem
from capacity.selectors import forecasts_for, project_resources

EXHAUSTION_HORIZON = timedelta(days=30)


def evaluate(project, *, now) -> list[dict]:
    """`now` comes from the caller (opsportal.quality_gates reads the clock once for every app)."""
    resources = list(project_resources(project))
    if not resources:
        return []  # no resource tracked: the gate stays NO_DATA, never a silent PASS
    forecasts = forecasts_for(resources, now=now)
    handled = set(
        ResourceActionItem.objects.filter(resource__in=resources, action_item__status__in=("open", "in_progress"))
        .values_list("resource_id", flat=True)
    )
    running_out = [(f.capacity_at, r) for r in resources
                   if (f := forecasts[r.pk]).capacity_at is not None and f.capacity_at - now <= EXHAUSTION_HORIZON]
    unhandled = sorted(((at, r) for at, r in running_out if r.pk not in handled), key=lambda e: (e[0], e[1].pk))
    if unhandled:
        listed = ", ".join(f"{r} ({at:%Y-%m-%d})" for at, r in unhandled)
        return [{"gate": "capacity_planning", "result": "FAIL",
                 "reason": f"Forecast to run out within 30 days without an open action item: {listed}."}]
    with_data = sum(1 for r in resources if forecasts[r.pk].status != "not_enough_data")
    if not with_data:
        return []
    return [{"gate": "capacity_planning", "result": "PASS",
             "reason": f"{with_data} resources forecast; {len(running_out)} running out within 30 days, "
                       "each with an open action item." if running_out else
                       f"{with_data} resources forecast; none runs out within 30 days."}]

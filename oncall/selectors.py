"""Read side of on-call: the tables the admin shows, computed from the rotation rules."""

import zoneinfo
from datetime import datetime, timedelta

from oncall.models import OnCallSchedule
from oncall.rotation import ScheduleClock

FOUR_WEEKS = timedelta(weeks=4)


def upcoming_tables(schedule: OnCallSchedule, *, now: datetime, span: timedelta = FOUR_WEEKS) -> dict:
    """The next `span` per layer (local times), each shift with the overrides that cover part of it,
    and the merged answer. Constant queries (ScheduleClock loads everything at once)."""
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    end = now + span
    clock = ScheduleClock(schedule, start=now, end=end)

    def local(moment):
        return moment.astimezone(zone)

    def covering(shift):
        return [o for o in clock.overrides if o.start < shift.end and o.end > shift.start]

    layers = [
        {"layer": layer, "rows": [{"start": local(s.start), "end": local(s.end), "user": s.user,
                                   "overrides": covering(s)} for s in shifts]}
        for layer, shifts in clock.layer_shifts(now, end)
    ]
    final = [{"start": local(s.start), "end": local(s.end), "user": s.user, "override": s.override,
              "layer": s.layer} for s in clock.final(now, end)]
    return {"from": local(now), "to": local(end), "layers": layers, "final": final, "zone": schedule.time_zone}

"""Who is on call, computed from a schedule's layers and overrides (never stored per slot).

Rules (docs/oncall.md):
- A daily or weekly layer hands off at `handoff_time`, wall clock in the schedule's zone, every
  1 or 7 local days from `handoff_date`: 09:00 stays 09:00 across DST, so the shift spanning a
  DST change is an hour shorter or longer. A handoff time inside a DST gap happens at the
  offset before the gap (02:30 on the spring-forward night is 03:30 by the new clock); an
  ambiguous one at its first occurrence.
- An `hours` layer hands off every `shift_hours` elapsed hours from its first handoff.
- A restriction (weekdays and/or a local time window, which may wrap past midnight; the weekday
  is the window's start day) limits when the layer answers; outside it the next layer answers.
- Layers are asked in position order; the first with someone on call answers. An override
  covering the instant beats every layer; among overlapping overrides the newest wins.
- Before a layer's first handoff, or without participants, the layer has nobody.
"""

import math
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from oncall.models import OnCallSchedule, Rotation, ScheduleLayer, ScheduleOverride

MAX_RANGE = timedelta(days=93)


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime
    user: object  # a User, or None for a gap with nobody on call
    layer: str = ""  # the layer's name; blank for an override or a gap
    override: bool = False

    def as_dict(self) -> dict:
        return {"start": self.start.astimezone(UTC).isoformat(), "end": self.end.astimezone(UTC).isoformat(),
                "user": self.user.get_username() if self.user else None,
                "layer": self.layer or None, "override": self.override}


def local_to_aware(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """A naive local wall-clock time as a UTC instant (gap: the offset before it; fold: the first)."""
    return moment.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _overlap(a_start, a_end, b_start, b_end):
    start, end = max(a_start, b_start), min(a_end, b_end)
    return (start, end) if start < end else None


class LayerClock:
    """Handoff arithmetic for one layer (with its participants already loaded)."""

    def __init__(self, layer: ScheduleLayer, zone: zoneinfo.ZoneInfo, participants: list):
        self.layer = layer
        self.zone = zone
        self.participants = participants
        self.first_local = datetime.combine(layer.handoff_date, layer.handoff_time)
        self.first = local_to_aware(self.first_local, zone)
        self.days = {Rotation.DAILY: 1, Rotation.WEEKLY: 7}.get(layer.rotation)
        self.hours = None if self.days else timedelta(hours=layer.shift_hours)
        self.weekdays = {int(ch) for ch in layer.restrict_weekdays} if layer.restrict_weekdays else None
        self.restricted = bool(self.weekdays) or layer.restrict_start is not None

    def handoff(self, k: int) -> datetime:
        if self.days:
            return local_to_aware(self.first_local + timedelta(days=k * self.days), self.zone)
        return self.first + k * self.hours

    def shift_index(self, at: datetime) -> int:
        """The k with handoff(k) <= at < handoff(k + 1) (negative before the first handoff)."""
        if self.days:
            local = at.astimezone(self.zone).replace(tzinfo=None)
            k = math.floor((local - self.first_local) / timedelta(days=self.days))
        else:
            k = math.floor((at - self.first) / self.hours)
        # The local estimate can be one off around a DST change: settle it on instants.
        while self.handoff(k + 1) <= at:
            k += 1
        while self.handoff(k) > at:
            k -= 1
        return k

    def windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The restriction's windows overlapping [start, end), as UTC instants."""
        first_day = start.astimezone(self.zone).date() - timedelta(days=1)
        last_day = end.astimezone(self.zone).date()
        found = []
        day = first_day
        while day <= last_day:
            if self.weekdays is None or day.isoweekday() in self.weekdays:
                window = self._window_on(day)
                clipped = _overlap(*window, start, end)
                if clipped:
                    found.append(clipped)
            day += timedelta(days=1)
        return found

    def _window_on(self, day: date) -> tuple[datetime, datetime]:
        begin, finish = self.layer.restrict_start, self.layer.restrict_end
        if begin is None:
            begin, finish = time(0), time(0)
        end_day = day if finish > begin else day + timedelta(days=1)
        return (local_to_aware(datetime.combine(day, begin), self.zone),
                local_to_aware(datetime.combine(end_day, finish), self.zone))

    def participant(self, k: int):
        return self.participants[k % len(self.participants)]

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Shifts overlapping [start, end), clipped to it and to the restriction."""
        if not self.participants or end <= start:
            return []
        k = max(self.shift_index(start), 0)
        found = []
        while (begin := self.handoff(k)) < end:
            whole = _overlap(begin, self.handoff(k + 1), start, end)
            if whole:
                parts = [whole]
                if self.restricted:
                    parts = self.windows(*whole)
                found += [Shift(s, e, self.participant(k), layer=self.layer.name) for s, e in parts]
            k += 1
        return found

    def oncall_at(self, at: datetime) -> Shift | None:
        found = self.shifts(at, at + timedelta(microseconds=1))
        if not found:
            return None
        k = self.shift_index(at)
        # Report the whole shift (still clipped to the restriction window holding `at`).
        start, end = self.handoff(k), self.handoff(k + 1)
        if self.restricted:
            window = next(w for w in self.windows(start, end) if w[0] <= at < w[1])
            start, end = window
        return Shift(start, end, self.participant(k), layer=self.layer.name)


class ScheduleClock:
    """A schedule with its layers, participants and overrides loaded in constant queries."""

    def __init__(self, schedule: OnCallSchedule, *, start: datetime, end: datetime):
        self.schedule = schedule
        self.zone = zoneinfo.ZoneInfo(schedule.time_zone)
        layers = list(schedule.layers.order_by("position", "pk").prefetch_related("participants__user"))
        self.layers = [
            LayerClock(layer, self.zone, [p.user for p in layer.participants.all()]) for layer in layers
        ]
        self.overrides = list(
            ScheduleOverride.objects.filter(schedule=schedule, start__lt=end, end__gt=start)
            .select_related("user").order_by("created_at", "pk")
        )

    def override_at(self, at: datetime) -> ScheduleOverride | None:
        covering = [o for o in self.overrides if o.start <= at < o.end]
        return covering[-1] if covering else None  # newest wins

    def oncall_at(self, at: datetime) -> dict:
        per_layer = [(clock.layer, clock.oncall_at(at)) for clock in self.layers]
        override = self.override_at(at)
        answer = override.user if override else next((s.user for _, s in per_layer if s), None)
        return {"layers": per_layer, "override": override, "user": answer}

    def final(self, start: datetime, end: datetime) -> list[Shift]:
        """The merged answer over [start, end): who is on call, from where; gaps have no user."""
        layer_shifts = [clock.shifts(start, end) for clock in self.layers]
        cuts = {start, end}
        for shifts in layer_shifts:
            for shift in shifts:
                cuts.update((shift.start, shift.end))
        for override in self.overrides:
            cuts.update(c for c in (override.start, override.end) if start < c < end)
        cuts = sorted(cuts)
        result: list[Shift] = []
        cursors = [0] * len(layer_shifts)  # each layer's shifts are sorted and disjoint: walk them once
        for begin, finish in zip(cuts, cuts[1:], strict=False):
            covering = None
            for i, shifts in enumerate(layer_shifts):
                while cursors[i] < len(shifts) and shifts[cursors[i]].end <= begin:
                    cursors[i] += 1
                if covering is None and cursors[i] < len(shifts) and shifts[cursors[i]].start <= begin:
                    covering = shifts[cursors[i]]
            override = self.override_at(begin)
            if override:
                piece = Shift(begin, finish, override.user, override=True)
            elif covering:
                piece = Shift(begin, finish, covering.user, layer=covering.layer)
            else:
                piece = Shift(begin, finish, None)
            last = result[-1] if result else None
            if last and (last.user, last.layer, last.override) == (piece.user, piece.layer, piece.override):
                result[-1] = Shift(last.start, finish, last.user, last.layer, last.override)
            else:
                result.append(piece)
        return result

    def layer_shifts(self, start: datetime, end: datetime) -> list[tuple[ScheduleLayer, list[Shift]]]:
        return [(clock.layer, clock.shifts(start, end)) for clock in self.layers]


def oncall_user(schedule: OnCallSchedule, at: datetime):
    """The one person on call at `at` (None: nobody). Used by escalation and the API."""
    return ScheduleClock(schedule, start=at, end=at + timedelta(microseconds=1)).oncall_at(at)["user"]

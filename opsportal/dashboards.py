"""Dashboards: admin pages of charts, each with an API twin returning exactly the numbers drawn.

An app contributes dashboards from its `dashboard.py` module (docs/EXTENSION_POINTS.md):

    DASHBOARDS = [Dashboard(slug="slo", title="SLO dashboard", data=slo_dashboard_data, charts=slo_charts)]

- `data(*, project, start, end, now, params) -> dict` is the ONE selector: the API returns it as
  is and the page draws it, so the two cannot disagree. `params` are the request's query
  parameters (filters such as `service`, `slo`); raise ValidationError naming a bad one.
- `charts(data) -> list[opsportal.charts.Chart]` turns it into charts (no queries).
- `tables(data) -> list[{"title", "header", "rows"}]` (optional) adds plain tables.

The admin site serves `/admin/dashboards/<slug>/`; the API serves
`/api/v1/projects/{slug}/dashboards/<slug>/?from=&to=`.
"""

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime

from opsportal.registry import app_modules

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_DAYS = 30
MAX_DAYS = 400


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    data: Callable
    charts: Callable
    tables: Callable | None = None
    description: str = ""
    permission: str = ""  # e.g. "slos.view_slo": who may open it at all


def registered() -> dict[str, Dashboard]:
    found = {}
    for module in app_modules("dashboard"):
        for dashboard in getattr(module, "DASHBOARDS", []):
            found[dashboard.slug] = dashboard
    return found


def visible_projects(user):
    """The projects whose dashboards `user` may see. THE one place to wire per-project access (#10):
    every dashboard page and API twin resolves its project through it, so none can leak another's."""
    from opsportal.access import projects_for

    return projects_for(user).order_by("name")


def _parse_edge(raw: str, name: str, zone, *, is_end: bool) -> datetime:
    value = None
    if not DATE_ONLY.match(raw):
        try:
            value = parse_datetime(raw)
        except ValueError:
            pass
    if value is not None:
        if value.tzinfo is None:
            raise ValidationError({name: f"{name} needs a UTC offset (e.g. 2026-11-01T00:00:00+01:00) or a plain "
                                         f"date, which is read in the project's zone {zone.key}."})
        return value
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise ValidationError({name: f"{name} must be an ISO 8601 date or date-time, got {raw!r}."})
    # Dates are local days of the project: `to` includes its whole day.
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    return midnight + timedelta(days=1) if is_end else midnight


def parse_range(params, zone_name: str, now: datetime) -> tuple[datetime, datetime]:
    """(start, end) from `from` / `to` (defaults: the last 30 days up to now). 400-worthy errors name the field."""
    zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    end = _parse_edge(raw_to, "to", zone, is_end=True) if raw_to else now
    start = _parse_edge(raw_from, "from", zone, is_end=False) if raw_from else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise ValidationError({"from": "from must be before to."})
    if end - start > timedelta(days=MAX_DAYS):
        raise ValidationError({"to": f"A dashboard covers at most {MAX_DAYS} days."})
    if end > now:
        end = now  # nothing has happened after now
        if start >= end:
            raise ValidationError({"from": "from must be in the past."})
    return start, end


def dashboard_payload(dashboard: Dashboard, *, project, params, now: datetime) -> dict:
    """The numbers of one dashboard for one project and period (what the API returns and the page draws)."""
    start, end = parse_range(params, project.time_zone, now)
    data = dashboard.data(project=project, start=start, end=end, now=now, params=params)
    return {"dashboard": dashboard.slug, "project": project.slug, "time_zone": project.time_zone,
            "from": start.astimezone(UTC).isoformat(), "to": end.astimezone(UTC).isoformat(), **data}


def jsonable(value):
    """Decimals as strings (like the rest of the API), everything else as is."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value

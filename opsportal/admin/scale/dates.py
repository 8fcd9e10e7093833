"""The date drill-down of unbounded tables, without DISTINCT over the whole table."""

import calendar
import datetime

from django.contrib.admin.utils import get_fields_from_path
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from opsportal.admin.scale.pagination import EstimatedCountPaginator


def date_hierarchy_choices(changelist) -> dict:
    """The date drill-down of an unbounded table, from at most two small queries.

    Django's lists the years (months, days) that have rows: `SELECT DISTINCT date_trunc(...)`
    over every matching row. Here the years are those between the first and the last row
    (the first and last in the column's index), and a year's months and a month's days are
    the calendar's, with no query; a period without rows simply shows an empty page.
    """
    field_name = changelist.date_hierarchy
    field = get_fields_from_path(changelist.model, field_name)[-1]
    year_field, month_field, day_field = (f"{field_name}__{part}" for part in ("year", "month", "day"))
    params = changelist.params

    def value(name):
        raw = params.get(name)
        return int(raw[-1] if isinstance(raw, list) else raw) if raw else None

    year, month, day = value(year_field), value(month_field), value(day_field)

    def link(filters):
        return changelist.get_query_string(filters, [f"{field_name}__"])

    if year and month and day:
        chosen = datetime.date(year, month, day)
        return {"show": True, "back": {"link": link({year_field: year, month_field: month}),
                                       "title": capfirst(formats.date_format(chosen, "YEAR_MONTH_FORMAT"))},
                "choices": [{"title": capfirst(formats.date_format(chosen, "MONTH_DAY_FORMAT"))}]}
    if year and month:
        days = calendar.monthrange(year, month)[1]
        return {"show": True, "back": {"link": link({year_field: year}), "title": str(year)},
                "choices": [{"link": link({year_field: year, month_field: month, day_field: d}),
                             "title": capfirst(formats.date_format(datetime.date(year, month, d), "MONTH_DAY_FORMAT"))}
                            for d in range(1, days + 1)]}
    if year:
        return {"show": True, "back": {"link": link({}), "title": _("All dates")},
                "choices": [{"link": link({year_field: year, month_field: m}),
                             "title": capfirst(formats.date_format(datetime.date(year, m, 1), "YEAR_MONTH_FORMAT"))}
                            for m in range(1, 13)]}
    # The first and the last row in the column's order, each walking its index from one end and
    # stopping at the first visible row. `MIN()`/`MAX()` do the same on a plain table, but not when
    # the access rule joins another table (timeline entries: the incident's project), where the
    # planner aggregates every row.
    dates = changelist.queryset.filter(**{f"{field_name}__isnull": False}).values_list(field_name, flat=True)
    span = {"first": dates.order_by(field_name).first(), "last": dates.order_by(f"-{field_name}").first()}
    if span["first"] is None:
        return {"show": False}
    if isinstance(field, models.DateTimeField):
        span = {key: timezone.localtime(moment) if timezone.is_aware(moment) else moment
                for key, moment in span.items()}
    return {"show": True, "back": None,
            "choices": [{"link": link({year_field: str(y)}), "title": str(y)}
                        for y in range(span["first"].year, span["last"].year + 1)]}


def uses_estimated_counts(changelist) -> bool:
    paginator = changelist.model_admin.paginator
    return isinstance(paginator, type) and issubclass(paginator, EstimatedCountPaginator)

"""Changelists of tables that grow without bound: counts the database can afford.

Django's admin counts every row twice per page (`COUNT(*)` for the paginator and
again for "N total"). On a table of millions of rows that count is most of the
page's time. Admins of unbounded tables set::

    paginator = EstimatedCountPaginator
    show_full_result_count = False

The rule (see docs/admin.md): count exactly up to `OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT`
rows (10,000 by default), reading at most that many rows; above it, PostgreSQL's
planner estimate for the same query is the count. Other databases (SQLite, the
embedded default) count exactly.
"""

import json

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

DEFAULT_EXACT_COUNT_LIMIT = 10_000


def exact_count_limit() -> int:
    return getattr(settings, "OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT", DEFAULT_EXACT_COUNT_LIMIT)


def planner_estimate(queryset) -> int | None:
    """Rows PostgreSQL's planner expects `queryset` to return (no rows are read), or None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def bounded_count(queryset, limit: int) -> int:
    """Exact count, but reading at most `limit + 1` rows: cheap, and tells "more than limit" apart."""
    return queryset.order_by().values("pk")[: limit + 1].count()


class EstimatedCountPaginator(Paginator):
    """Paginator whose count never scans a large table.

    On PostgreSQL: ask the planner (EXPLAIN, no rows read); count exactly when it expects
    at most the limit; otherwise confirm there are more than `limit` rows (reading at most
    limit + 1) and show the estimate. Other databases count exactly.
    """

    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query") or connections[queryset.db].vendor != "postgresql":
            return super().count
        limit = exact_count_limit()
        estimate = planner_estimate(queryset)
        if estimate <= limit:
            return queryset.count()
        # The planner expects many rows: check it (reading at most limit + 1 of them) so that a
        # wild estimate for a selective filter never shows pages of nothing.
        counted = bounded_count(queryset, limit)
        if counted <= limit:
            return counted
        self.estimated = True
        return max(estimate, limit + 1)


class AutocompleteFilter(admin.RelatedFieldListFilter):
    """List filter on a large foreign key (SLO, service, incident, user): a search box, not every choice.

    Use it as `list_filter = [("slo", AutocompleteFilter)]`. It asks the admin's autocomplete view
    (the related admin's `search_fields` and `get_queryset`, so its access rules apply) and
    renders only the chosen value: one query, however many rows the related table has.
    """

    template = "admin/opsportal/autocomplete_filter.html"

    def field_choices(self, field, request, model_admin):
        return []  # never list the related table

    def has_output(self):
        return True

    def selected_value(self):
        values = self.lookup_val or []
        return values[-1] if isinstance(values, list | tuple) and values else (values or None)

    def widget_html(self):
        remote_model = self.field.remote_field.model
        form_field = forms.ModelChoiceField(
            queryset=remote_model._default_manager.all(), required=False,
            widget=AutocompleteSelect(self.field, self.model_admin.admin_site),
        )
        form_field.widget.attrs.update({"class": "opsportal-autocomplete-filter", "style": "width: 100%"})
        return form_field.widget.render(self.lookup_kwarg, self.selected_value(),
                                        attrs={"id": f"autocomplete-filter-{self.field_path}"})

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.model_admin = model_admin
        self.field_path = field_path
        super().__init__(field, request, params, model, model_admin, field_path)

    @classmethod
    def media(cls):
        widget = AutocompleteSelect(None, None)
        return widget.media + forms.Media(js=["opsportal/autocomplete_filter.js"])


def autocomplete_filter_media(changelist):
    """The select2 scripts, once per page, when one of the changelist's filters is an AutocompleteFilter."""
    if any(isinstance(spec, AutocompleteFilter) for spec in changelist.filter_specs):
        return AutocompleteFilter.media()
    return ""

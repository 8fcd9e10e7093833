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

import calendar
import datetime
import json
import operator
import re
from functools import reduce

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, lookup_spawns_duplicates
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Max, Min, Q
from django.db.models.constants import LOOKUP_SEP
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst, smart_split, unescape_string_literal
from django.utils.translation import gettext as _

DEFAULT_EXACT_COUNT_LIMIT = 10_000


def exact_count_limit() -> int:
    return getattr(settings, "OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT", DEFAULT_EXACT_COUNT_LIMIT)


def planner_estimate(queryset) -> int | None:
    """Rows PostgreSQL's planner expects `queryset` to return (no rows are read), or None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # queryset.none(): nothing to ask
        return 0
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


class RequiredAutocompleteFilter(AutocompleteFilter):
    """An autocomplete filter the list cannot do without: until a value is chosen, no rows.

    For tables only ever read one parent at a time (raw SLI measurements: one SLO's newest
    rows), so nobody pages through hundreds of millions of rows of every parent mixed.
    """

    required = True

    def queryset(self, request, queryset):
        if self.selected_value() in (None, ""):
            return queryset.none()
        return super().queryset(request, queryset)


class ToManyAutocompleteFilter(admin.SimpleListFilter):
    """Autocomplete filter on a many-to-many field: `list_filter = [to_many_autocomplete_filter("services")]`.

    Django's field filters on a to-many relation join it into the list query and then remove
    duplicate rows with DISTINCT over every matching row (30 ms at 2,000 matches, growing with
    them). This one keeps the same parameter (`services__id__exact=<id>`) but matches with a
    semi-join, `id IN (SELECT ... WHERE service_id = <id>)`, so no duplicates arise and the list
    keeps walking its ordering index.
    """

    template = AutocompleteFilter.template
    field_name = None
    required = False

    def __init__(self, request, params, model, model_admin):
        self.field = model._meta.get_field(self.field_name)
        self.field_path = self.field_name
        self.model_admin = model_admin
        self.parameter_name = self.lookup_kwarg = f"{self.field_name}__{self.field.target_field.name}__exact"
        self.title = self.field.verbose_name
        super().__init__(request, params, model, model_admin)
        self.lookup_val = self.value()

    def lookups(self, request, model_admin):
        return ()  # never list the related table

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        matching = queryset.model._default_manager.filter(**{self.parameter_name: self.value()}).values("pk")
        return queryset.filter(pk__in=matching)

    selected_value = AutocompleteFilter.selected_value
    widget_html = AutocompleteFilter.widget_html


def to_many_autocomplete_filter(field_name: str) -> type[ToManyAutocompleteFilter]:
    return type(f"{field_name.title()}AutocompleteFilter", (ToManyAutocompleteFilter,), {"field_name": field_name})


def autocomplete_filter_media(changelist):
    """The select2 scripts, once per page, when one of the changelist's filters is an autocomplete filter."""
    if any(isinstance(spec, AutocompleteFilter | ToManyAutocompleteFilter) for spec in changelist.filter_specs):
        return AutocompleteFilter.media()
    return ""


# --- search: references, numbers and hashes are looked up exactly (an index), words by the usual search ---
REFERENCE_TERM = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*-\d+$")  # SHOP-5000
NUMBER_TERM = re.compile(r"^#?\d{1,18}$")  # 5000 or #5000
HASH_TERM = re.compile(r"^[0-9a-fA-F]{64}$")  # a SHA-256


def exact_search_lookups(model_admin, term: str) -> dict[str, object]:
    """The exact lookups `term` stands for on this admin (any may match), or {} when it is a word."""
    if REFERENCE_TERM.match(term) and getattr(model_admin, "search_reference_field", None):
        return {f"{model_admin.search_reference_field}__iexact": term}
    if NUMBER_TERM.match(term):
        return {field: int(term.lstrip("#")) for field in getattr(model_admin, "search_number_fields", ())}
    if HASH_TERM.match(term):
        return {field: term.lower() for field in getattr(model_admin, "search_hash_fields", ())}
    return {}


def search_exact_first(model_admin, request, queryset, search_term):
    """`ModelAdmin.get_search_results` that searches the way people look records up.

    A reference (`SHOP-5000`), a number (`5000`, `#5000`: the record's number or id) or a
    SHA-256 finds exactly that record through an index, when one matches; anything else (or
    a reference-looking word that is no reference, like `us-1`) is Django's search over
    `search_fields`. Admins opt in with class attributes::

        get_search_results = search_exact_first
        search_reference_field = "reference"        # iexact; indexed on UPPER(reference)
        search_number_fields = ["number", "id"]     # integer columns with an index
        search_hash_fields = ["payload_sha256"]     # stored lower-case
    """
    term = search_term.strip()
    lookups = exact_search_lookups(model_admin, term) if term else {}
    if lookups:
        found = queryset.filter(reduce(operator.or_, (Q(**{key: value}) for key, value in lookups.items())))
        if found.exists():
            return found, any(lookup_spawns_duplicates(model_admin.opts, key) for key in lookups)
    return word_search(model_admin, request, queryset, search_term)


SEARCH_PREFIXES = {"^": "istartswith", "=": "iexact", "@": "search"}


def word_search(model_admin, request, queryset, search_term):
    """Django's admin search (every word must match one of `search_fields`), without duplicates to remove.

    Django joins a to-many relation (`alerts__labels_text`) into the list query, then removes the
    duplicate rows over the whole result (DISTINCT or EXISTS per row). Here such a field is matched
    by a semi-join (`pk IN (...)`) instead, so the list query stays a plain, index-ordered scan.
    Fields with an explicit lookup are left to Django's implementation.
    """
    fields = [str(f) for f in model_admin.get_search_fields(request)]
    if not fields or not search_term or any(LOOKUP_SEP in f.lstrip("^=@") and _has_lookup(queryset.model, f)
                                            for f in fields):
        return admin.ModelAdmin.get_search_results(model_admin, request, queryset, search_term)
    lookups = [f"{f[1:]}__{SEARCH_PREFIXES[f[0]]}" if f[0] in SEARCH_PREFIXES else f"{f}__icontains"
               for f in fields]
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        either = Q()
        for lookup in lookups:
            if lookup_spawns_duplicates(model_admin.opts, lookup):
                either |= Q(pk__in=queryset.model._default_manager.filter(**{lookup: bit}).values("pk"))
            else:
                either |= Q(**{lookup: bit})
        queryset = queryset.filter(either)
    return queryset, False


def _has_lookup(model, field_path: str) -> bool:
    """True when the path ends in a lookup (`number__exact`) rather than a field."""
    try:
        get_fields_from_path(model, field_path.lstrip("^=@"))
    except (FieldDoesNotExist, NotRelationField):
        return True
    return False


# --- date drill-down without DISTINCT over the whole table ---
def date_hierarchy_choices(changelist) -> dict:
    """The date drill-down of an unbounded table, from at most one query.

    Django's lists the years (months, days) that have rows: `SELECT DISTINCT date_trunc(...)`
    over every matching row. Here the years are those between the first and the last row
    (MIN and MAX, served by the column's index), and a year's months and a month's days are
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
    span = changelist.queryset.order_by().aggregate(first=Min(field_name), last=Max(field_name))
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


# --- "all values" filters on indexed columns without DISTINCT over every row ---
def distinct_values_by_index(model, column: str) -> list:
    """The distinct values of an indexed column, by hopping through the index (a "loose index scan").

    One recursive query that reads one index entry per distinct value, where
    `SELECT DISTINCT` reads every row. PostgreSQL only (callers fall back elsewhere).
    """
    table = connections["default"].ops.quote_name(model._meta.db_table)
    col = connections["default"].ops.quote_name(column)
    sql = (
        f"WITH RECURSIVE hop AS ((SELECT {col} AS v FROM {table} WHERE {col} IS NOT NULL ORDER BY {col} LIMIT 1)"
        f" UNION ALL SELECT (SELECT {col} FROM {table} WHERE {col} > hop.v ORDER BY {col} LIMIT 1)"
        f" FROM hop WHERE hop.v IS NOT NULL) SELECT v FROM hop WHERE v IS NOT NULL"
    )
    with connections["default"].cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's "all values" filter for an indexed column of an unbounded table: `("kind", IndexedValuesFilter)`.

    On PostgreSQL the values come from a loose index scan (one index entry per value) instead of
    `SELECT DISTINCT` over every row. The values are those of the whole table, not only the rows
    this user may see (they are labels such as a phase or an evidence kind, never a row's content).
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        if connections["default"].vendor == "postgresql" and LOOKUP_SEP not in field_path:
            self.lookup_choices = distinct_values_by_index(model, field.column)


# --- the row checkbox without a template per row ---
@admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
def action_checkbox_fast(model_admin, obj):
    """Django's `ModelAdmin.action_checkbox` markup built directly: Django renders a form widget
    template for every row, a third of a 100-row incident page's time. Use as a class attribute
    on admins with actions: `action_checkbox = action_checkbox_fast`."""
    label = format_html(_("Select this object for an action - {}"), str(obj))
    return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                       ACTION_CHECKBOX_NAME, str(obj.pk), label)


class ListFilterAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete view, also open to whoever may view the list being filtered.

    Django asks for view permission on the related model (users, for an action item's owner
    filter), which Managers do not have; the plain list filter it replaces lists every user to
    anyone who can view the list. The related admin's `get_queryset` and `search_fields` still
    decide what is found.
    """

    def has_perm(self, request, obj=None):
        if super().has_perm(request, obj):
            return True
        source_admin = self.admin_site._registry.get(self.source_field.model)
        return bool(source_admin and source_admin.has_view_permission(request))

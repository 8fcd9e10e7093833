"""List filters for large tables: autocomplete on big foreign keys, values of indexed columns."""

from django import forms
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models.constants import LOOKUP_SEP
from django.templatetags.static import static
from django.utils.html import format_html


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
        # Django's select2 scripts, then ours: after them, so it binds to the jQuery select2 was loaded on.
        return format_html("{}\n<script src=\"{}\"></script>", AutocompleteSelect(None, None).media,
                           static("opsportal/autocomplete_filter.js"))


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


def distinct_values_in_projects(model, column: str, project_column: str, projects) -> list:
    """The distinct values of `column` in the rows of `projects` (a Project queryset), by index hops.

    A loose index scan over the pairs (project, value) in the order of an index on
    `(project_column, column)`: one index entry per pair that exists (projects x values, tens to
    thousands), then only the pairs of the user's projects are kept. PostgreSQL only.
    """
    connection = connections["default"]
    table, col, proj = (connection.ops.quote_name(name) for name in (model._meta.db_table, column, project_column))
    try:
        projects_sql, projects_params = projects.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # no projects: no values
        return []
    sql = (
        f"WITH RECURSIVE hop(p, v) AS ((SELECT {proj}, {col} FROM {table} WHERE {col} IS NOT NULL "
        f"AND {proj} IS NOT NULL ORDER BY {proj}, {col} LIMIT 1)"
        f" UNION ALL SELECT nxt.p, nxt.v FROM hop CROSS JOIN LATERAL (SELECT {proj} AS p, {col} AS v FROM {table}"
        f" WHERE ({proj}, {col}) > (hop.p, hop.v) AND {col} IS NOT NULL ORDER BY {proj}, {col} LIMIT 1) nxt)"
        f" SELECT DISTINCT v FROM hop WHERE p IN ({projects_sql}) ORDER BY v"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, projects_params)
        return [row[0] for row in cursor.fetchall()]


def indexed_values_for(request, model, column: str) -> list | None:
    """The values of an indexed column that `request.user` may see, by index hops; None: use Django's query.

    Values are labels (a phase, an evidence kind), but a project's labels are still its own: another
    project's custom evidence kinds must not show up in this user's filter. A superuser (and an
    organisation-wide model) sees the whole table's values; a model scoped by its own `project`
    column gets the values of the user's projects (opsportal.access.projects_for, the rule `scope`
    applies); any other declaration falls back to Django's `SELECT DISTINCT` over the scoped rows.
    """
    from opsportal.access import projects_for
    from opsportal.access.registry import declaration

    access = declaration(model)
    user = request.user
    if access is None or access.organisation_wide or user.is_superuser:
        return distinct_values_by_index(model, column)
    if LOOKUP_SEP in access.path or access.open_when_null or access.managers_when_null:
        return None
    project_column = model._meta.get_field(access.path).column
    return distinct_values_in_projects(model, column, project_column, projects_for(user, "view", model))


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's "all values" filter for an indexed column of an unbounded table: `("kind", IndexedValuesFilter)`.

    Django's lists the values with `SELECT DISTINCT` over every row the user may see. On PostgreSQL
    the values come from index hops instead (one index entry per value, or per project and value:
    the table needs an index on `(project, column)`), limited to the user's projects
    (`indexed_values_for`). Elsewhere Django's query over the scoped rows is kept.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        if connections["default"].vendor == "postgresql" and LOOKUP_SEP not in field_path:
            values = indexed_values_for(request, model, field.column)
            if values is not None:
                self.lookup_choices = values


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

"""Every incident's timeline in one list: what happened where, across incidents (an unbounded table:
about ten entries per incident, a million at 100,000 incidents; docs/admin.md)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from incidents.models import IncidentEvent
from opsportal.admin.mixins import ReadOnlyAdminMixin, pretty_json
from opsportal.admin.scale import LARGE_LIST_PER_PAGE, AutocompleteFilter, EstimatedCountPaginator, search_exact_first

TEXT_SHOWN = 120  # characters of an entry's text in the list


@admin.register(IncidentEvent)
class IncidentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    list_per_page = LARGE_LIST_PER_PAGE  # rendering 100 rows of many columns was most of the page's time
    list_display = ["occurred_at", "incident_link", "kind", "author", "short_text"]
    list_display_links = ["occurred_at"]
    # kind has choices: listed without a query. Incident and author are large tables: a search box.
    list_filter = ["kind", ("incident", AutocompleteFilter), ("author", AutocompleteFilter)]
    list_select_related = ["incident", "author"]
    search_fields = ["text"]  # trigram index on PostgreSQL (incidents 0008)
    get_search_results = search_exact_first  # SHOP-5000: that incident's timeline; 5000: entry #5000
    search_reference_field = "incident__reference"
    search_number_fields = ["id"]
    date_hierarchy = "occurred_at"
    ordering = ["-occurred_at", "-id"]  # newest first, on the occurred_at index
    fields = ["incident", "occurred_at", "kind", "author", "text", "data_pretty", "dedup_key", "created_at"]
    readonly_fields = fields

    @admin.display(description="incident", ordering="incident__reference")
    def incident_link(self, obj):
        # The reference is enough to recognise it; the title is on the incident's page.
        return format_html('<a href="{}">{}</a>', reverse("admin:incidents_incident_change", args=[obj.incident_id]),
                           obj.incident.reference)

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text if len(obj.text) <= TEXT_SHOWN else obj.text[:TEXT_SHOWN - 1] + "…"

    @admin.display(description="data")
    def data_pretty(self, obj):
        return pretty_json(obj.data)

"""The admin at scale (docs/admin.md): shared pieces every admin of a large table uses with one line."""

from opsportal.admin.scale.dates import date_hierarchy_choices, uses_estimated_counts
from opsportal.admin.scale.filters import (
    AutocompleteFilter,
    IndexedValuesFilter,
    ListFilterAutocompleteJsonView,
    RequiredAutocompleteFilter,
    ToManyAutocompleteFilter,
    autocomplete_filter_media,
    distinct_values_by_index,
    to_many_autocomplete_filter,
)
from opsportal.admin.scale.pagination import (
    EstimatedCountPaginator,
    bounded_count,
    exact_count_limit,
    planner_estimate,
    search_exact_count_limit,
)
from opsportal.admin.scale.rows import LARGE_LIST_PER_PAGE, action_checkbox_fast
from opsportal.admin.scale.search import exact_search_lookups, search_exact_first, word_search

__all__ = [
    "AutocompleteFilter",
    "EstimatedCountPaginator",
    "IndexedValuesFilter",
    "LARGE_LIST_PER_PAGE",
    "ListFilterAutocompleteJsonView",
    "RequiredAutocompleteFilter",
    "ToManyAutocompleteFilter",
    "action_checkbox_fast",
    "autocomplete_filter_media",
    "bounded_count",
    "date_hierarchy_choices",
    "distinct_values_by_index",
    "exact_count_limit",
    "exact_search_lookups",
    "planner_estimate",
    "search_exact_count_limit",
    "search_exact_first",
    "to_many_autocomplete_filter",
    "uses_estimated_counts",
    "word_search",
]

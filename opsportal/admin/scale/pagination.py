"""Paginating tables that grow without bound: counts the database can afford.

Django's admin counts every row twice per page (`COUNT(*)` for the paginator and
again for "N total"). On a table of millions of rows that count is most of the
page's time. Admins of unbounded tables set::

    paginator = EstimatedCountPaginator
    show_full_result_count = False

The rule (see docs/admin.md): count exactly up to `OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT`
rows (10,000 by default), reading at most that many rows; above it, PostgreSQL's
planner estimate for the same query is the count. While a search is active the
limit is `OPSPORTAL_ADMIN_SEARCH_EXACT_COUNT_LIMIT` (1,000): a word found in most
rows would otherwise have 10,001 matches read through the trigram index just to
be counted. Other databases (SQLite, the embedded default) count exactly.
"""

import json

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

DEFAULT_EXACT_COUNT_LIMIT = 10_000
DEFAULT_SEARCH_EXACT_COUNT_LIMIT = 1_000


def exact_count_limit() -> int:
    return getattr(settings, "OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT", DEFAULT_EXACT_COUNT_LIMIT)


def search_exact_count_limit() -> int:
    return getattr(settings, "OPSPORTAL_ADMIN_SEARCH_EXACT_COUNT_LIMIT", DEFAULT_SEARCH_EXACT_COUNT_LIMIT)


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

    On PostgreSQL: count reading at most limit + 1 rows; exact when there are at most `limit`,
    otherwise the planner's estimate (EXPLAIN, no rows read), never below limit + 1. Other
    databases count exactly.
    """

    estimated = False
    # The admin site passes the search limit to paginators that say so (OpsPortalAdminSite.register).
    takes_search_limit = True

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *,
                 exact_limit: int | None = None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.exact_limit = exact_limit  # None: OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query") or connections[queryset.db].vendor != "postgresql":
            return super().count
        limit = self.exact_limit if self.exact_limit is not None else exact_count_limit()
        # Count reading at most limit + 1 rows first, whatever the planner thinks: a low estimate
        # (a frequent word searched through a trigram index is estimated at a few hundred rows)
        # must not lead to a full COUNT(*) of 100,000 matches, and a high one must not show pages
        # of nothing. Only above the limit is the planner asked (EXPLAIN, no rows read).
        counted = bounded_count(queryset, limit)
        if counted <= limit:
            return counted
        self.estimated = True
        return max(planner_estimate(queryset), limit + 1)


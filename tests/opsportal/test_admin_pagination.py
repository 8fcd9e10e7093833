"""Changelists of unbounded tables count what the database can afford (opsportal.admin.scale)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal.admin.scale import EstimatedCountPaginator
from opsportal.models import EvidenceRecord
from opsportal.services import log_evidence

ON_POSTGRES = connection.vendor == "postgresql"


def records(project, count):
    EvidenceRecord.objects.bulk_create(
        EvidenceRecord(project=project, phase="phase6", kind="manual", summary=f"record {i}", payload={"i": i},
                       payload_sha256=f"{i:064x}")
        for i in range(count)
    )


def test_below_the_limit_the_count_is_exact(project, settings):
    settings.OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT = 100
    records(project, 37)
    paginator = EstimatedCountPaginator(EvidenceRecord.objects.order_by("-id"), 10)
    assert paginator.count == 37
    assert paginator.num_pages == 4
    assert paginator.estimated is False


@pytest.mark.skipif(ON_POSTGRES, reason="the estimate is PostgreSQL's")
def test_sqlite_counts_exactly_above_the_limit(project, settings):
    settings.OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT = 10
    records(project, 37)
    paginator = EstimatedCountPaginator(EvidenceRecord.objects.order_by("-id"), 10)
    assert paginator.count == 37
    assert paginator.estimated is False


@pytest.mark.postgres_only
def test_postgres_shows_the_planner_estimate_above_the_limit(project, settings):
    settings.OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT = 10
    records(project, 500)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {EvidenceRecord._meta.db_table}")
    paginator = EstimatedCountPaginator(EvidenceRecord.objects.order_by("-id"), 100)
    with CaptureQueriesContext(connection) as ctx:
        count = paginator.count
    assert paginator.estimated is True
    assert 400 <= count <= 600  # statistics, not a count: close to 500 after ANALYZE
    assert not any("COUNT(*)" in q["sql"].upper() and "LIMIT" not in q["sql"].upper() for q in ctx.captured_queries)
    assert len(ctx) == 2  # a count that stops after limit + 1 rows, then the EXPLAIN


@pytest.mark.postgres_only
def test_postgres_counts_a_selective_filter_exactly(project, settings):
    settings.OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT = 10
    records(project, 500)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {EvidenceRecord._meta.db_table}")
    paginator = EstimatedCountPaginator(EvidenceRecord.objects.filter(summary__in=["record 1", "record 2"]), 100)
    assert paginator.count == 2
    assert paginator.estimated is False


@pytest.mark.postgres_only
def test_a_wrong_estimate_above_the_limit_is_corrected_by_the_bounded_count(project, settings, monkeypatch):
    settings.OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT = 10
    records(project, 5)
    stale_statistics = 1_000_000
    monkeypatch.setattr("opsportal.admin.scale.pagination.planner_estimate", lambda queryset: stale_statistics)
    paginator = EstimatedCountPaginator(EvidenceRecord.objects.order_by("-id"), 100)
    assert paginator.count == 5
    assert paginator.estimated is False


def test_changelist_has_no_full_count_and_says_about_when_estimated(client, admin_user, manager, project, settings):
    settings.OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT = 10
    records(project, 60)
    log_evidence(project=project, kind="manual", summary="the newest", actor=manager)
    if ON_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {EvidenceRecord._meta.db_table}")
    # A superuser's list is the whole table, so the planner's estimate is the table statistics (61); a
    # member's list carries the membership filter, whose estimate may fall under the limit (exact count).
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/admin/opsportal/evidencerecord/")
    assert page.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    if ON_POSTGRES:
        assert b"about</span> 6" in page.content  # ~61 rows, estimated
        assert all("LIMIT" in sql.upper() for sql in counts), counts
    else:
        assert b"61 evidence records" in page.content
        assert len(counts) == 1, counts  # the paginator's; no second "N total" count
    assert b"the newest" in page.content


@pytest.mark.postgres_only
def test_a_low_estimate_never_leads_to_a_full_count(project, settings, monkeypatch):
    # A frequent word searched through a trigram index is estimated at a few rows and matches 100,000.
    settings.OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT = 10
    records(project, 50)
    monkeypatch.setattr("opsportal.admin.scale.pagination.planner_estimate", lambda queryset: 3)
    paginator = EstimatedCountPaginator(EvidenceRecord.objects.order_by("-id"), 100)
    with CaptureQueriesContext(connection) as ctx:
        assert paginator.count == 11  # more than the limit: never shown below limit + 1
    assert paginator.estimated is True
    assert all("LIMIT 11" in q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper())


def test_every_admin_of_an_unbounded_table_counts_searches_with_the_search_limit():
    from django.contrib import admin as django_admin

    from opsportal.admin_site import SearchCountLimitAdmin

    unbounded = [a for a in django_admin.site._registry.values() if issubclass(a.paginator, EstimatedCountPaginator)]
    assert len(unbounded) > 10
    assert all(isinstance(a, SearchCountLimitAdmin) for a in unbounded), [
        type(a).__name__ for a in unbounded if not isinstance(a, SearchCountLimitAdmin)]


@pytest.mark.postgres_only
def test_a_search_counts_only_up_to_the_search_limit(client, admin_user, project, settings):
    # A word in most rows: the count reads at most search limit + 1 matches, not the general limit.
    settings.OPSPORTAL_ADMIN_EXACT_COUNT_LIMIT = 100
    settings.OPSPORTAL_ADMIN_SEARCH_EXACT_COUNT_LIMIT = 20
    records(project, 60)
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as ctx:
        searched = client.get("/admin/opsportal/evidencerecord/?q=record")
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert searched.status_code == 200
    assert counts and all("LIMIT 21" in sql for sql in counts), counts
    with CaptureQueriesContext(connection) as ctx:
        unsearched = client.get("/admin/opsportal/evidencerecord/")
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert unsearched.status_code == 200
    assert counts and all("LIMIT 101" in sql for sql in counts), counts
    assert b"60 evidence records" in unsearched.content  # exact below the general limit


def test_a_search_below_the_search_limit_is_counted_exactly(client, admin_user, project, settings):
    settings.OPSPORTAL_ADMIN_SEARCH_EXACT_COUNT_LIMIT = 20
    records(project, 30)
    client.force_login(admin_user)
    page = client.get("/admin/opsportal/evidencerecord/?q=record+1")  # both words: 1, 10-19, 21
    assert page.status_code == 200
    assert b"12 evidence records" in page.content

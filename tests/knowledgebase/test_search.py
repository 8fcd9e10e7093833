"""Full-text search: ranking, snippets, escaping, on PostgreSQL and SQLite (FTS5 or contains fallback)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from knowledgebase import search, services
from knowledgebase.models import Article

HOSTILE_QUERIES = ['"', "'", '"restart', "restart'", "AND", "OR NOT", "NEAR(restart", "*", "restart*", "-restart",
                   "title:restart", "^restart", "(", ")", "\\", "%", "_", "'; DROP TABLE knowledgebase_article; --",
                   "!!", "&|", "<script>", "restart & | !pods", ":*", "a" * 500, "\x00restart"]


@pytest.fixture
def corpus(article_factory, operator):
    body = "Background text about queues and workers. " * 5
    return {
        "title": article_factory(operator, title="Restart the checkout pods", summary="Pods", body=body),
        "summary": article_factory(operator, title="Checkout latency", summary="When to restart workers", body=body),
        "body": article_factory(operator, title="Queue basics", summary="Queues", body=body + " You may restart."),
        "other": article_factory(operator, title="Payments", summary="Provider", body="Nothing relevant here."),
    }


def titles(queryset):
    return [article.title for article in queryset]


def test_backend_matches_the_database():
    expected = "postgres" if connection.vendor == "postgresql" else "fts5"
    assert search.search_backend() == expected


def test_ranking_title_then_summary_then_body(corpus):
    results = search.search_articles(Article.objects.all(), "restart")
    assert titles(results) == ["Restart the checkout pods", "Checkout latency", "Queue basics"]
    ranks = [article.search_rank for article in results]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[-1]


def test_stemming_and_all_words_must_match(corpus):
    assert titles(search.search_articles(Article.objects.all(), "restarting pods")) == ["Restart the checkout pods"]
    assert titles(search.search_articles(Article.objects.all(), "restart payments")) == []


def test_search_composes_with_filters(corpus):
    results = search.search_articles(Article.objects.filter(title__startswith="Queue"), "restart")
    assert titles(results) == ["Queue basics"]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_input_neither_errors_nor_injects(corpus, q):
    results = list(search.search_articles(Article.objects.all(), q))
    words = search.query_words(q)
    if not words:
        assert results == []
    if q in ('"restart', "restart'", "restart*", "^restart"):
        assert "Restart the checkout pods" in titles(results)
    assert Article.objects.count() == 4


def test_headline_marks_hits_and_escapes_html(article_factory, operator):
    article_factory(operator, title="XSS", body="Before <script>alert(1)</script> then restart the pods. " * 3)
    result = search.search_articles(Article.objects.all(), "restart").get()
    html = search.headline_html(result.search_headline, fallback_text=result.body, q="restart")
    assert "<mark>restart</mark>" in html
    # PostgreSQL's headline drops tags, FTS5 keeps them as text: either way nothing is markup.
    assert "<script" not in html and "alert(1)" in html


def test_index_follows_edits_and_deletes(article_factory, operator, manager):
    article = article_factory(operator, title="Rotate certificates", body="openssl commands")
    assert titles(search.search_articles(Article.objects.all(), "openssl")) == ["Rotate certificates"]
    services.article_update(article=article, actor=operator, base_version=1, body="use cert-manager now")
    assert titles(search.search_articles(Article.objects.all(), "openssl")) == []
    assert titles(search.search_articles(Article.objects.all(), "manager")) == ["Rotate certificates"]
    with pytest.raises(ValidationError) as refused:  # its revisions are audit records: archive instead
        services.article_delete(article=article, actor=manager)
    assert "article" in refused.value.message_dict
    assert titles(search.search_articles(Article.objects.all(), "manager")) == ["Rotate certificates"]


def test_fts5_match_expression_quotes_every_word():
    assert search.fts5_match_expression('restart" OR title:x*') == '"restart" "OR" "title" "x"'


def test_contains_fallback_without_full_text(corpus, monkeypatch):
    monkeypatch.setattr(search, "search_backend", lambda conn=None: "contains")
    results = search.search_articles(Article.objects.all(), "restart")
    assert titles(results) == ["Restart the checkout pods", "Checkout latency", "Queue basics"]
    html = search.headline_html(results[2].search_headline, fallback_text=results[2].body, q="restart")
    assert "<mark>restart</mark>" in html
    assert titles(search.search_articles(Article.objects.all(), "restart payments")) == []
    for q in HOSTILE_QUERIES:
        list(search.search_articles(Article.objects.all(), q))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 table")
def test_rebuild_index_refills_fts5(corpus):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.FTS_TABLE}")
    assert titles(search.search_articles(Article.objects.all(), "restart")) == []
    assert search.rebuild_index() == 4
    assert len(titles(search.search_articles(Article.objects.all(), "restart"))) == 3


@pytest.mark.postgres_only
def test_postgres_uses_the_gin_index(corpus):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'kb_article_search_gin'")
        assert "gin" in cursor.fetchone()[0].lower()
        cursor.execute("SET enable_seqscan = off")
        try:
            queryset = search.search_articles(Article.objects.all(), "restart")
            plan = queryset.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")
    assert "kb_article_search_gin" in plan


@pytest.mark.postgres_only
def test_postgres_websearch_syntax_is_safe_and_useful(corpus):
    assert titles(search.search_articles(Article.objects.all(), '"checkout pods"')) == ["Restart the checkout pods"]
    assert sorted(titles(search.search_articles(Article.objects.all(), "restart -latency"))) == [
        "Queue basics", "Restart the checkout pods",
    ]


def test_reindex_command(corpus, capsys):
    from django.core.management import call_command

    call_command("kb_search_reindex")
    out = capsys.readouterr().out
    if connection.vendor == "sqlite":
        assert "Indexed 4 article(s)." in out
    else:
        assert "nothing to rebuild" in out

"""Full-text search over articles: title (weight A), summary (B), body (C).

- PostgreSQL: `SearchVector` / `SearchRank` / `SearchHeadline`, with a GIN
  expression index (migration 0002) that matches `article_vector()` exactly.
- SQLite with FTS5: the virtual table `knowledgebase_article_fts`, created by
  the same migration and kept in sync by the services (`index_article`),
  ranked with `bm25` and cut with `snippet`.
- Anything else (SQLite without FTS5): every word must appear in the title,
  summary or body (`icontains`).

All three give the same annotations: `search_rank` (higher is better) and
`search_headline` (text with \\x02/\\x03 around hits, or None; turn it into
HTML with `headline_html`). User input never reaches a query language
unescaped: PostgreSQL gets `websearch_to_tsquery`, FTS5 gets quoted words.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection, connections
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils.html import escape

FTS_TABLE = "knowledgebase_article_fts"
SEARCH_CONFIG = "english"
MARK_START, MARK_STOP = "\x02", "\x03"
MAX_QUERY_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD = re.compile(r"\w+", re.UNICODE)
# FTS5 column weights in column order (title, summary, body), as A/B/C on PostgreSQL.
BM25_WEIGHTS = (10.0, 4.0, 1.0)


def _fts5_table_exists(conn) -> bool:
    cached = getattr(conn, "_kb_fts5_table", None)
    if cached is None:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE])
            cached = cursor.fetchone() is not None
        conn._kb_fts5_table = cached
    return cached


def search_backend(conn=None) -> str:
    """"postgres", "fts5" or "contains" for the given (default) connection."""
    conn = conn or connection
    if conn.vendor == "postgresql":
        return "postgres"
    if conn.vendor == "sqlite" and _fts5_table_exists(conn):
        return "fts5"
    return "contains"


def query_words(q: str) -> list[str]:
    return _WORD.findall((q or "")[:MAX_QUERY_CHARS])


def fts5_match_expression(q: str) -> str:
    """Each word as a quoted FTS5 string, so no user text is read as an operator (AND, NEAR, *, -, ^, :)."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in query_words(q))


def article_vector() -> SearchVector:
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )


def search_articles(queryset, q: str):
    """Articles of `queryset` matching `q`, best first, with `search_rank` and `search_headline`."""
    q = _CONTROL.sub(" ", (q or "")[:MAX_QUERY_CHARS]).strip()  # PostgreSQL refuses NUL in text
    if not query_words(q):
        return queryset.none()
    backend = search_backend(connections[queryset.db])
    if backend == "postgres":
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.annotate(kb_search_vector=article_vector())
            .filter(kb_search_vector=query)
            .annotate(
                search_rank=SearchRank(F("kb_search_vector"), query),
                search_headline=SearchHeadline(
                    "body", query, config=SEARCH_CONFIG, start_sel=MARK_START, stop_sel=MARK_STOP,
                    max_words=30, min_words=12, max_fragments=2, fragment_delimiter=" … ",
                ),
            )
            .order_by("-search_rank", "title", "id")
        )
    if backend == "fts5":
        match = fts5_match_expression(q)
        weights = ", ".join(str(weight) for weight in BM25_WEIGHTS)
        # bm25 is lower-is-better; negate it so search_rank means the same on both databases.
        return (
            queryset.filter(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match]))
            .annotate(
                search_rank=RawSQL(
                    f"SELECT -bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} "
                    f"WHERE {FTS_TABLE} MATCH %s AND rowid = knowledgebase_article.id", [match],
                ),
                search_headline=RawSQL(
                    f"SELECT snippet({FTS_TABLE}, 2, %s, %s, ' … ', 24) FROM {FTS_TABLE} "
                    f"WHERE {FTS_TABLE} MATCH %s AND rowid = knowledgebase_article.id",
                    [MARK_START, MARK_STOP, match],
                ),
            )
            .order_by("-search_rank", "title", "id")
        )
    return _contains_search(queryset, q)


def _contains_search(queryset, q: str):
    words = query_words(q)
    matches = Q()
    rank = Value(0)
    for word in words:
        matches &= Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        rank = rank + Case(
            When(title__icontains=word, then=Value(3)),
            When(summary__icontains=word, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return (
        queryset.filter(matches)
        .annotate(search_rank=rank, search_headline=Value(None, output_field=IntegerField()))
        .order_by("-search_rank", "title", "id")
    )


def headline_html(headline: str | None, *, fallback_text: str = "", q: str = "") -> str:
    """Safe HTML of a search snippet: the text escaped, hits wrapped in <mark>.

    Without a database headline (the contains fallback), cut one from
    `fallback_text` around the first word of `q`.
    """
    if not headline:
        headline = _python_headline(fallback_text, q)
    escaped = escape(_without_markdown_markers(headline))
    marked = re.sub(f"{MARK_START}(.*?){MARK_STOP}", r"<mark>\1</mark>", escaped, flags=re.DOTALL)
    return marked.replace(MARK_START, "").replace(MARK_STOP, "")


_MARKDOWN_MARKERS = re.compile(r"(^|\s)(#{1,6}|`{3,}\w*|!!!|\|?(?::?-{3,}:?\|?)+|\|)(?=\s|$)")


def _without_markdown_markers(text: str) -> str:
    """Snippets read better without heading hashes, code fences and table pipes."""
    return " ".join(_MARKDOWN_MARKERS.sub(" ", text).split())


def _python_headline(text: str, q: str, width: int = 160) -> str:
    text = " ".join((text or "").split())
    words = query_words(q)
    lowered = text.lower()
    positions = [lowered.find(word.lower()) for word in words if word.lower() in lowered]
    start = max(min(positions) - width // 3, 0) if positions else 0
    snippet = text[start:start + width]
    for word in sorted(set(words), key=len, reverse=True):
        snippet = re.sub(re.escape(word), lambda m: f"{MARK_START}{m.group(0)}{MARK_STOP}", snippet,
                         flags=re.IGNORECASE)
    return ("… " if start else "") + snippet + (" …" if start + width < len(text) else "")


# --- FTS5 index maintenance (SQLite only; no-ops elsewhere) -----------------

def index_article(article) -> None:
    """Put the article's current title, summary and body into the FTS5 table."""
    if search_backend() != "fts5":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [article.pk])
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, summary, body) VALUES (%s, %s, %s, %s)",
            [article.pk, article.title, article.summary, article.body],
        )


def unindex_articles(article_ids) -> None:
    if search_backend() != "fts5":
        return
    with connection.cursor() as cursor:
        for article_id in article_ids:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [article_id])


def rebuild_index() -> int:
    """Refill the FTS5 table from the articles; returns how many were indexed (0 when not on FTS5)."""
    if search_backend() != "fts5":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, summary, body) "
            "SELECT id, title, summary, body FROM knowledgebase_article"
        )
        return cursor.rowcount

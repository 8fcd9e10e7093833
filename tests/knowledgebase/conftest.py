"""Fixtures of the knowledge base tests: articles built through the services."""

import itertools

import pytest

from knowledgebase import services
from knowledgebase.models import ArticleKind
from knowledgebase.structure import RUNBOOK_TEMPLATE

_numbers = itertools.count(1)


def make_article(actor=None, *, publish=False, **fields):
    """An article created with `article_create` (and published when asked)."""
    n = next(_numbers)
    fields.setdefault("kind", ArticleKind.KNOWLEDGE)
    fields.setdefault("title", f"Article {n}")
    fields.setdefault("slug", f"article-{n}")
    if fields["kind"] == ArticleKind.RUNBOOK:
        fields.setdefault("body", RUNBOOK_TEMPLATE)
        fields.setdefault("alert_names", ["HighErrorRate"])
    else:
        fields.setdefault("body", f"Body of article {n}.")
    article = services.article_create(actor=actor, **fields)
    if publish:
        article = services.article_publish(article=article, actor=actor)
    return article


@pytest.fixture
def article_factory(db):
    return make_article

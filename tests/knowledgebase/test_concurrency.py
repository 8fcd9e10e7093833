"""Two editors saving from the same base at the same moment: one wins, the other gets a conflict (row lock)."""

import threading

import pytest
from django.db import connection

from knowledgebase import services
from knowledgebase.models import Article
from opsportal.errors import EditConflict
from tests.knowledgebase.conftest import make_article


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_from_the_same_base(operator, manager):
    article = make_article(operator, slug="race", body="original")
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(user, text):
        try:
            barrier.wait(timeout=10)
            services.article_update(article=Article.objects.get(pk=article.pk), actor=user, base_version=1, body=text)
            outcomes[text] = "saved"
        except EditConflict:
            outcomes[text] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(operator, "A")), threading.Thread(target=save, args=(manager, "B"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    article.refresh_from_db()
    winner = next(text for text, outcome in outcomes.items() if outcome == "saved")
    assert (article.version, article.body, article.revisions.count()) == (2, winner, 2)

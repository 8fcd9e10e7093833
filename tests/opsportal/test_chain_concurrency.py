"""Concurrent writers never fork a project's chain; projects do not block each other (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from opsportal.models import ChainHead, ChainLink
from opsportal.services import log_evidence
from opsportal.services.chain import chain_verify
from tests.factories import ProjectFactory

WRITERS, PER_WRITER = 4, 2_500


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_four_writers_append_one_unbroken_chain_of_ten_thousand():
    project = ProjectFactory(slug="busy")
    other = ProjectFactory(slug="quiet")
    barrier = threading.Barrier(WRITERS + 1)
    errors = []

    def write(writer: int, target, count: int):
        try:
            barrier.wait()
            for n in range(count):
                log_evidence(project=target, kind="manual", source="manual", summary=f"writer {writer} #{n}",
                             payload={"writer": writer, "n": n})
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w, project, PER_WRITER)) for w in range(WRITERS)]
    # A fifth writer on another project shares no lock with them.
    threads.append(threading.Thread(target=write, args=(99, other, 200)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = WRITERS * PER_WRITER
    sequences = list(ChainLink.objects.filter(project=project).order_by("sequence").values_list("sequence",
                                                                                                flat=True))
    assert sequences == list(range(1, total + 1))
    assert ChainHead.objects.get(project=project).sequence == total
    report = chain_verify(project)
    assert (report.intact, report.length) == (True, total)
    assert chain_verify(other).length == 200

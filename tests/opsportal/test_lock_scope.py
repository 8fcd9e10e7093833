"""issue 17 load test: row locks must not block inserts that reference a project.

Under load, PostgreSQL reported deadlocks "while locking tuple in relation opsportal_project": a
plain `FOR UPDATE` on the project row (or on a row joined to its project by `select_related`)
conflicts with the `FOR KEY SHARE` lock every insert of a row referencing the project takes. The
services now lock with `FOR NO KEY UPDATE` or `FOR UPDATE OF <the row itself>`; while each lock is
held, a second connection takes the key-share lock an insert would take, with a short lock timeout.
"""

import psycopg
import pytest
from django.db import connection, transaction

from incidents.services.lifecycle import lock_incident
from opsportal.models import Project
from slos.models import SLO
from tests.incidents.factories import declare

ON_POSTGRES = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def key_share_is_free(table: str, pk: int) -> bool:
    """What the foreign-key check of an insert does, from another connection, waiting at most 1 s."""
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                         password=db["PASSWORD"] or None, dbname=db["NAME"], autocommit=True) as other:
        other.execute("SET lock_timeout = '1s'")
        try:
            other.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR KEY SHARE', [pk])
        except psycopg.errors.LockNotAvailable:
            return False
    return True


@ON_POSTGRES[0]
@ON_POSTGRES[1]
def test_locking_an_incident_leaves_its_project_free(project):
    incident = declare(project)
    with transaction.atomic():
        lock_incident(incident)
        assert key_share_is_free("opsportal_project", project.pk)
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)  # the old lock, for contrast
        assert not key_share_is_free("opsportal_project", project.pk)


@ON_POSTGRES[0]
@ON_POSTGRES[1]
def test_serialising_locks_on_a_project_or_slo_let_inserts_through(project, service):
    from slos.services import slo_create

    slo = slo_create(project=project, service=service, name="Checkout availability", slug="checkout-availability",
                     objective="99.9")
    with transaction.atomic():
        Project.objects.select_for_update(no_key=True).get(pk=project.pk)   # daily report, daily monitor
        SLO.objects.select_for_update(no_key=True).filter(pk=slo.pk).first()  # ingestion, rollups
        assert key_share_is_free("opsportal_project", project.pk)
        assert key_share_is_free("slos_slo", slo.pk)


@ON_POSTGRES[0]
@ON_POSTGRES[1]
def test_the_manifest_is_locked_after_the_chain_head(project):
    """Gate reports append evidence (chain head) and then move the manifest; the daily chain check
    moved the manifest and then appended: they deadlocked. The manifest lock now takes the head first."""
    from opsportal.services.chain import _locked_head
    from opsportal.services.validation import _locked_manifest

    with transaction.atomic():
        _locked_head(project.pk)  # the project's chain head exists (its first record made it)
    with transaction.atomic():
        _locked_manifest(project)
        db = connection.settings_dict
        with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                             password=db["PASSWORD"] or None, dbname=db["NAME"], autocommit=True) as other:
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("SELECT 1 FROM opsportal_chainhead WHERE key = %s FOR UPDATE NOWAIT", [f"p{project.pk}"])


def test_no_service_takes_a_wide_lock():
    """A guard for new code: no plain FOR UPDATE on a project row, and no FOR UPDATE over a
    select_related join without naming the rows it means (`of=`)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    wide = re.compile(r"Project\.objects\.select_for_update\(\)|select_for_update\(\)\.select_related\(")
    found = [
        f"{path.relative_to(root)}:{number}"
        for app in ("opsportal", "slos", "incidents", "retros", "knowledgebase", "capacity")
        for path in (root / app).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if wide.search(line)
    ]
    assert found == []

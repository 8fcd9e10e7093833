import pytest

from opsportal.audit.triggers import ALL_AUDIT_TABLES
from opsportal.models import Approval, EvidenceRecord, ValidationEntry
from opsportal.models.appendonly import AppendOnlyError
from opsportal.models.evidence import payload_sha256
from opsportal.services import approval_record, log_evidence, record_validation


@pytest.fixture
def evidence(project):
    return log_evidence(project=project, kind="manual", summary="checked by hand", payload={"b": 2, "a": 1})


def test_evidence_hash_is_sha256_of_canonical_json(evidence):
    assert evidence.payload_sha256 == payload_sha256({"a": 1, "b": 2})
    assert len(evidence.payload_sha256) == 64
    assert evidence.payload_intact()


def test_evidence_refuses_update_and_delete(evidence):
    evidence.summary = "rewritten history"
    with pytest.raises(AppendOnlyError):
        evidence.save()
    with pytest.raises(AppendOnlyError):
        evidence.delete()
    with pytest.raises(AppendOnlyError):
        EvidenceRecord.objects.filter(pk=evidence.pk).update(summary="x")
    with pytest.raises(AppendOnlyError):
        EvidenceRecord.objects.filter(pk=evidence.pk).delete()
    evidence.refresh_from_db()
    assert evidence.summary == "checked by hand"


def test_validation_entries_refuse_update_and_delete(project):
    entry = record_validation(project=project, check="slo.checkout", result="PASS")
    entry.result = "FAIL"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        ValidationEntry.objects.all().delete()
    assert ValidationEntry.objects.get().result == "PASS"


def test_approvals_refuse_update_and_delete(project, manager, operator):
    approval = approval_record(
        subject=project, kind="slo_review", decision="approve", approver=manager, content="x", authors=[operator]
    )
    with pytest.raises(AppendOnlyError):
        approval.delete()
    with pytest.raises(AppendOnlyError):
        Approval.objects.update(comment="edited")


@pytest.mark.parametrize("url", ["evidencerecord", "validationentry", "approval", "manifest"])
def test_admin_offers_no_add_change_or_delete(client, manager, project, url):
    log_evidence(project=project, kind="manual", summary="s")
    record_validation(project=project, check="c", result="PASS")
    client.force_login(manager)
    assert client.get(f"/admin/opsportal/{url}/").status_code == 200
    assert client.get(f"/admin/opsportal/{url}/add/").status_code == 403
    changelist = client.get(f"/admin/opsportal/{url}/")
    assert b"delete_selected" not in changelist.content  # no bulk delete action either


def test_admin_change_page_is_read_only(client, manager, project):
    record = log_evidence(project=project, kind="manual", summary="original", payload={"k": "v"})
    client.force_login(manager)
    page = client.get(f"/admin/opsportal/evidencerecord/{record.pk}/change/")
    assert page.status_code == 200
    assert b"&quot;k&quot;: &quot;v&quot;" in page.content  # pretty-printed payload
    client.post(f"/admin/opsportal/evidencerecord/{record.pk}/change/", {"summary": "forged"})
    record.refresh_from_db()
    assert record.summary == "original"
    response = client.post(f"/admin/opsportal/evidencerecord/{record.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert EvidenceRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("table", ["opsportal_evidencerecord", "opsportal_validationentry", "opsportal_approval"])
def test_the_database_refuses_raw_updates_of_audit_rows(project, manager, operator, table):
    # Fails too when a later migration rebuilds a table (SQLite does) without re-creating its trigger.
    from django.db import DatabaseError, connection, transaction

    log_evidence(project=project, kind="manual", summary="s")
    record_validation(project=project, check="c", result="PASS")
    approval_record(subject=project, kind="slo_review", decision="approve", approver=manager, content="x",
                    authors=[operator])
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET project_id = project_id")


@pytest.mark.postgres_only
def test_postgresql_refuses_raw_deletes_of_audit_rows(evidence):
    from django.db import DatabaseError, connection, transaction

    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM opsportal_evidencerecord WHERE id = %s", [evidence.pk])
    assert EvidenceRecord.objects.filter(pk=evidence.pk).exists()


@pytest.mark.parametrize("table", ALL_AUDIT_TABLES)
def test_every_audit_table_has_its_triggers(db, table):
    # Fails when a later migration rebuilds an audit table (SQLite does) without re-creating its triggers,
    # or when a new audit table is listed without a migration that installs them.
    from django.db import connection

    from opsportal.audit.triggers import expected_triggers, installed_triggers

    assert expected_triggers(connection, table) <= installed_triggers(connection, table)


def test_the_database_refuses_raw_deletes_of_audit_rows_on_every_backend(evidence):
    # The bypass: a raw DELETE on SQLite used to succeed.
    from django.db import DatabaseError, connection, transaction

    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM opsportal_evidencerecord WHERE id = %s", [evidence.pk])
    assert EvidenceRecord.objects.filter(pk=evidence.pk).exists()


@pytest.mark.postgres_only
def test_postgresql_refuses_truncate_of_audit_tables(evidence):
    from django.db import DatabaseError, connection, transaction

    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks: the trigger answers
            cursor.execute("TRUNCATE opsportal_evidencerecord CASCADE")
    assert EvidenceRecord.objects.filter(pk=evidence.pk).exists()

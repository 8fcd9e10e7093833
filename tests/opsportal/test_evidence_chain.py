"""Every audit record joins its project's hash chain, in the one service that writes it."""

import hashlib
import json

import pytest
import rfc8785

from opsportal.audit.canonical import GENESIS_HASH
from opsportal.models import ChainHead, ChainLink, EvidenceRecord, ManifestRevision
from opsportal.services import approval_record, log_evidence, record_validation
from opsportal.services.chain import chain_verify
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def links(project):
    return list(ChainLink.objects.filter(project=project).order_by("sequence"))


def test_each_audit_write_appends_one_linked_record(project, manager, operator):
    evidence = log_evidence(project=project, kind="manual", summary="drill", source="manual", actor=operator,
                            payload={"b": 2, "a": 1})
    entry = record_validation(project=project, check="slo.checkout", result="PASS", evidence=evidence)
    approval = approval_record(subject=project, kind="slo_review", decision="approve", approver=manager,
                               content={"x": 1}, authors=[operator])
    chain = links(project)
    assert [(link.sequence, link.record_type) for link in chain] == [
        (1, "opsportal.evidencerecord"), (2, "opsportal.validationentry"), (3, "opsportal.manifestrevision"),
        (4, "opsportal.approval"),
    ]
    assert [link.record_id for link in chain] == [
        evidence.pk, entry.pk, ManifestRevision.objects.get(project=project).pk, approval.pk]
    assert chain[0].prev_hash == GENESIS_HASH
    for before, link in zip(chain, chain[1:], strict=False):
        assert link.prev_hash == before.record_hash
    for link in chain:
        assert link.record_hash == hashlib.sha256(link.document.encode()).hexdigest()
        assert link.document.encode() == rfc8785.dumps(json.loads(link.document))  # stored canonical
    document = json.loads(chain[0].document)
    assert document["record"]["payload"] == {"a": 1, "b": 2}
    assert document["record"]["created_by_id"] == operator.pk and document["actor"] == "operator"
    assert document["record"]["source"] == "manual" and document["scheme"] == 1
    head = ChainHead.objects.get(project=project)
    assert (head.sequence, head.head_hash) == (4, chain[-1].record_hash)
    assert chain_verify(project).intact


def test_projects_have_separate_chains(project):
    other = ProjectFactory(slug="other")
    log_evidence(project=project, kind="manual", summary="a", source="manual")
    log_evidence(project=other, kind="manual", summary="b", source="manual")
    log_evidence(project=project, kind="manual", summary="c", source="manual")
    assert [link.sequence for link in links(project)] == [1, 2]
    assert [link.sequence for link in links(other)] == [1]


def test_record_and_link_commit_together(project, monkeypatch):
    from opsportal.services import chain

    def broken(*args, **kwargs):
        raise RuntimeError("chain unavailable")

    monkeypatch.setattr("opsportal.services.evidence.chain_append_record", broken)
    with pytest.raises(RuntimeError):
        log_evidence(project=project, kind="manual", summary="x", source="manual")
    assert not EvidenceRecord.objects.exists() and chain is not None


def test_incident_timeline_and_postmortem_revisions_are_chained(project, operator):
    from tests.incidents.postmortem_factories import postmortem_for

    postmortem_for(project, owner=operator)
    types = {link.record_type for link in links(project)}
    assert {"incidents.incidentevent", "incidents.postmortemrevision"} <= types
    assert chain_verify(project).intact


def test_append_hashes_the_same_bytes_whatever_the_content(project):
    """The PostgreSQL append builds the document in SQL from a template; quotes, backslashes,
    non-ASCII text, control characters and a summary that looks like the envelope's own keys must
    give the same RFC 8785 bytes and hash as Python computes."""
    tricky = ['ünïcødé ☃ 𝄞 "quoted" \\ back\\slash', 'tab\there\nnew line \x01',
              '","prev_hash":"' + "f" * 64 + '","sequence":7}']
    for summary in tricky:
        log_evidence(project=project, kind="manual", summary=summary, source="manual",
                     payload={"summary": summary, "sequence": 0, "prev_hash": "x"})
    chain = links(project)
    assert len(chain) == 3
    for link, summary in zip(chain, tricky, strict=True):
        envelope = json.loads(link.document)
        assert envelope["record"]["summary"] == summary.strip()
        assert (envelope["sequence"], envelope["prev_hash"]) == (link.sequence, link.prev_hash)
        assert link.document.encode() == rfc8785.dumps(envelope)
        assert link.record_hash == hashlib.sha256(rfc8785.dumps(envelope)).hexdigest()
    assert chain_verify(project).intact


def test_append_is_one_statement_on_postgresql(project):
    """Lock, advance the head and insert the link in one round trip (bench/evidence_chain.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsportal.services.chain import chain_append_record

    log_evidence(project=project, kind="manual", summary="first", source="manual")  # the head exists
    record = EvidenceRecord.objects.create(project=project, kind="manual", source="manual", summary="second")
    with CaptureQueriesContext(connection) as queries:
        link = chain_append_record(record)
    expected = 1 if connection.vendor == "postgresql" else 3
    assert len(queries.captured_queries) == expected
    assert (link.sequence, link.record_id) == (2, record.pk)
    assert ChainLink.objects.get(pk=link.pk).record_hash == link.record_hash
    assert ChainHead.objects.get(project=project).head_hash == link.record_hash
    assert chain_verify(project).intact


def test_knowledge_base_training_and_membership_changes_are_chained(project, manager, operator):
    """The issue's list, beyond evidence, validation, approvals, manifests and incidents: article
    revisions and events, training completions (project articles in the project's chain,
    organisation-wide ones in the `_org` chain) and membership changes."""
    import datetime

    from knowledgebase import services as kb
    from knowledgebase.models import ArticleKind
    from opsportal.access.services import membership_grant
    from opsportal.models import ORG_CHAIN
    from tests.factories import UserFactory

    training = kb.article_create(actor=manager, kind=ArticleKind.TRAINING, title="On-call onboarding",
                                 slug="onboarding", body="Read the runbooks.", project=project)
    training = kb.article_publish(article=training, actor=manager)
    [assignment] = kb.training_assign(article=training, due_on=datetime.date(2030, 1, 1), actor=manager,
                                      users=[operator])
    kb.training_complete(assignment=assignment, actor=operator)
    membership_grant(project=project, user=UserFactory(username="newcomer"), role="viewer", actor=manager)
    chain = links(project)
    types = {link.record_type for link in chain}
    assert {"knowledgebase.articlerevision", "knowledgebase.articleevent",
            "knowledgebase.trainingcompletion"} <= types
    membership = [json.loads(link.document)["record"] for link in chain
                  if link.record_type == "opsportal.evidencerecord"]
    assert any(record["kind"] == "membership" and "newcomer" in json.dumps(record) for record in membership)
    kb.article_create(actor=manager, kind=ArticleKind.KNOWLEDGE, title="Org wide", slug="org-wide", body="x")
    org_types = set(ChainLink.objects.filter(chain__key=ORG_CHAIN).values_list("record_type", flat=True))
    assert "knowledgebase.articlerevision" in org_types
    assert chain_verify(project).intact and chain_verify(None).intact

"""Appending to and verifying the per-project evidence chain.

Each audit record gets one `ChainLink`: sequence n, `prev_hash` = hash of link n-1
(64 zeros for the first), and `record_hash` = SHA-256 of the RFC 8785 JSON of
{scheme, project, sequence, record_type, record_id, prev_hash, actor, at, record}
where `record` holds every field of the audit row (attachment SHA-256, actor ids and
timestamps included). Appends lock the chain head row, so concurrent writers of one
project queue and never fork the chain; other projects have their own head.
"""

import hashlib
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from opsportal.actors import recorded_person
from opsportal.audit.canonical import GENESIS_HASH, SCHEME_VERSION, canonical_bytes
from opsportal.audit.records import record_document, record_type
from opsportal.models import ORG_CHAIN, ChainHead, ChainLink, Project


def _project_id_of(instance) -> int | None:
    """The project an audit row belongs to, directly or through its parent (None: organisation-wide)."""
    if hasattr(instance, "project_id"):
        return instance.project_id
    for parent in ("incident", "postmortem", "article"):
        if hasattr(instance, f"{parent}_id"):
            return getattr(instance, parent).project_id
    if hasattr(instance, "assignment_id"):
        return instance.assignment.article.project_id
    raise TypeError(f"{type(instance).__name__} does not say which project it belongs to")


def chain_key(project_id: int | None) -> str:
    return f"p{project_id}" if project_id is not None else ORG_CHAIN


def _locked_head(project_id: int | None) -> ChainHead:
    key = chain_key(project_id)
    head = ChainHead.objects.select_for_update().filter(key=key).first()
    if head is None:
        ChainHead.objects.get_or_create(key=key, defaults={"project_id": project_id})
        head = ChainHead.objects.select_for_update().get(key=key)
    return head


def chain_append_record(instance, *, actor=None) -> ChainLink:
    """Add the audit row `instance` (just saved) to its project's chain. Call it in the one place the
    row is written, inside the same transaction: the row and its link commit together or not at all."""
    project_id = _project_id_of(instance)
    person = recorded_person(actor)
    # No savepoint: the caller's transaction holds the audit row, and either both commit or neither.
    with transaction.atomic(savepoint=False):
        head = _locked_head(project_id)
        sequence = head.sequence + 1
        envelope = {
            "scheme": SCHEME_VERSION,
            "project": project_id,
            "sequence": sequence,
            "record_type": record_type(instance),
            "record_id": instance.pk,
            "prev_hash": head.head_hash or GENESIS_HASH,
            "actor": person.get_username() if person is not None else None,
            "at": timezone.now().isoformat(),
            "record": record_document(instance),
        }
        document = canonical_bytes(envelope)
        digest = hashlib.sha256(document).hexdigest()
        link = ChainLink.objects.create(
            chain=head, project_id=project_id, sequence=sequence, record_type=envelope["record_type"],
            record_id=instance.pk, prev_hash=envelope["prev_hash"], record_hash=digest, document=document.decode(),
        )
        ChainHead.objects.filter(pk=head.pk).update(sequence=sequence, head_hash=digest, updated_at=timezone.now())
    return link


# --- verification in the database ------------------------------------------------------------

@dataclass
class ChainProblem:
    sequence: int
    reason: str  # changed, missing, reordered
    detail: str

    def as_dict(self) -> dict:
        return {"sequence": self.sequence, "reason": self.reason, "detail": self.detail}


@dataclass
class ChainReport:
    key: str
    length: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict:
        return {"chain": self.key, "intact": self.intact, "length": self.length, "head_hash": self.head_hash,
                "problem": self.problem.as_dict() if self.problem else None}


def _source_rows(record_type_label: str, ids: list[int]) -> dict:
    model = apps.get_model(record_type_label)
    return {row.pk: row for row in model._base_manager.filter(pk__in=ids)}


def chain_verify(project: Project | None, *, batch_size: int = 2000) -> ChainReport:
    """Walk one chain in sequence order and name the first broken link.

    Checks, per link: the stored document hashes to `record_hash` (else changed); its sequence
    and `prev_hash` continue the previous link (a gap is missing, a link of another place is
    reordered); the audit row it stands for still exists (else missing) and still reads the same
    (else changed); and the head row points at the last link.
    """
    import json

    key = chain_key(project.pk if project is not None else None)
    head = ChainHead.objects.filter(key=key).first()
    if head is None:
        return ChainReport(key, 0, "", None)
    expected, prev_hash, count = 1, GENESIS_HASH, 0
    seen_hashes: dict[str, int] = {}
    links = ChainLink.objects.filter(chain=head).order_by("sequence")
    last_sequence = 0
    batch: list[ChainLink] = []

    def check_batch(batch) -> ChainProblem | None:
        nonlocal expected, prev_hash, count
        by_type: dict[str, list[int]] = {}
        for link in batch:
            by_type.setdefault(link.record_type, []).append(link.record_id)
        sources = {label: _source_rows(label, ids) for label, ids in by_type.items()}
        for link in batch:
            if link.sequence != expected:
                if link.sequence > expected:
                    return ChainProblem(expected, "missing", f"no link with sequence {expected}")
                return ChainProblem(link.sequence, "reordered", "sequence repeats")
            digest = hashlib.sha256(link.document.encode()).hexdigest()
            if digest != link.record_hash:
                return ChainProblem(link.sequence, "changed", "the link's document does not match its hash")
            envelope = json.loads(link.document)
            if envelope.get("sequence") != link.sequence:
                return ChainProblem(link.sequence, "reordered",
                                    f"the link was written as sequence {envelope.get('sequence')}")
            if link.prev_hash != envelope.get("prev_hash") or link.prev_hash != prev_hash:
                # A gap was caught above, so a foreign prev_hash means an earlier link was rewritten.
                reason = "reordered" if link.prev_hash in seen_hashes else "changed"
                return ChainProblem(link.sequence, reason, "prev_hash does not match the previous link")
            row = sources[link.record_type].get(link.record_id)
            if row is None:
                return ChainProblem(link.sequence, "missing",
                                    f"{link.record_type} #{link.record_id} is no longer in the database")
            if canonical_bytes(record_document(row)) != canonical_bytes(envelope["record"]):
                return ChainProblem(link.sequence, "changed",
                                    f"{link.record_type} #{link.record_id} differs from what was chained")
            seen_hashes[link.record_hash] = link.sequence
            prev_hash = link.record_hash
            expected += 1
            count += 1
        return None

    for link in links.iterator(chunk_size=batch_size):
        batch.append(link)
        last_sequence = link.sequence
        if len(batch) >= batch_size:
            problem = check_batch(batch)
            if problem:
                return ChainReport(key, count, head.head_hash, problem)
            batch = []
    if batch:
        problem = check_batch(batch)
        if problem:
            return ChainReport(key, count, head.head_hash, problem)
    if head.sequence != last_sequence or (head.sequence and head.head_hash != prev_hash):
        problem = ChainProblem(min(head.sequence, last_sequence) + 1 if head.sequence > last_sequence
                               else head.sequence, "missing" if head.sequence > last_sequence else "changed",
                               f"the chain head says #{head.sequence} {head.head_hash[:12]}; the last link is "
                               f"#{last_sequence}")
        return ChainReport(key, count, head.head_hash, problem)
    return ChainReport(key, count, head.head_hash, None)

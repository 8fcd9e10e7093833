"""Appending to and verifying the per-project evidence chain.

Each audit record gets one `ChainLink`: sequence n, `prev_hash` = hash of link n-1
(64 zeros for the first), and `record_hash` = SHA-256 of the RFC 8785 JSON of
{scheme, project, sequence, record_type, record_id, prev_hash, actor, at, record}
where `record` holds every field of the audit row (attachment SHA-256, actor ids and
timestamps included). Appends lock the chain head row, so concurrent writers of one
project queue and never fork the chain; other projects have their own head.
"""

import hashlib
import uuid
from dataclasses import dataclass

from django.apps import apps
from django.db import connections, router, transaction
from django.utils import timezone

from opsportal.actors import recorded_person
from opsportal.audit.canonical import GENESIS_HASH, SCHEME_VERSION, SeenHashes, canonical_bytes
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


def _envelope(instance, project_id, person, sequence, prev_hash) -> dict:
    return {
        "scheme": SCHEME_VERSION,
        "project": project_id,
        "sequence": sequence,
        "record_type": record_type(instance),
        "record_id": instance.pk,
        "prev_hash": prev_hash,
        "actor": person.get_username() if person is not None else None,
        "at": timezone.now().isoformat(),
        "record": record_document(instance),
    }


SEQUENCE_TAIL = ',"sequence":0}'


def document_template(envelope: dict) -> tuple[str, str] | None:
    """Split the canonical document around the two values only the chain head knows.

    RFC 8785 sorts keys, so `"sequence"` is the envelope's last key and `"prev_hash"` sits between
    fixed text: document = before + prev_hash + middle + str(sequence) + "}". Returns (before,
    middle) with the quotes around prev_hash included, or None if the marker is ambiguous.
    """
    marker = f"prev-hash-{uuid.uuid4().hex}"
    text = canonical_bytes({**envelope, "prev_hash": marker, "sequence": 0}).decode()
    parts = text.split(f'"{marker}"')
    if len(parts) != 2 or not parts[1].endswith(SEQUENCE_TAIL):
        return None
    return parts[0] + '"', '"' + parts[1][: -len("0}")]


# One round trip on PostgreSQL: lock the head row, advance it and insert the link. Everything is
# computed from the one locked row version (`old`), so concurrent writers queue on the row lock and
# the next one reads the head its predecessor committed. The hash is the same SHA-256 over the same
# RFC 8785 bytes as the Python path (sha256() is built into PostgreSQL 11+).
_PG_APPEND = """
WITH old AS (
    SELECT id, sequence, COALESCE(NULLIF(head_hash, ''), %(genesis)s) AS prev_hash
      FROM {head} WHERE key = %(key)s FOR UPDATE
), head AS (
    UPDATE {head} AS h
       SET sequence = old.sequence + 1,
           head_hash = encode(sha256(convert_to(
               %(before)s || old.prev_hash || %(middle)s || (old.sequence + 1)::text || '}}', 'UTF8')), 'hex'),
           updated_at = %(now)s
      FROM old WHERE h.id = old.id
    RETURNING h.id, h.sequence, old.prev_hash, h.head_hash
)
INSERT INTO {link} (chain_id, project_id, sequence, record_type, record_id, prev_hash, record_hash, document,
                    created_at)
SELECT id, %(project)s, sequence, %(record_type)s, %(record_id)s, prev_hash, head_hash,
       %(before)s || prev_hash || %(middle)s || sequence::text || '}}', %(now)s
  FROM head
RETURNING id, chain_id, sequence, prev_hash, record_hash, document
"""


def _append_postgresql(instance, project_id, person, connection) -> ChainLink | None:
    envelope = _envelope(instance, project_id, person, 0, GENESIS_HASH)
    template = document_template(envelope)
    if template is None:
        return None
    now = timezone.now()
    params = {"genesis": GENESIS_HASH, "key": chain_key(project_id), "before": template[0],
              "middle": template[1], "now": now, "project": project_id, "record_type": envelope["record_type"],
              "record_id": instance.pk}
    sql = _PG_APPEND.format(head=connection.ops.quote_name(ChainHead._meta.db_table),
                            link=connection.ops.quote_name(ChainLink._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:  # the project's first record: create its head, then append
            ChainHead.objects.get_or_create(key=params["key"], defaults={"project_id": project_id})
            cursor.execute(sql, params)
            row = cursor.fetchone()
    pk, chain_id, sequence, prev_hash, record_hash, document = row
    link = ChainLink(pk=pk, chain_id=chain_id, project_id=project_id, sequence=sequence,
                     record_type=envelope["record_type"], record_id=instance.pk, prev_hash=prev_hash,
                     record_hash=record_hash, document=document, created_at=now)
    link._state.adding, link._state.db = False, connection.alias
    return link


def _append_python(instance, project_id, person) -> ChainLink:
    head = _locked_head(project_id)
    sequence = head.sequence + 1
    envelope = _envelope(instance, project_id, person, sequence, head.head_hash or GENESIS_HASH)
    document = canonical_bytes(envelope)
    digest = hashlib.sha256(document).hexdigest()
    link = ChainLink.objects.create(
        chain=head, project_id=project_id, sequence=sequence, record_type=envelope["record_type"],
        record_id=instance.pk, prev_hash=envelope["prev_hash"], record_hash=digest, document=document.decode(),
    )
    ChainHead.objects.filter(pk=head.pk).update(sequence=sequence, head_hash=digest, updated_at=timezone.now())
    return link


def chain_append_record(instance, *, actor=None) -> ChainLink:
    """Add the audit row `instance` (just saved) to its project's chain. Call it in the one place the
    row is written, inside the same transaction: the row and its link commit together or not at all."""
    project_id = _project_id_of(instance)
    person = recorded_person(actor)
    connection = connections[router.db_for_write(ChainLink)]
    # No savepoint: the caller's transaction holds the audit row, and either both commit or neither.
    with transaction.atomic(using=connection.alias, savepoint=False):
        if connection.vendor == "postgresql":
            link = _append_postgresql(instance, project_id, person, connection)
            if link is not None:
                return link
        # SQLite (one writer at a time anyway): lock, insert, advance, in three statements.
        return _append_python(instance, project_id, person)


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
    seen_hashes = SeenHashes()  # 8 bytes a link, not a dict of hex strings
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
            seen_hashes.add(link.record_hash)
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

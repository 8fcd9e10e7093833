"""Export of a project's evidence chain as JSON Lines, optionally signed (Ed25519 over the head).

One line per link, `{"link": <the exact canonical document>, "record_hash": ..., "type": "link"}`,
in sequence order, then the chain head `{"type": "head", ...}`. Lines are built from the stored
canonical text without re-encoding, and links are read in chunks with a server-side cursor, so
memory stays flat whatever the chain length. `opsportal.audit.verify` checks a file offline.
"""

import base64
import json
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from opsportal.audit.canonical import SCHEME_VERSION, head_message
from opsportal.models import ChainHead, ChainLink, Project
from opsportal.services.chain import chain_key

CHUNK = 2000


@lru_cache(maxsize=4)
def _private_key(text: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        if text.strip().startswith("-----BEGIN"):
            key = load_pem_private_key(text.strip().encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip(), validate=True))
    except Exception as exc:
        raise ImproperlyConfigured(f"OPSPORTAL_EVIDENCE_SIGNING_KEY is not an Ed25519 private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("OPSPORTAL_EVIDENCE_SIGNING_KEY is not an Ed25519 private key")
    return key


def signing_key():
    """The configured Ed25519 private key (PEM or base64 of the 32 raw bytes), or None."""
    text = getattr(settings, "OPSPORTAL_EVIDENCE_SIGNING_KEY", "") or ""
    return _private_key(text) if text.strip() else None


def public_key_info() -> dict | None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = signing_key()
    if key is None:
        return None
    public = key.public_key()
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode(),
        "public_key_pem": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
        "signed_message": "opsportal-evidence-head:v1:<project id>:<sequence>:<head_hash>",
    }


def export_lines(project: Project, *, now=None):
    """Yield the export line by line (bytes). The head is read first; links up to it follow, so a
    concurrent append after the head was read is simply not part of this export."""
    head = ChainHead.objects.filter(key=chain_key(project.pk)).first()
    sequence = head.sequence if head else 0
    head_hash = head.head_hash if head else ""
    links = (
        ChainLink.objects.filter(chain=head, sequence__lte=sequence).order_by("sequence")
        .values_list("document", "record_hash")
    ) if head else ()
    for document, record_hash in (links.iterator(chunk_size=CHUNK) if head else ()):
        yield f'{{"link":{document},"record_hash":"{record_hash}","type":"link"}}\n'.encode()
    closing = {
        "type": "head", "scheme": SCHEME_VERSION, "project": project.pk, "project_slug": project.slug,
        "sequence": sequence, "head_hash": head_hash, "exported_at": (now or timezone.now()).isoformat(),
    }
    key = signing_key()
    if key is not None:
        info = public_key_info()
        closing["signature"] = {
            "algorithm": "Ed25519", "public_key": info["public_key"],
            "value": base64.b64encode(key.sign(head_message(str(project.pk), sequence, head_hash))).decode(),
        }
    yield (json.dumps(closing, sort_keys=True, separators=(",", ":")) + "\n").encode()


def export_to_file(project: Project, path: str) -> int:
    """Write the export to `path`; returns the number of records."""
    count = 0
    with open(path, "wb") as handle:
        for line in export_lines(project):
            handle.write(line)
            count += 1
    return count - 1

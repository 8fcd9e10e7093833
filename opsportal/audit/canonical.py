"""Canonical hashing shared by approvals, the evidence chain and the offline verifier.

RFC 8785 (JSON Canonicalization Scheme) gives one byte string per JSON value, so a
hash computed here is recomputed identically by any JCS implementation. No Django.
"""

import hashlib

import rfc8785

# Bump when the shape of hashed documents changes; every hash records the scheme it used.
SCHEME_VERSION = 1
GENESIS_HASH = "0" * 64
SIGNATURE_CONTEXT = "opsportal-evidence-head:v1"


def canonical_bytes(value) -> bytes:
    return rfc8785.dumps(value)


def sha256_hex(value) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def head_message(project: str, sequence: int, head_hash: str) -> bytes:
    """What the Ed25519 signature of an export covers: the project, the last sequence and its hash."""
    return f"{SIGNATURE_CONTEXT}:{project}:{sequence}:{head_hash}".encode()


class SeenHashes:
    """The hashes of the records checked so far, in 8 bytes each (the first 64 bits, in an array).

    Only consulted once, when a `prev_hash` does not match, to tell a record moved from elsewhere in
    the chain (reordered) from a changed one; a set of hex strings would cost ~150 bytes a record,
    so verifying a million-record chain would hold ~150 MB instead of 8 MB."""

    def __init__(self):
        from array import array

        self._prefixes = array("Q")

    @staticmethod
    def _prefix(hex_digest: str) -> int | None:
        try:
            return int(hex_digest[:16], 16) if isinstance(hex_digest, str) and len(hex_digest) == 64 else None
        except ValueError:
            return None

    def add(self, hex_digest: str) -> None:
        prefix = self._prefix(hex_digest)
        if prefix is not None:
            self._prefixes.append(prefix)

    def __contains__(self, hex_digest) -> bool:
        prefix = self._prefix(hex_digest)
        return prefix is not None and prefix in self._prefixes

    def __len__(self) -> int:
        return len(self._prefixes)

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

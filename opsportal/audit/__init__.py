"""Audit integrity: canonical hashing, the per-project evidence chain, and its verifiers.

This package's `canonical` and `verify` modules import neither Django nor the
database, so an auditor can run `python -m opsportal.audit.verify FILE` on an
export alone (needs only the standard library, `rfc8785` and, for signatures,
`cryptography`).
"""

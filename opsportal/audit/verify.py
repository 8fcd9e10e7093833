"""Verify an evidence export offline: `python -m opsportal.audit.verify FILE [--public-key KEY] [--earlier OLD]`.

Needs only the standard library, `rfc8785` and, to check a signature, `cryptography`.
No Django, no database: an auditor runs it on the export file alone.

The file is JSON Lines (see docs/evidence.md): one `{"type": "link", "record_hash", "link"}`
per audit record in sequence order, then one `{"type": "head", ...}` line. For each link
the verifier recomputes SHA-256 over the RFC 8785 JSON of `link` and checks the sequence
and `prev_hash` continue the previous link; the head must name the last link, and its
Ed25519 signature (when present, or required by --public-key) must verify.

With `--earlier OLD_EXPORT`, the export must also extend that earlier export (the same hash at
the earlier head's sequence), so a history rewritten wholesale is caught.

Exit codes: 0 intact, 1 broken (the first broken sequence and the reason: changed,
missing, reordered, rewritten or signature), 2 a file or key cannot be read.
"""

import argparse
import base64
import hashlib
import json
import sys
from dataclasses import dataclass

try:  # run as `python -m opsportal.audit.verify` or as a lone copy of this file next to canonical.py
    from opsportal.audit.canonical import GENESIS_HASH, SeenHashes, canonical_bytes, head_message
except ImportError:  # pragma: no cover
    from canonical import GENESIS_HASH, SeenHashes, canonical_bytes, head_message  # type: ignore[no-redef]


@dataclass
class Outcome:
    intact: bool
    records: int = 0
    head_hash: str = ""
    sequence: int | None = None  # first broken sequence
    reason: str = ""  # changed, missing, reordered, signature
    detail: str = ""
    signed: bool = False

    def text(self) -> str:
        if self.intact:
            signed = ", signature valid" if self.signed else ", not signed"
            return f"OK: {self.records} records, head {self.head_hash}{signed}"
        return f"FAIL at sequence {self.sequence}: {self.reason} ({self.detail})"


class BadInput(Exception):
    """The file or key cannot be read at all (exit 2)."""


def _parse(number: int, line: str) -> dict:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _Broken(None, "changed", f"line {number} is not JSON: {exc.msg}") from None
    if not isinstance(value, dict) or value.get("type") not in ("link", "head"):
        raise _Broken(None, "changed", f"line {number} is neither a link nor the head")
    return value


class _Broken(Exception):
    def __init__(self, sequence, reason, detail):
        super().__init__(detail)
        self.sequence, self.reason, self.detail = sequence, reason, detail


def load_public_key(text: str):
    """A PEM public key, or the 32 raw bytes in base64 (what GET /api/v1/evidence/signing-key/ gives)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = load_pem_public_key(text.encode())
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except Exception as exc:
        raise BadInput(f"cannot read the public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput("the public key is not an Ed25519 key")
    return key


def earlier_head(lines) -> tuple[int, str]:
    """(sequence, head_hash) named by the head line of an earlier export (its last line)."""
    head = None
    for number, line in enumerate(lines, start=1):
        if line.strip():
            head = (number, line)
    if head is None:
        raise BadInput("the earlier export is empty")
    value = _parse(*head)
    if value["type"] != "head" or not isinstance(value.get("sequence"), int):
        raise BadInput("the earlier export does not end with its chain head")
    return value["sequence"], str(value.get("head_hash") or "")


def verify_lines(lines, public_key=None, earlier: tuple[int, str] | None = None) -> Outcome:
    """Check an export given as an iterable of text lines (constant memory: one line of look-ahead).

    `earlier` is the (sequence, head_hash) of an export taken before: this one must extend it, i.e.
    hold the same hash at that sequence. A chain rewritten wholesale (every hash recomputed) is
    intact on its own and fails only this comparison."""
    expected, prev_hash, count = 1, GENESIS_HASH, 0
    seen = SeenHashes()  # 8 bytes a record
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    pending = None
    head = None
    try:
        while True:
            if pending is not None:
                current, pending = pending, None
            else:
                item = next(numbered, None)
                if item is None:
                    break
                current = (item[0], _parse(*item))
            number, value = current
            if value["type"] == "head":
                head = value
                extra = next(numbered, None)
                if extra is not None:
                    raise _Broken(expected, "changed", f"line {extra[0]} follows the chain head")
                break
            link = value.get("link")
            if not isinstance(link, dict) or not isinstance(link.get("sequence"), int):
                raise _Broken(expected, "changed", f"line {number} has no link document")
            sequence = link["sequence"]
            if sequence != expected:
                item = next(numbered, None)
                if item is not None:
                    pending = (item[0], _parse(*item))
                    follower = pending[1].get("link") or {}
                    if follower.get("sequence") == expected or sequence < expected:
                        raise _Broken(expected, "reordered", f"line {number} holds sequence {sequence}")
                if sequence < expected:
                    raise _Broken(expected, "reordered", f"line {number} holds sequence {sequence}")
                raise _Broken(expected, "missing", f"line {number} holds sequence {sequence}")
            digest = hashlib.sha256(canonical_bytes(link)).hexdigest()
            if digest != value.get("record_hash"):
                raise _Broken(sequence, "changed", f"line {number}: the record does not match its hash")
            if link.get("prev_hash") != prev_hash:
                reason = "reordered" if link.get("prev_hash") in seen else "changed"
                raise _Broken(sequence, reason, f"line {number}: prev_hash does not match the previous record")
            if earlier is not None and sequence == earlier[0] and digest != earlier[1]:
                raise _Broken(sequence, "rewritten", f"line {number}: the earlier export's head at sequence "
                                                     f"{sequence} was {earlier[1][:16]}, this export has {digest[:16]}")
            seen.add(digest)
            prev_hash, expected, count = digest, expected + 1, count + 1
        if head is None:
            raise _Broken(expected, "missing", "the export ends without its chain head (truncated)")
        if head.get("sequence") != count or head.get("head_hash") != (prev_hash if count else ""):
            raise _Broken(min(count + 1, head.get("sequence") or 0) or expected, "missing",
                          f"the head names #{head.get('sequence')} {str(head.get('head_hash'))[:16]}; the file "
                          f"ends at #{count}")
        if earlier is not None and earlier[0] > count:
            raise _Broken(count + 1, "missing", f"the earlier export reached sequence {earlier[0]}; this one "
                                                f"ends at {count}")
        signed = _check_signature(head, public_key)
    except _Broken as broken:
        return Outcome(False, count, prev_hash, broken.sequence, broken.reason, broken.detail)
    return Outcome(True, count, head.get("head_hash", ""), signed=signed)


def _check_signature(head: dict, public_key) -> bool:
    signature = head.get("signature")
    if signature is None:
        if public_key is not None:
            raise _Broken(head.get("sequence"), "signature", "the export is not signed")
        return False
    from cryptography.exceptions import InvalidSignature

    key = public_key if public_key is not None else load_public_key(signature.get("public_key", ""))
    message = head_message(str(head.get("project")), head.get("sequence"), head.get("head_hash"))
    try:
        key.verify(base64.b64decode(signature.get("value", "")), message)
    except (InvalidSignature, ValueError):
        raise _Broken(head.get("sequence"), "signature", "the signature over the head hash is invalid") from None
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opsportal.audit.verify", description=__doc__.split("\n")[0])
    parser.add_argument("file", help="the JSON Lines export (- for standard input)")
    parser.add_argument("--public-key", help="file with the Ed25519 public key (PEM or base64); "
                                             "when given, the export must be signed by it")
    parser.add_argument("--earlier", help="an export of the same project taken before: this one must extend it "
                                          "(same hash at the earlier head's sequence)")
    args = parser.parse_args(argv)
    try:
        key = earlier = None
        if args.earlier:
            try:
                with open(args.earlier, encoding="utf-8") as handle:
                    earlier = earlier_head(handle)
            except OSError as exc:
                raise BadInput(f"cannot read {args.earlier}: {exc.strerror}") from None
        if args.public_key:
            try:
                with open(args.public_key, encoding="utf-8") as handle:
                    key = load_public_key(handle.read())
            except OSError as exc:
                raise BadInput(f"cannot read {args.public_key}: {exc.strerror}") from None
        try:
            handle = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise BadInput(f"cannot read {args.file}: {exc.strerror}") from None
        with handle:
            outcome = verify_lines(handle, key, earlier)
    except BadInput as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(outcome.text())
    return 0 if outcome.intact else 1


if __name__ == "__main__":
    sys.exit(main())

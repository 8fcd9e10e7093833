import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dependencies.services import scan_ingest

SAMPLES = Path(__file__).parent / "samples"
# A fixed clock: tests never read the real one.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample_json(name: str):
    return json.loads(sample(name))


def pip_audit(*deps) -> bytes:
    """A pip-audit report (current shape) of (name, version, [(id, fix_versions, aliases)]) tuples."""
    return json.dumps({"dependencies": [
        {"name": name, "version": version,
         "vulns": [{"id": i, "fix_versions": fixes, "aliases": aliases, "description": f"{i} in {name}"}
                   for i, fixes, aliases in vulns]}
        for name, version, vulns in deps], "fixes": []}).encode()


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def ingest(service):
    def run(body, *, at=NOW, fmt="auto", target=None, actor=None):
        return scan_ingest(service=target or service, body=body, fmt=fmt, actor=actor, now=at)[0]
    return run

from datetime import UTC, datetime

import pytest

# A fixed clock: tests never read the real one.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def now():
    return NOW


def survey(kind, score, i, *, at=NOW, service="checkout", **extra):
    return {"kind": kind, "score": score, "submitted_at": at.isoformat(), "source": "delighted",
            "external_id": f"{kind}-{i}", **({"service": service} if service else {}), **extra}

"""Where SLI measurements come from besides the push API (Prometheus-compatible servers)."""

from slos.models import DataSource, PullStatus, SLOStatus


def source_failing(slo) -> bool:
    """The SLO pulls its SLI and the latest pull failed: stored data may be stale."""
    return slo.data_source == DataSource.PROMETHEUS and slo.last_pull_status == PullStatus.NO_DATA


def shown_status(slo, computed: str) -> str:
    """Never PASS (or any verdict) while the SLI source fails: NO_DATA until a pull succeeds."""
    return SLOStatus.NO_DATA if source_failing(slo) else computed

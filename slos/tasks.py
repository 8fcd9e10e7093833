"""Background tasks of the slos app (thin: load by id, call a service). Loops end
failed when any item failed (opsportal.background)."""

from opsportal.background import fail_if_any
from slos.models import SLO


def evaluate_slo(slo_id: int) -> str:
    from slos.services import slo_evaluate

    slo = SLO.objects.filter(pk=slo_id).first()
    if slo is None:
        return f"SLO {slo_id} no longer exists"
    if slo.archived_at is not None:
        return f"SLO {slo_id} is archived: not evaluated"
    return slo_evaluate(slo=slo).status


def evaluate_burn_alerts() -> dict:
    """Every minute: snapshot, error budget policy and burn-rate alerts of every SLO."""
    from slos.services import evaluate_all

    outcome = evaluate_all()
    return fail_if_any(outcome, failed=outcome["failed"], what="SLO evaluation")


def retry_page_incidents() -> dict:
    """Every minute: open the incident of page alerts whose first attempt failed; the task
    ends failed while any still cannot (a failed task in the admin and on /metrics)."""
    from slos.services.incidents_bridge import retry_missing_page_incidents

    outcome = retry_missing_page_incidents()
    return fail_if_any(outcome, failed=outcome["failed"], what="opening incidents for paging SLO burns (alert ids)")


def monitor_slo_all_projects() -> dict:
    """Daily: monitor_slo for every active project (the day's compliance evidence)."""
    from slos.daily_monitor import daily_monitor_slo

    outcome = daily_monitor_slo()  # once per project and day
    return fail_if_any(outcome, failed=outcome["errors"], what="daily monitor_slo")


def pull_prometheus() -> int:
    """Every minute: one pull task per Prometheus-sourced SLO (a hung server delays only its own)."""
    from slos.services.pull import pull_enqueue_each

    return pull_enqueue_each()


def pull_prometheus_slo(slo_id: int) -> str:
    from slos.models import DataSource
    from slos.services.pull import slo_pull_prometheus

    slo = SLO.objects.active().filter(pk=slo_id, data_source=DataSource.PROMETHEUS, project__active=True).first()
    if slo is None:
        return f"SLO {slo_id} is gone or no longer pulled"
    return slo_pull_prometheus(slo=slo).status


def prune_raw_measurements() -> dict:
    """Daily: delete raw measurements past the retention (their rollups stay)."""
    from slos.services.rollups import raw_measurements_prune

    return raw_measurements_prune()

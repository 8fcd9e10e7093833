from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone


def _on_incident_saved(sender, instance, created, update_fields=None, **kwargs):
    """The incidents app knows nothing of on-call: a new incident starts its policy after commit,
    an acknowledged one stops its escalation."""
    from oncall.escalation import escalation_start, escalation_stop_on_ack

    # robust: the incident is committed already; a failure here is logged, never a 500 for its creator
    # (a missed stop is caught by the tick, which checks the acknowledgement before every step).
    if created:
        transaction.on_commit(lambda: escalation_start(instance, now=timezone.now()), robust=True)
    elif instance.acknowledged_at is not None and (update_fields is None or "acknowledged_at" in update_fields):
        transaction.on_commit(lambda: escalation_stop_on_ack(instance, now=timezone.now()), robust=True)


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On-call"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_save.connect(_on_incident_saved, sender="incidents.Incident", dispatch_uid="oncall.incident_saved")

from django.db import models


class WorkerHeartbeat(models.Model):
    """Last time a django-q2 worker ran the heartbeat task; /healthz reads it."""

    worker = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"

"""One outbox for every outbound channel: attempt, back-off, dead letter, sweep, re-queue.

A channel (email, chat webhook ...) is declared in its app's `outbox.py` as
`CHANNELS = [OutboxChannel(...)]`: its child model of the one outbox table
(`opsportal.models.OutboxMessage`, multi-table inheritance), how one message is sent (raise on
failure), its attempt limit and back-off, and optionally what to record when an attempt fails.
Everything else is shared and reads the one table:

- `outbox_attempt` claims a due row (so the after-commit task and the sweep never send the same
  message at once; a worker that dies mid-attempt is retried once the claim lapses), sends, and
  records the outcome: sent, or the next attempt after back-off, or dead-lettered (`failed`).
- `outbox_sweep` (the minutely `opsportal.outbox_sweep` schedule, on any broker) reads the due rows
  of every channel in one query (oldest due first, the `outbox_due` index) and hands each to its
  channel by the `channel` column. Nothing relies on the broker's own retries: django-q2 has none
  on Redis.
- `outbox_requeue` gives a dead letter a fresh set of attempts (the admin's action).
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from opsportal.models import OutboxMessage, OutboxStatus
from opsportal.registry import app_modules
from opsportal.task_queue import SUCCESSES_NOT_KEPT, enqueue

logger = logging.getLogger(__name__)
# An attempt claims its row for this long (longer than any channel's send timeout).
CLAIM_FOR = timedelta(minutes=5)


def doubling_backoff(base_seconds: int) -> Callable[[int], timedelta]:
    """base, 2 x base, 4 x base ... after the 1st, 2nd, 3rd failed attempt."""
    return lambda attempts: timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class OutboxChannel:
    name: str  # "email", "webhook": the channel column of metrics and logs
    model: str  # "app_label.Model", a child model of OutboxMessage whose `outbox_channel` is `name`
    send: Callable  # send(entry) -> None; raises on any failure
    max_attempts: Callable[[], int]
    backoff: Callable[[int], timedelta]  # delay after the n-th failed attempt
    # after_failure(entry, error, gave_up), inside the transaction that records the failure.
    after_failure: Callable | None = None

    @property
    def entries(self):
        return apps.get_model(self.model)._default_manager


def outbox_channels() -> dict[str, OutboxChannel]:
    """Every declared channel by name (apps' `outbox.py`)."""
    found = {}
    for module in app_modules("outbox"):
        for channel in getattr(module, "CHANNELS", []):
            if channel.name in found:
                raise ValueError(f"outbox channel {channel.name!r} is declared twice")
            found[channel.name] = channel
    return found


def outbox_channel(name: str) -> OutboxChannel:
    return outbox_channels()[name]


def outbox_enqueue(channel: str, entry_id: int) -> None:
    """First attempt right after the caller's transaction commits (the sweep covers a lost task).
    The outbox row records the outcome, so django-q2 keeps only a failed attempt's task result."""
    transaction.on_commit(lambda: enqueue("opsportal.tasks.outbox_attempt", channel, entry_id,
                                          save=SUCCESSES_NOT_KEPT))


def outbox_attempt(channel: OutboxChannel | str, entry_id: int, now: datetime | None = None) -> str:
    """Attempt one queued message if it is due; returns the row's status afterwards.

    The claim is one UPDATE of the outbox row (due, of this channel) that moves its next attempt
    past CLAIM_FOR: whoever updates the row attempts it, every other worker finds it not due.
    A failure is recorded on the row (attempts, last error, next attempt) and never raised.
    """
    channel = outbox_channel(channel) if isinstance(channel, str) else channel
    now = now or timezone.now()
    # The channel in the filter: an id from a task queued before the tables merged (issue 17)
    # can only ever reach a due message of its own channel.
    mine = OutboxMessage.objects.filter(pk=entry_id, channel=channel.name)
    claimed = mine.due(now).update(next_attempt_at=now + CLAIM_FOR)
    if not claimed:
        return mine.values_list("status", flat=True).first() or ""
    entry = channel.entries.get(pk=entry_id)
    try:
        channel.send(entry)
        error = ""
    except Exception as exc:  # refused, 4xx/5xx reply, timeout, outbound policy: record, retry later
        error = f"{exc.__class__.__name__}: {exc}"[:1000]
    if not error:
        # Sent: one conditional UPDATE (a row someone cancelled or dead-lettered meanwhile is left as is).
        if mine.filter(status=OutboxStatus.QUEUED).update(
                attempts=F("attempts") + 1, status=OutboxStatus.SENT, sent_at=now, last_error=""):
            return OutboxStatus.SENT
        return mine.values_list("status", flat=True).first() or ""
    with transaction.atomic():
        # Lock the envelope row only; the channel's own fields are not written here.
        status = mine.select_for_update().values_list("status", flat=True).first()
        if status != OutboxStatus.QUEUED:
            return status or ""
        entry.attempts += 1
        entry.last_error = error
        gave_up = entry.attempts >= channel.max_attempts()
        if gave_up:
            entry.status = OutboxStatus.FAILED
            logger.error("%s %s dead-lettered after %s attempts: %s",
                         channel.name, entry.key, entry.attempts, error)
        else:
            entry.next_attempt_at = now + channel.backoff(entry.attempts)
            logger.warning("%s %s failed (attempt %s), next attempt at %s: %s", channel.name, entry.key,
                           entry.attempts, entry.next_attempt_at.isoformat(), error)
        if channel.after_failure is not None:
            channel.after_failure(entry, error, gave_up)
        mine.update(attempts=entry.attempts, status=entry.status, sent_at=entry.sent_at,
                    last_error=entry.last_error, next_attempt_at=entry.next_attempt_at)
    return entry.status


def outbox_sweep(now: datetime | None = None, limit: int = 500, channels: Iterable[str] | None = None) -> int:
    """Attempt every due message of every channel (or of `channels`), oldest due first, at most
    `limit` in all. One query over the one outbox table finds them; each goes to its channel.
    Returns how many were tried."""
    now = now or timezone.now()
    declared = outbox_channels()
    due = OutboxMessage.objects.due(now)
    if channels is not None:
        due = due.filter(channel__in=list(channels))
    rows = list(due.order_by("next_attempt_at").values_list("pk", "channel")[:limit])
    tried = 0
    for entry_id, name in rows:
        channel = declared.get(name)
        if channel is None:  # an app that declared it was removed: left queued, visible in the admin
            logger.error("outbox row %s has no declared channel %r", entry_id, name)
            continue
        try:
            outbox_attempt(channel, entry_id, now=now)
        except Exception:  # one broken row must not stop the sweep
            logger.exception("%s outbox row %s crashed", name, entry_id)
        tried += 1
    return tried


def outbox_requeue(entry, now: datetime | None = None) -> bool:
    """Give a dead-lettered message (of any channel) a fresh set of attempts. False if it was not dead."""
    now = now or timezone.now()
    updated = OutboxMessage.objects.dead_letters().filter(pk=entry.pk).update(
        status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=now,
    )
    return bool(updated)

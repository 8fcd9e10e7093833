"""Background tasks of the incidents app (thin: ids in, services called)."""


def deliver_webhook(delivery_id: int) -> str:
    # Kept for tasks queued before the outbox was shared (issue 17): same attempt, webhook channel.
    from incidents.services.notifications import webhook_deliver

    return webhook_deliver(delivery_id)


def retry_notifications() -> int:
    """Put failed responder emails on their incident's timeline (the core's outbox sweep retries
    both emails and chat webhooks)."""
    from incidents.services.notifications import email_failures_record

    return email_failures_record()


def check_response_targets() -> int:
    from incidents.services.targets import response_targets_check

    return response_targets_check()


# Postmortems and action items (issue 5).
def postmortems_ensure_required() -> int:
    from incidents.services.postmortems import postmortems_ensure_required as run

    return run()


def postmortems_remind_overdue() -> int:
    from incidents.services.postmortems import postmortems_remind_overdue as run

    return run()


def action_items_daily() -> int:
    """Overdue digests (one per owner) and escalations (once per item)."""
    from incidents.services.action_items import action_items_escalate, action_items_send_overdue_digests

    return action_items_send_overdue_digests() + action_items_escalate()

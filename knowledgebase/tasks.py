"""Background tasks of the knowledge base (thin: they call services)."""


def daily_documentation_check() -> dict:
    """Daily: stale-documentation digests to owners, overdue-training reminders to people."""
    from knowledgebase.services import overdue_training_reminders_send, stale_digests_send

    return {"stale": stale_digests_send(), "training": overdue_training_reminders_send()}

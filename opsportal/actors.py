"""Who did it: the one rule for attributing a change to a person."""


def recorded_person(actor):
    """The user to record as the author of a change: None for anonymous requests and system work
    (schedules, webhooks), which are recorded without a person."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None

"""Write side of the retros app. Every change to retros and reviews goes through here."""

from retros.services.retros import (
    retro_cancel,
    retro_checks,
    retro_generate_agenda,
    retro_mark_held,
    retro_update_notes,
)
from retros.services.reviews import (
    review_checks,
    review_complete,
    review_create_for_period,
    review_update_item,
    reviews_ensure_for_project,
)
from retros.services.schedule import cadence_document, schedule_retros

__all__ = [
    "cadence_document",
    "retro_cancel",
    "retro_checks",
    "retro_generate_agenda",
    "retro_mark_held",
    "retro_update_notes",
    "review_checks",
    "review_complete",
    "review_create_for_period",
    "review_update_item",
    "reviews_ensure_for_project",
    "schedule_retros",
]

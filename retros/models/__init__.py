"""Models of the retros app: retrospectives on a cadence and operational reviews."""

from retros.models.retros import RetroCadence, RetroSeries, Retrospective, RetroStatus
from retros.models.reviews import (
    CHECKLISTS,
    ChecklistItem,
    OperationalReview,
    ReviewCadence,
    ReviewStatus,
    checklist_title,
)

__all__ = [
    "CHECKLISTS",
    "ChecklistItem",
    "OperationalReview",
    "RetroCadence",
    "RetroSeries",
    "RetroStatus",
    "Retrospective",
    "ReviewCadence",
    "ReviewStatus",
    "checklist_title",
]

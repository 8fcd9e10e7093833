"""Where each retro model's project is (see docs/access.md)."""

from opsportal.access import scoped

ACCESS = {
    "RetroSeries": scoped("project"),
    "Retrospective": scoped("project"),
    "OperationalReview": scoped("project"),
    "ChecklistItem": scoped("review__project"),
}

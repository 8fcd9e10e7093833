"""Write side of the experience app (intake and triage are the only places that write)."""

from experience.services.intake import (
    MAX_ROWS,
    IntakeResult,
    feedback_ingest,
    respondent_hash,
    survey_responses_ingest,
)
from experience.services.rows import RowsRejected
from experience.services.triage import (
    feedback_close,
    feedback_create_action_item,
    feedback_link_incident,
    feedback_triage,
)

__all__ = [
    "MAX_ROWS",
    "IntakeResult",
    "RowsRejected",
    "feedback_close",
    "feedback_create_action_item",
    "feedback_ingest",
    "feedback_link_incident",
    "feedback_triage",
    "respondent_hash",
    "survey_responses_ingest",
]

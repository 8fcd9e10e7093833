"""Write side of the knowledge base: the only code that changes articles and training."""

from knowledgebase.services.articles import (
    article_create,
    article_delete,
    article_restore_revision,
    article_update,
    check_base_version,
)
from knowledgebase.services.digests import overdue_training_reminders_send, stale_digests_send
from knowledgebase.services.lifecycle import (
    article_archive,
    article_from_postmortem_lessons,
    article_mark_reviewed,
    article_publish,
    article_reopen,
    article_set_last_review,
    publication_problems,
)
from knowledgebase.services.training import (
    training_assign,
    training_complete,
    training_require_recompletion,
    training_set_due,
)

__all__ = [
    "article_archive",
    "article_create",
    "article_delete",
    "article_from_postmortem_lessons",
    "article_mark_reviewed",
    "article_publish",
    "article_reopen",
    "article_restore_revision",
    "article_set_last_review",
    "article_update",
    "check_base_version",
    "overdue_training_reminders_send",
    "publication_problems",
    "stale_digests_send",
    "training_assign",
    "training_complete",
    "training_require_recompletion",
    "training_set_due",
]

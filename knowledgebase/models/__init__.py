"""Models of the knowledge base; import them from here."""

from knowledgebase.models.articles import (
    DEFAULT_REVIEW_INTERVAL_DAYS,
    Article,
    ArticleEvent,
    ArticleEventKind,
    ArticleKind,
    ArticleRevision,
    ArticleStatus,
    RunbookAlert,
    Tag,
    default_review_interval,
)
from knowledgebase.models.training import TrainingAssignment, TrainingCompletion

__all__ = [
    "DEFAULT_REVIEW_INTERVAL_DAYS",
    "Article",
    "ArticleEvent",
    "ArticleEventKind",
    "ArticleKind",
    "ArticleRevision",
    "ArticleStatus",
    "RunbookAlert",
    "Tag",
    "TrainingAssignment",
    "TrainingCompletion",
    "default_review_interval",
]

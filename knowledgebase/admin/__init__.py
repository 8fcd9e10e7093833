"""Admin of the knowledge base: articles (editor with preview, history, diff) and training."""

from knowledgebase.admin.articles import ArticleAdmin, TagAdmin
from knowledgebase.admin.training import TrainingAssignmentAdmin

__all__ = ["ArticleAdmin", "TagAdmin", "TrainingAssignmentAdmin"]

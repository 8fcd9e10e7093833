"""Where each knowledge-base model's project is (see docs/access.md).

Articles without a project are organisation-wide: every signed-in user reads them.
"""

from opsportal.access import organisation_wide, scoped

ACCESS = {
    "Article": scoped("project", open_when_null=True),
    "RunbookAlert": scoped("article__project", open_when_null=True),
    "ArticleRevision": scoped("article__project", open_when_null=True),
    "ArticleEvent": scoped("article__project", open_when_null=True),
    "TrainingAssignment": scoped("article__project", open_when_null=True),
    "TrainingCompletion": scoped("assignment__article__project", open_when_null=True),
    "Tag": organisation_wide(),
}

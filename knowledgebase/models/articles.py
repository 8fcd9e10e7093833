"""Articles of the knowledge base: runbooks, procedures, training, best practices, lessons learned."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from opsportal.archive import Archivable, ArchivableQuerySet
from opsportal.models import Project, Service
from opsportal.models.appendonly import AppendOnlyModel, AppendOnlyQuerySet


class ArticleKind(models.TextChoices):
    RUNBOOK = "runbook", "Runbook"
    INCIDENT_PROCEDURE = "incident_procedure", "Incident procedure"
    TRAINING = "training", "Training material"
    BEST_PRACTICE = "best_practice", "Best practice"
    KNOWLEDGE = "knowledge", "Knowledge"
    LESSON_LEARNED = "lesson_learned", "Lesson learned"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


# Operational procedures go out of date faster than background knowledge.
DEFAULT_REVIEW_INTERVAL_DAYS = {ArticleKind.RUNBOOK: 90, ArticleKind.INCIDENT_PROCEDURE: 90}
OTHER_REVIEW_INTERVAL_DAYS = 180
MAX_REVIEW_INTERVAL_DAYS = 3650


def default_review_interval(kind: str) -> int:
    return DEFAULT_REVIEW_INTERVAL_DAYS.get(kind, OTHER_REVIEW_INTERVAL_DAYS)


tag_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,49}$", "A tag is 1-50 lowercase letters, digits or -.")
# Alertmanager's `alertname` label as Prometheus rules spell it (HighErrorRate, KubePodCrashLooping).
alert_name_validator = RegexValidator(
    r"^[A-Za-z0-9_:.-]{1,200}$", "An alert name is the alertname label: letters, digits, _ : . or -, no spaces."
)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True, validators=[tag_validator])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(ArchivableQuerySet):
    def published(self):
        return self.filter(status=ArticleStatus.PUBLISHED, archived_at__isnull=True)

    def runbooks(self):
        return self.filter(kind=ArticleKind.RUNBOOK)

    def stale(self, now):
        """Published articles whose review is overdue (`review_due_at` is kept by the services)."""
        return self.published().filter(review_due_at__lt=now)

    def fresh(self, now):
        return self.published().filter(review_due_at__gte=now)

    def for_project(self, project):
        """The project's own articles and the organisation-wide ones (no project)."""
        return self.filter(Q(project=project) | Q(project__isnull=True))

    def visible_to(self, user):
        """Readers see published articles of their projects and the organisation-wide ones; editors
        also see drafts and archived ones of the projects they may edit in."""
        from opsportal.access import scope

        editable = scope(Article.objects.all(), user, "change").values("pk")
        return scope(self, user, "view").filter(
            models.Q(status=ArticleStatus.PUBLISHED) | models.Q(pk__in=editable)
        )


class Article(Archivable):
    """A Markdown document of the knowledge base; every save leaves an ArticleRevision."""

    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="articles",
        help_text="Leave empty for organisation-wide articles.",
    )
    services = models.ManyToManyField(Service, blank=True, related_name="articles")
    kind = models.CharField(max_length=32, choices=ArticleKind.choices, default=ArticleKind.RUNBOOK, db_index=True)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False, help_text="Sanitized HTML, rendered on save.")
    toc_html = models.TextField(blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_articles"
    )
    status = models.CharField(max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT, db_index=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    review_interval_days = models.PositiveSmallIntegerField(
        default=OTHER_REVIEW_INTERVAL_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_INTERVAL_DAYS)],
        help_text="An article is stale when its last review is older than this.",
    )
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # last review (or publication) + interval; indexed so "stale" is one range scan.
    review_due_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=0, editable=False, help_text="Number of the latest revision.")
    related_incident_ids = models.JSONField(
        default=list, blank=True, help_text="Incidents a lesson learned comes from (set by the postmortem)."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        permissions = [("archive_article", "Can archive and restore an article")]
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["kind", "status"], name="kb_article_kind_status")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ArticleKind.values), name="kb_article_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ArticleStatus.values), name="kb_article_status_valid"),
            models.CheckConstraint(
                condition=Q(review_interval_days__gte=1, review_interval_days__lte=MAX_REVIEW_INTERVAL_DAYS),
                name="kb_article_review_interval_range",
            ),
            models.CheckConstraint(
                condition=~Q(status=ArticleStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="kb_article_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledgebase:article", kwargs={"slug": self.slug})

    def is_stale(self, now) -> bool:
        return self.status == ArticleStatus.PUBLISHED and self.review_due_at is not None and self.review_due_at < now

    # Hooks of opsportal.archive: an archived article is also in the archived state of its lifecycle,
    # with an audit event; restoring brings it back as a draft to re-check before publishing.
    def on_archive(self, *, actor, now, reason):
        from knowledgebase.services.lifecycle import archived_state

        return archived_state(self, actor=actor, note=reason)

    def on_restore(self, *, actor, now):
        from knowledgebase.services.lifecycle import reopened_state

        return reopened_state(self, actor=actor)


class RunbookAlert(models.Model):
    """An alert a runbook answers, matched to Alertmanager's `alertname` label."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="alerts")
    alert_name = models.CharField(max_length=200, db_index=True, validators=[alert_name_validator])

    class Meta:
        ordering = ["alert_name"]
        constraints = [
            models.UniqueConstraint(fields=["article", "alert_name"], name="kb_runbook_alert_unique"),
        ]

    def __str__(self) -> str:
        return self.alert_name


class ArticleRevision(AppendOnlyModel):
    """One immutable saved state of an article: what it said, who saved it, when and why."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=32, choices=ArticleKind.choices)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    change_note = models.CharField(max_length=500, blank=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True, help_text="Revision number it restores.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="kb_revision_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class ArticleEventKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    RESTORED = "restored", "Restored a revision"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"
    REOPENED = "reopened", "Back to draft"
    REVIEWED = "reviewed", "Reviewed"
    RECOMPLETION_REQUIRED = "recompletion_required", "Re-completion required"


class ArticleEvent(AppendOnlyModel):
    """Audit row of every state change of an article (who, what, when)."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32, choices=ArticleEventKind.choices, db_index=True)
    version = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ArticleEventKind.values), name="kb_event_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.article_id} v{self.version}"

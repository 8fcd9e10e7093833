"""The postmortem of an incident (Google SRE sections), its revisions, and the review workflow states."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from opsportal.models.appendonly import AppendOnlyModel, AppendOnlyQuerySet


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"


# (field, heading, required to submit). The order is the report's order.
SECTIONS = (
    ("summary", "Summary", True),
    ("impact", "Impact", True),
    ("root_causes", "Root causes", True),
    ("trigger", "Trigger", True),
    ("resolution", "Resolution", True),
    ("detection", "Detection", True),
    ("contributing_factors", "Contributing factors", False),
    ("went_well", "What went well", True),
    ("went_wrong", "What went wrong", True),
    ("got_lucky", "Where we got lucky", False),
    ("timeline", "Timeline", True),
    ("supporting_information", "Supporting information", False),
)
SECTION_FIELDS = tuple(field for field, _heading, _required in SECTIONS)
REQUIRED_SECTIONS = tuple(field for field, _heading, required in SECTIONS if required)
LESSON_FIELDS = ("went_well", "went_wrong", "got_lucky")


class PostmortemQuerySet(models.QuerySet):
    def for_project(self, project):
        return self.filter(project=project)

    def drafts(self):
        return self.filter(status__in=[PostmortemStatus.DRAFT, PostmortemStatus.CHANGES_REQUESTED])

    def overdue(self, now=None):
        """Not yet submitted (draft or sent back) and past the due time."""
        return self.drafts().filter(due_at__lt=now or timezone.now())

    def awaiting_review(self):
        return self.filter(status=PostmortemStatus.IN_REVIEW)

    def awaiting_review_by(self, user):
        """In review, and `user` may decide: not the owner, not a co-author, not already approved this round."""
        return (
            self.awaiting_review()
            .exclude(owner=user)
            .exclude(co_authors=user)
        )

    def approved_or_published(self):
        return self.filter(status__in=[PostmortemStatus.APPROVED, PostmortemStatus.PUBLISHED])


class Postmortem(models.Model):
    """One per incident. Written by its owner and co-authors, approved by Managers, then published.

    Only `incidents.services.postmortems` writes postmortems; every save keeps a
    `PostmortemRevision`, and approvals carry the SHA-256 of the rendered report
    (`approval_content`) so an edit after approval is detectable and invalidates them.
    """

    project = models.ForeignKey("opsportal.Project", on_delete=models.PROTECT, related_name="postmortems")
    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="postmortem")
    title = models.CharField(max_length=300)
    status = models.CharField(
        max_length=20, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="postmortems_owned"
    )
    co_authors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="postmortems_coauthored")
    required = models.BooleanField(default=False, db_index=True)
    required_reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    root_causes = models.TextField(blank=True)
    trigger = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    detection = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    went_well = models.TextField(blank=True)
    went_wrong = models.TextField(blank=True)
    got_lucky = models.TextField(blank=True)
    timeline = models.TextField(blank=True, help_text="Prefilled from the incident timeline; edit freely.")
    supporting_information = models.TextField(blank=True)
    no_action_needed_reason = models.TextField(
        blank=True, help_text="Required to submit when the postmortem has no action items."
    )

    # Rendered once on save (sanitized); `content_sha256` is what approvals are compared with.
    rendered_html = models.TextField(blank=True, editable=False)
    content_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    revision = models.PositiveIntegerField(default=0, editable=False)

    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostmortemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_postmortem", "Can approve or send back a postmortem"),
            ("require_postmortem", "Can require a postmortem for any incident"),
        ]
        indexes = [models.Index(fields=["project", "status"], name="postmortem_project_status")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PostmortemStatus.values), name="postmortem_status_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=[PostmortemStatus.APPROVED, PostmortemStatus.PUBLISHED])
                | Q(approved_at__isnull=False),
                name="postmortem_approved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=PostmortemStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="postmortem_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Postmortem {self.incident.reference}: {self.title}" if self.incident_id else self.title

    # --- approvals ---------------------------------------------------------
    def approval_content(self) -> dict:
        """Exactly what a reviewer approves: the canonical source, not a rendering of it. Every section's
        Markdown as typed, the title, the set of authors and the linked action items (title, type, owner,
        due date, status). Hashed as RFC 8785 JSON; a change to any of it is a change of content."""
        return {
            "postmortem": self.pk,
            "incident": self.incident_id,
            "title": self.title,
            "sections": {field: getattr(self, field) or "" for field in SECTION_FIELDS},
            "no_action_needed_reason": self.no_action_needed_reason or "",
            "authors": self.approval_authors(),
            "action_items": [item.linked_summary() for item in self.action_items.order_by("id")],
        }

    def approval_authors(self):
        """Four-eyes: everyone who has owned, co-authored or edited the postmortem since it was created
        (the current owner and co-authors, editors of revisions after the first, which only holds the
        prefilled draft, and the authorship history) is an author and cannot decide on it."""
        from opsportal.services.approvals import historic_author_ids  # models stay free of service imports

        authors = {self.owner_id} if self.owner_id else set()
        if self.pk is None:
            return sorted(authors)
        authors |= {user.pk for user in self.co_authors.all()}
        authors |= set(self.revisions.filter(number__gt=1, author__isnull=False).values_list("author_id", flat=True))
        authors |= historic_author_ids(self)
        return sorted(authors)

    def missing_sections(self) -> list[str]:
        return [field for field in REQUIRED_SECTIONS if not (getattr(self, field) or "").strip()]

    def is_overdue(self, now=None) -> bool:
        return (
            self.status in (PostmortemStatus.DRAFT, PostmortemStatus.CHANGES_REQUESTED)
            and self.due_at is not None
            and self.due_at < (now or timezone.now())
        )


class PostmortemRevisionQuerySet(AppendOnlyQuerySet):
    pass


class PostmortemRevision(AppendOnlyModel):
    """Every saved version of a postmortem: who, when, and the full Markdown document."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=PostmortemStatus.choices)
    content = models.TextField(help_text="The Markdown document as saved.")
    content_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the rendered report of this revision.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = PostmortemRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "number"], name="postmortem_revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.postmortem_id} r{self.number}"

"""The per-project evidence chain: every audit record, hash-linked to the one before it."""

from django.db import models

from opsportal.models.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from opsportal.models.projects import Project

ORG_CHAIN = "_org"  # records that belong to no project (organisation-wide articles)


class ChainHead(models.Model):
    """The latest link of one chain. Appending locks this row (`select_for_update`), so writers of
    one project take turns and never fork the chain, while other projects are not blocked."""

    key = models.CharField(max_length=64, unique=True, help_text="p<project id>, or _org.")
    project = models.OneToOneField(Project, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="chain_head")
    sequence = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "evidence chain head"

    def __str__(self) -> str:
        return f"{self.key} #{self.sequence}"


class ChainLink(AppendOnlyModel):
    """One audit record in its chain. `document` is the exact RFC 8785 JSON that `record_hash` hashes:
    scheme, project, sequence, record type and id, `prev_hash`, actor and every field of the record."""

    # No index of its own: the unique (chain, sequence) index leads with it, and every index costs each append.
    chain = models.ForeignKey(ChainHead, on_delete=models.PROTECT, related_name="links", db_index=False)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    record_type = models.CharField(max_length=64)
    record_id = models.PositiveBigIntegerField()
    prev_hash = models.CharField(max_length=64)
    record_hash = models.CharField(max_length=64)
    document = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "evidence chain link"
        ordering = ["chain", "sequence"]
        indexes = [
            models.Index(fields=["record_type", "record_id"], name="chainlink_record"),
            # The admin finds a link by its hash exactly (opsportal/admin/audit.py).
            models.Index(fields=["record_hash"], name="chainlink_record_hash"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "sequence"], name="chainlink_sequence_unique"),
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="chainlink_sequence_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.chain_id}#{self.sequence} {self.record_type}:{self.record_id}"


class ManifestRevision(AppendOnlyModel):
    """Every state the manifest has had: the manifest row changes, its history does not."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="manifest_revisions")
    revision = models.PositiveIntegerField()
    phases = models.JSONField(default=dict, blank=True)
    chain_head = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-revision"]
        constraints = [
            models.UniqueConstraint(fields=["project", "revision"], name="manifest_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} manifest r{self.revision}"

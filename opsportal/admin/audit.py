"""Read-only admin pages of the audit trail: the evidence chain, authorship and superseded approvals.

All four tables only ever grow (one chain link per audit record), so their lists use the scale
helpers: no full COUNT(*), no facet counts, exact search by sequence, id or hash through an index.
Links between pages are built from the row's own columns (record type and id, subject type and id),
so a list shows them without a query per row.
"""

import json

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from opsportal.admin.mixins import ReadOnlyAdminMixin, pretty_json
from opsportal.admin.scale import EstimatedCountPaginator, IndexedValuesFilter, search_exact_first
from opsportal.admin.scale.search import NUMBER_TERM
from opsportal.models import ApprovalSupersession, Authorship, ChainHead, ChainLink


def admin_change_url(label: str, pk) -> str | None:
    """The admin page of row `pk` of model `label` ("app.model"), or None when it has none."""
    try:
        model = apps.get_model(label)
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except (LookupError, NoReverseMatch, ValueError):
        return None


def changelist_url(model, **params) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def record_link(label: str, pk, text: str | None = None):
    url = admin_change_url(label, pk)
    text = text or f"{label} #{pk}"
    return format_html('<a href="{}">{}</a>', url, text) if url else text


def chain_link_of(obj):
    """The admin link to the chain link of audit row `obj` (one indexed query), for detail pages."""
    link = ChainLink.objects.filter(record_type=obj._meta.label_lower, record_id=obj.pk).only(
        "pk", "sequence", "record_hash").first()
    if link is None:
        return "-"
    return format_html('<a href="{}">#{} {}</a>', admin_change_url("opsportal.chainlink", link.pk), link.sequence,
                       link.record_hash[:16])


def approval_authors_link(approval):
    """The admin list of everyone who ever wrote the approval's subject (whom four-eyes excluded)."""
    return format_html('<a href="{}">everyone who wrote this subject</a>',
                       changelist_url(Authorship, subject_type=approval.subject_type_id,
                                      subject_id=approval.subject_id))


class AuditListMixin(ReadOnlyAdminMixin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    get_search_results = search_exact_first


@admin.register(ChainHead)
class ChainHeadAdmin(AuditListMixin, admin.ModelAdmin):
    list_display = ["key", "project", "sequence", "head_short", "updated_at", "links"]
    list_select_related = ["project"]
    list_filter = ["project"]
    search_fields = ["=key"]
    search_number_fields = ["sequence", "id"]
    search_hash_fields = ["head_hash"]
    ordering = ["key"]
    fields = ["key", "project", "sequence", "head_hash", "updated_at", "links"]
    readonly_fields = fields

    @admin.display(description="head hash")
    def head_short(self, obj):
        return obj.head_hash[:16] or "-"

    @admin.display(description="links")
    def links(self, obj):
        return format_html('<a href="{}">{} links</a>', changelist_url(ChainLink, chain=obj.pk), obj.sequence)


@admin.register(ChainLink)
class ChainLinkAdmin(AuditListMixin, admin.ModelAdmin):
    list_display = ["sequence", "project", "record_type", "record", "hash_short", "created_at"]
    list_select_related = ["project"]
    list_filter = ["project", ("record_type", IndexedValuesFilter)]
    search_fields = ["=record_type"]
    search_hash_fields = ["record_hash"]  # indexed (chainlink_record_hash)
    ordering = ["-id"]
    fields = ["chain", "project", "sequence", "record_type", "record", "prev_hash", "previous", "record_hash",
              "document_pretty", "created_at"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """A number is a sequence: looked up through the (chain, sequence) unique index, one probe per
        chain (a separate index on sequence would cost every append); a SHA-256 is a record_hash."""
        term = search_term.strip()
        if NUMBER_TERM.match(term):
            found = queryset.filter(chain__in=ChainHead.objects.values("pk"), sequence=int(term.lstrip("#")))
            if found.exists():
                return found, False
        return search_exact_first(self, request, queryset, search_term)

    @admin.display(description="record")
    def record(self, obj):
        return record_link(obj.record_type, obj.record_id)

    @admin.display(description="record hash")
    def hash_short(self, obj):
        return obj.record_hash[:16]

    @admin.display(description="previous link")
    def previous(self, obj):
        if obj.sequence <= 1:
            return "- (first link: prev_hash is 64 zeros)"
        before = ChainLink.objects.filter(chain_id=obj.chain_id, sequence=obj.sequence - 1).only("pk").first()
        return record_link("opsportal.chainlink", before.pk, f"#{obj.sequence - 1}") if before else "missing"

    @admin.display(description="document (the RFC 8785 JSON record_hash hashes)")
    def document_pretty(self, obj):
        try:
            return pretty_json(json.loads(obj.document))
        except ValueError:
            return obj.document


@admin.register(Authorship)
class AuthorshipAdmin(AuditListMixin, admin.ModelAdmin):
    list_display = ["created_at", "project", "subject", "user", "role"]
    list_select_related = ["project", "user", "subject_type"]
    list_filter = ["project", "role"]
    search_fields = ["user__username"]
    search_number_fields = ["id"]
    ordering = ["-id"]
    fields = ["project", "subject", "user", "role", "created_at"]
    readonly_fields = fields

    @admin.display(description="subject")
    def subject(self, obj):
        content_type = obj.subject_type
        return record_link(f"{content_type.app_label}.{content_type.model}", obj.subject_id,
                           f"{content_type.name} #{obj.subject_id}")


@admin.register(ApprovalSupersession)
class ApprovalSupersessionAdmin(AuditListMixin, admin.ModelAdmin):
    list_display = ["created_at", "project", "approval_link", "reason", "content_short", "created_by"]
    list_select_related = ["project", "created_by"]
    list_filter = ["project", "created_at"]
    search_fields = ["reason"]
    search_number_fields = ["approval_id", "id"]  # the approval's id: a unique index (one-to-one)
    date_hierarchy = "created_at"
    ordering = ["-id"]
    fields = ["project", "approval_link", "reason", "new_content_sha256", "chain", "created_by", "created_at"]
    readonly_fields = fields

    @admin.display(description="approval")
    def approval_link(self, obj):
        return record_link("opsportal.approval", obj.approval_id, f"approval #{obj.approval_id}")

    @admin.display(description="new content hash")
    def content_short(self, obj):
        return obj.new_content_sha256[:16]

    @admin.display(description="evidence chain link")
    def chain(self, obj):
        return chain_link_of(obj)

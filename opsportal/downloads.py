"""Authenticated download of evidence attachments (issue 17).

MEDIA_URL points here, so every `attachment.url` (API, admin, exports) is this view: /media/ is
never served as files, in debug or not. Whoever may read the evidence record may download its
file; that rule is `can_download_evidence`, answered per project by the access backend.
"""

import os

from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated

from opsportal.models import EvidenceRecord
from opsportal.uploads import sent_content_type


def can_download_evidence(user, record: EvidenceRecord) -> bool:
    """Whoever may view the record in its project (docs/access.md) may download its file."""
    return user.has_perm("opsportal.view_evidencerecord", record)


def _record_for(name: str) -> EvidenceRecord | None:
    # Names are evidence/<project>/<phase>/<file>: filter by project and phase first (indexed).
    parts = name.split("/")
    records = EvidenceRecord.objects.select_related("project").filter(attachment=name)
    if len(parts) == 4 and parts[0] == "evidence":
        records = records.filter(project__slug=parts[1], phase=parts[2])
    return records.order_by("pk").first()


@extend_schema(exclude=True)  # a file, not an API resource; its address is the record's `attachment`
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def evidence_attachment(request, name: str):
    record = _record_for(name)
    # Not allowed and not found look the same: a probe learns nothing about other projects' files.
    if record is None or not can_download_evidence(request.user, record) or not record.attachment:
        raise Http404("No such attachment.")
    try:
        handle = record.attachment.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The attachment's file is missing.") from exc
    response = FileResponse(handle, as_attachment=True, filename=os.path.basename(record.attachment.name),
                            content_type=sent_content_type(record.attachment.name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["X-Attachment-SHA256"] = record.attachment_sha256
    return response

"""Evidence attachments: what may be uploaded, and how a stored file is sent back.

Uploads: the file itself is at most OPSPORTAL_MAX_UPLOAD_BYTES, its extension is on the
allow-list (OPSPORTAL_UPLOAD_EXTENSIONS) and the declared content type fits the extension; images
and PDFs must also start like one. Refusals name the limit (the API answers 400 with them under
`attachment`).

Downloads always go out as attachments with a content type chosen here from the extension, never
the uploader's, so a file cannot become a page of the portal (no HTML, no SVG, nosniff).
"""

import os

from django.conf import settings
from django.core.exceptions import ValidationError

# Extension -> content types a client may declare for it (octet-stream: "unknown", as curl sends).
DECLARED_TYPES = {
    "pdf": {"application/pdf"},
    "png": {"image/png"},
    "jpg": {"image/jpeg", "image/pjpeg"},
    "jpeg": {"image/jpeg", "image/pjpeg"},
    "gif": {"image/gif"},
    "txt": {"text/plain"},
    "log": {"text/plain", "text/x-log"},
    "md": {"text/markdown", "text/x-markdown", "text/plain"},
    "csv": {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel"},
    "json": {"application/json", "text/json", "text/plain"},
    "zip": {"application/zip", "application/x-zip-compressed"},
}
ANY_TYPE = "application/octet-stream"
# Extension -> the type we send (inert for browsers: no html, svg or xml).
SENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "txt": "text/plain; charset=utf-8", "log": "text/plain; charset=utf-8", "md": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8", "json": "application/json", "zip": "application/zip",
}
MAGIC = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
}


def extension(name: str) -> str:
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def allowed_extensions() -> list[str]:
    return [e.lower().lstrip(".") for e in settings.OPSPORTAL.get("UPLOAD_EXTENSIONS", [])]


def validate_attachment(uploaded) -> None:
    """Raise ValidationError({"attachment": ...}) naming the limit the file breaks."""
    limit = settings.OPSPORTAL.get("MAX_UPLOAD_BYTES", settings.MAX_UPLOAD_BYTES)
    if uploaded.size is not None and uploaded.size > limit:
        raise ValidationError({"attachment": (
            f"The file is {uploaded.size} bytes; the limit is {limit} bytes (OPSPORTAL_MAX_UPLOAD_BYTES)."
        )})
    ext = extension(uploaded.name)
    allowed = allowed_extensions()
    if ext not in allowed or ext not in DECLARED_TYPES:
        raise ValidationError({"attachment": (
            f"Files of type .{ext or '(none)'} are not accepted; allowed: "
            f"{', '.join('.' + e for e in allowed if e in DECLARED_TYPES)} (OPSPORTAL_UPLOAD_EXTENSIONS)."
        )})
    declared = (getattr(uploaded, "content_type", "") or ANY_TYPE).split(";")[0].strip().lower()
    if declared != ANY_TYPE and declared not in DECLARED_TYPES[ext]:
        raise ValidationError({"attachment": (
            f"Content type {declared} does not match .{ext}; allowed for .{ext}: "
            f"{', '.join(sorted(DECLARED_TYPES[ext]))}."
        )})
    if ext in MAGIC:
        uploaded.seek(0)
        head = uploaded.read(16)
        uploaded.seek(0)
        if not any(head.startswith(m) for m in MAGIC[ext]):
            raise ValidationError({"attachment": f"The file's content is not a .{ext} file."})


def sent_content_type(name: str) -> str:
    return SENT_TYPES.get(extension(name), ANY_TYPE)

"""Links to records: admin pages inside the portal, absolute addresses for emails and webhooks."""

from django.conf import settings
from django.urls import reverse


def admin_change_url(obj) -> str:
    """The admin change page of any registered model instance."""
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def absolute_url(path: str) -> str:
    """`path` on the portal's public address (OPSPORTAL_BASE_URL), for links leaving the browser."""
    return f"{settings.OPSPORTAL_BASE_URL.rstrip('/')}{path}"

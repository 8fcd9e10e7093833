"""API tokens: made with their secret shown once, revoked by their owner or a Manager."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from opsportal.models import ApiToken

MAX_NAME = 100


def api_token_create(*, user, name: str = "", expires_in: timedelta | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its secret (only a digest is stored, so the
    secret cannot be shown again). `expires_in` None: valid until revoked."""
    if not user.is_active:
        raise ValidationError({"user": f"User {user.get_username()!r} is inactive."})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"At most {MAX_NAME} characters."})
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValidationError({"expires_in": "Expiry must be in the future."})
    return ApiToken.objects.create(user=user, expiry=expires_in, name=name)


def can_revoke(actor, token: ApiToken) -> bool:
    return token.user_id == actor.pk or actor.has_perm("opsportal.delete_apitoken")


@transaction.atomic
def api_token_revoke(token: ApiToken, *, actor) -> None:
    """Revoke (delete) a token: its owner may, and Managers may revoke anyone's."""
    if not can_revoke(actor, token):
        raise PermissionDenied("Only the token's owner or a Manager can revoke it.")
    token.delete()

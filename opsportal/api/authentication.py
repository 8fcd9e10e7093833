from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header

from opsportal.api.throttling import TokenFailureThrottle


def guard_token_attempt(request, authenticate):
    """Run `authenticate()`, counting a failure against the client; refuse with a 429
    a client that has failed too often (a token brute force)."""
    throttle = TokenFailureThrottle()
    throttle.check(request)
    try:
        return authenticate()
    except exceptions.AuthenticationFailed:
        throttle.record_failure(request)
        raise


class TokenOrBearerAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <secret>` or `Authorization: Bearer <secret>`, checked against
    the hashed API tokens (opsportal.ApiToken, django-rest-knox): expired tokens and
    inactive users are refused."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() not in self.keywords:
            return None
        return guard_token_attempt(request, lambda: self._check(parts))

    def _check(self, parts):
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization must be 'Token <secret>' or 'Bearer <secret>'.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return self.authenticate_credentials(secret.encode())

    def authenticate_header(self, request):
        return 'Token realm="api", Bearer realm="api"'

    def _cleanup_token(self, auth_token) -> bool:
        """Refuse (and delete) this token when it has expired, like knox, but without knox's scan of
        all the user's other tokens on every request: that was a second query per API call (issue 17
        load test). An expired token is still refused and deleted when it is next presented."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenOrBearerAuthenticationScheme(OpenApiAuthenticationExtension):
    """The API token in the OpenAPI schema: `Authorization: Token <secret>` (or `Bearer <secret>`)."""

    target_class = TokenOrBearerAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "`Token <secret>` or `Bearer <secret>`; make one with `manage.py create_api_token`.",
        }

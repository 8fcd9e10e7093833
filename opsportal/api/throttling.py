"""API throttles: per user, per anonymous client, per alert integration, and
failed token attempts per client.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] when a request is
checked (not when the class is defined, DRF's default), so a deployment or a
test can change them. A throttled request gets a 429 with Retry-After.
"""

from django.core.cache import cache as default_cache
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class LiveRatesMixin:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(LiveRatesMixin, AnonRateThrottle):
    """Anonymous clients, by address (REMOTE_ADDR, or X-Forwarded-For within NUM_PROXIES)."""


class UserThrottle(LiveRatesMixin, UserRateThrottle):
    """Authenticated users, by user id; requests of an alert integration are counted by AlertIntegrationThrottle."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # anonymous: AnonThrottle's business
        return super().get_cache_key(request, view)


class AlertIntegrationThrottle(LiveRatesMixin, SimpleRateThrottle):
    """The Alertmanager webhook, per alert integration. Generous: an alert storm is
    many notifications, and Alertmanager retries a 429 later, so nothing is lost."""

    scope = "alerts"

    def get_cache_key(self, request, view):
        integration = request.auth
        ident = getattr(integration, "pk", None)
        if ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenFailureThrottle(LiveRatesMixin, SimpleRateThrottle):
    """Failed token authentications per client address. Authentication runs before
    DRF's throttles, so wrong tokens would otherwise never be counted: once a client
    has failed this often within the window, its requests get a 429 before any
    token is even looked up."""

    scope = "token_failures"
    cache = default_cache

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request):
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def check(self, request) -> None:
        """Raise Throttled when the client has used up its failures."""
        if self.rate is None:
            return
        self._load(request)
        if len(self.history) >= self.num_requests:
            raise Throttled(wait=self.wait(), detail="Too many failed authentication attempts from this client.")

    def record_failure(self, request) -> None:
        if self.rate is None:
            return
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)

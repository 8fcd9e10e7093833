"""Validators of the slos app."""

import re
import urllib.parse

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.deconstruct import deconstructible

# One DNS label: in-cluster service names (`prometheus`, `prometheus-operated`, `thanos-query`).
SINGLE_LABEL = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")


@deconstructible
class ServerURLValidator:
    """An http(s) base URL of a metrics server. Django's URLValidator wants a dotted host name; a
    Kubernetes or Docker Compose service is often reached by a single label (http://prometheus:9090)."""

    message = "Enter an http:// or https:// URL, e.g. http://prometheus:9090 or https://mimir.example.com."
    code = "invalid"

    def __call__(self, value):
        try:
            URLValidator(schemes=["http", "https"])(value)
            return
        except ValidationError:
            pass
        try:
            parts = urllib.parse.urlsplit(str(value))
            port = parts.port  # raises ValueError when not a number in range
        except ValueError:
            raise ValidationError(self.message, code=self.code) from None
        if (parts.scheme not in ("http", "https") or not parts.hostname or not SINGLE_LABEL.match(parts.hostname)
                or parts.username or parts.password or (port is not None and not 0 < port < 65536)
                or any(c.isspace() for c in str(value))):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, ServerURLValidator)

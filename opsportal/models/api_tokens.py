"""API tokens (django-rest-knox): only a SHA-512 digest of the secret is stored."""

from django.db import models
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """One of a user's API tokens: named, optionally expiring, revocable. The secret is
    shown once when it is made (`create_api_token`); the first 15 characters
    (`token_key`) identify it in lists, the digest proves it."""

    name = models.CharField(max_length=100, blank=True, help_text="What the token is for, e.g. 'CI pipeline'.")

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name or 'API token'} ({self.token_key}…) of {self.user}"

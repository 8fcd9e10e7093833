from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from opsportal.exit_codes import BAD_INPUT
from opsportal.models import ApiToken
from opsportal.services.api_tokens import api_token_create


class Command(BaseCommand):
    help = ("Make a new API token for USER and print its secret, once: only a digest is stored. "
            "A user may have several (--name says what each is for); list and revoke them in the admin.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'CI pipeline'.")
        parser.add_argument("--expires-days", type=int, default=None,
                            help="Valid for this many days (default: until revoked).")
        parser.add_argument("--rotate", action="store_true", help="Revoke the user's other tokens first.")

    def handle(self, *args, username, name, expires_days, rotate, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.", returncode=BAD_INPUT) from exc
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days: at least 1.", returncode=BAD_INPUT)
        expires_in = timedelta(days=expires_days) if expires_days else None
        try:
            token, secret = api_token_create(user=user, name=name, expires_in=expires_in)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=BAD_INPUT) from exc
        if rotate:
            revoked, _ = ApiToken.objects.filter(user=user).exclude(pk=token.pk).delete()
            self.stderr.write(f"Revoked {revoked} older token(s) of {username}.")
        until = f"until {token.expiry:%Y-%m-%d %H:%M %Z}" if token.expiry else "until revoked"
        self.stderr.write(f"API token {token.token_key}… for {username}, valid {until}. Store the secret now; "
                          "it is not shown again:")
        self.stdout.write(secret)

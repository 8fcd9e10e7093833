"""Thin tasks: read the clock once, call a service."""

from django.utils import timezone


def send_overdue_digests() -> int:
    from dependencies.services.digest import overdue_digests_send

    return overdue_digests_send(now=timezone.now())


def expire_acceptances() -> int:
    from dependencies.services import acceptances_expire

    return acceptances_expire(now=timezone.now())

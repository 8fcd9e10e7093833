"""API tokens (django-rest-knox): hashed, named, several per user, optionally expiring,
listed without the secret and revocable by their owner and by Managers; the old
plain-text DRF tokens are converted and keep working."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from knox.crypto import hash_token
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from opsportal.models import ApiToken
from opsportal.services.api_tokens import api_token_create, api_token_revoke

LIST = "/admin/opsportal/apitoken/"


def client_with(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_only_a_digest_is_stored(operator, project):
    token, secret = api_token_create(user=operator, name="CI")
    stored = ApiToken.objects.get()
    assert stored.digest == hash_token(secret) and secret not in stored.digest
    assert stored.token_key == secret[:15] and len(secret) == 64
    assert client_with(secret).get("/api/v1/projects/").status_code == 200


def test_an_expired_token_is_refused(operator, project, time_machine):
    time_machine.move_to("2027-03-01 12:00Z", tick=False)
    _, secret = api_token_create(user=operator, name="one day", expires_in=timedelta(days=1))
    assert client_with(secret).get("/api/v1/projects/").status_code == 200
    time_machine.move_to("2027-03-02 12:01Z", tick=False)
    assert client_with(secret).get("/api/v1/projects/").status_code == 401


def test_an_inactive_users_tokens_stop_working(operator, project):
    _, secret = api_token_create(user=operator)
    operator.is_active = False
    operator.save()
    assert client_with(secret).get("/api/v1/projects/").status_code == 401


def test_owners_list_and_revoke_their_own_tokens_managers_everyones(client, operator, viewer, manager):
    mine, mine_secret = api_token_create(user=operator, name="operator CI")
    theirs, _ = api_token_create(user=viewer, name="viewer laptop")
    client.force_login(operator)
    page = client.get(LIST).content.decode()
    assert "operator CI" in page and "viewer laptop" not in page
    assert mine_secret not in page  # never the secret (the list shows its first 15 characters)
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code in {302, 403, 404}
    with pytest.raises(PermissionDenied):
        api_token_revoke(theirs, actor=operator)
    response = client.post(LIST, {"action": "revoke", "_selected_action": [mine.pk]})
    assert response.status_code == 302 and not ApiToken.objects.filter(pk=mine.pk).exists()

    client.force_login(manager)
    page = client.get(LIST).content.decode()
    assert "viewer laptop" in page
    client.post(LIST, {"action": "revoke", "_selected_action": [theirs.pk]})
    assert not ApiToken.objects.exists()


def test_plain_text_drf_tokens_are_converted_and_keep_working(viewer, project):
    old = Token.objects.create(user=viewer)
    migration = import_module("opsportal.migrations.0005_api_tokens_hashed")
    migration.convert_plain_text_tokens(django_apps, None)
    assert not Token.objects.exists()  # no secret left in plain text
    converted = ApiToken.objects.get(user=viewer)
    assert converted.digest == hash_token(old.key) and converted.expiry is None
    assert client_with(old.key).get("/api/v1/projects/").status_code == 200


def test_a_token_is_checked_with_one_query_however_many_tokens_the_user_has(
    operator, project, django_assert_num_queries, time_machine,
):
    """issue 17 load test: knox scanned all the user's other tokens on every request (a second
    query per API call); only the presented token is checked now, and still deleted once expired."""
    from opsportal.api.authentication import TokenOrBearerAuthentication

    time_machine.move_to("2027-03-01 12:00Z", tick=False)
    for n in range(5):
        api_token_create(user=operator, name=f"other {n}", expires_in=timedelta(hours=1))
    _, secret = api_token_create(user=operator, name="CI", expires_in=timedelta(days=1))
    _, short = api_token_create(user=operator, name="short", expires_in=timedelta(hours=1))
    time_machine.move_to("2027-03-01 14:00Z", tick=False)  # the other tokens and `short` expired
    auth = TokenOrBearerAuthentication()
    with django_assert_num_queries(1):
        user, token = auth.authenticate_credentials(secret.encode())
    assert (user, token.name) == (operator, "CI")
    assert client_with(short).get("/api/v1/projects/").status_code == 401
    assert not ApiToken.objects.filter(name="short").exists()  # deleted when presented expired
    assert ApiToken.objects.filter(name__startswith="other").count() == 5  # refused when presented

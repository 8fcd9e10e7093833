"""Throttles (user, failed tokens, alert integration) and the login lockout (django-axes)."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from incidents.services.alerts import alert_integration_create
from tests.factories import UserFactory
from tests.incidents.alertmanager_payloads import alert, payload

WEBHOOK = "/api/v1/alerts/alertmanager/"


def rates(**overrides):
    base = dict.fromkeys(("anon", "user", "alerts", "token_failures"), "100000/min")
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**base, **overrides}}
    return override_settings(REST_FRAMEWORK=rest_framework)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # throttle history lives in the cache
    yield
    cache.clear()


def assert_throttled(response):
    assert response.status_code == 429, (response.status_code, response.content[:200])
    assert 0 < int(response["Retry-After"]) <= 3600


def test_a_user_past_the_rate_gets_429_with_retry_after(api_as, viewer, operator, project):
    with rates(user="3/min"):
        client = api_as(viewer)
        assert [client.get("/api/v1/services/").status_code for _ in range(3)] == [200, 200, 200]
        assert_throttled(client.get("/api/v1/services/"))
        assert api_as(operator).get("/api/v1/services/").status_code == 200  # per user


def test_failed_tokens_lock_out_the_client_even_with_a_good_token_afterwards(api_as, api_client, viewer, project):
    with rates(token_failures="5/min"):
        api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        assert [api_client.get("/api/v1/services/").status_code for _ in range(5)] == [401] * 5
        assert_throttled(api_client.get("/api/v1/services/"))
        good = api_as(viewer)
        assert_throttled(good.get("/api/v1/services/"))  # same address: the guessing client is stopped
        assert good.get("/api/v1/services/", REMOTE_ADDR="192.0.2.7").status_code == 200  # another client is not


def test_the_webhook_is_throttled_per_alert_integration(api_client, project):
    _, first = alert_integration_create(project=project, name="first")
    _, second = alert_integration_create(project=project, name="second")
    body = payload([alert()])
    with rates(alerts="2/min", user="1/min"):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {first}")
        assert [api_client.post(WEBHOOK, body, format="json").status_code < 300 for _ in range(2)] == [True, True]
        assert_throttled(api_client.post(WEBHOOK, body, format="json"))
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {second}")
        assert api_client.post(WEBHOOK, body, format="json").status_code < 300


def test_wrong_integration_tokens_are_throttled_too(api_client, project):
    with rates(token_failures="3/min"):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer guessed")
        codes = [api_client.post(WEBHOOK, payload([alert()]), format="json").status_code for _ in range(3)]
        assert codes == [401] * 3
        assert_throttled(api_client.post(WEBHOOK, payload([alert()]), format="json"))


def login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_repeated_bad_logins_lock_the_account_until_a_superuser_unlocks_it(client, db):
    UserFactory(username="oncall", is_staff=True, password="right-horse-battery")
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    codes = [login(client, "oncall", "wrong").status_code for _ in range(limit)]
    assert codes == [200] * (limit - 1) + [429]  # the form again with an error, then locked
    locked = login(client, "oncall", "right-horse-battery")
    assert locked.status_code == 429  # locked: even the right password is refused
    attempt = AccessAttempt.objects.get(username="oncall")
    assert attempt.failures_since_start >= limit

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and b"oncall" in listing.content
    unlock = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert unlock.status_code == 302 and not AccessAttempt.objects.exists()
    client.logout()
    assert login(client, "oncall", "right-horse-battery").status_code == 302  # logged in

"""Authentication and each role's rights on the core endpoints."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from opsportal.models import Project


def test_anonymous_gets_401_with_challenge(api_client, project):
    response = api_client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert "Token" in response["WWW-Authenticate"]


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_token_and_bearer_keywords(viewer, project, keyword):
    token = Token.objects.create(user=viewer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token.key}")
    response = client.get("/api/v1/projects/")
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["results"]] == ["shop"]


def test_wrong_token_is_401(api_client, project):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert api_client.get("/api/v1/projects/").status_code == 401


def test_session_auth_for_the_browser(client, viewer, project):
    client.force_login(viewer)
    assert client.get("/api/v1/projects/").status_code == 200


def test_create_api_token_command_prints_a_working_token(operator, capsys):
    call_command("create_api_token", "operator")
    key = capsys.readouterr().out.strip()
    assert Token.objects.get(user=operator).key == key
    call_command("create_api_token", "operator")
    assert capsys.readouterr().out.strip() == key  # same token on a second call
    call_command("create_api_token", "operator", "--rotate")
    assert capsys.readouterr().out.strip() != key


NEW_PROJECT = {"slug": "billing", "name": "Billing", "team": "Payments SRE", "time_zone": "Europe/Paris"}


@pytest.mark.parametrize(
    "role, create, update, delete",
    # Project settings are configuration: its Managers change them; no role anywhere: 403 for everything.
    [("viewer", 403, 403, 403), ("nobody", 403, 403, 403), ("operator", 201, 403, 403), ("manager", 201, 200, 204)],
)
def test_role_rights_on_projects(request, api_as, project, role, create, update, delete):
    client = api_as(request.getfixturevalue(role))
    assert client.post("/api/v1/projects/", NEW_PROJECT, format="json").status_code == create
    assert client.patch("/api/v1/projects/shop/", {"team": "Core SRE"}, format="json").status_code == update
    assert client.delete("/api/v1/projects/shop/").status_code == delete
    assert Project.objects.filter(slug="shop").exists() == (delete != 204)


def test_nobody_cannot_even_read(api_as, nobody, project):
    assert api_as(nobody).get("/api/v1/projects/").status_code == 403


@pytest.mark.parametrize("role, expected", [("viewer", 403), ("operator", 201), ("manager", 201)])
def test_manual_evidence_rights(request, api_as, project, role, expected):
    client = api_as(request.getfixturevalue(role))
    response = client.post("/api/v1/evidence/", {"project": "shop", "summary": "DR drill passed"}, format="json")
    assert response.status_code == expected


def test_evidence_cannot_be_changed_or_deleted_through_the_api(api_as, manager, project):
    client = api_as(manager)
    record = client.post("/api/v1/evidence/", {"project": "shop", "summary": "s"}, format="json").json()
    assert client.patch(f"/api/v1/evidence/{record['id']}/", {"summary": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/evidence/{record['id']}/").status_code == 405


def test_seed_demo_logins_work(db):
    call_command("seed_demo")
    client = APIClient()
    assert client.login(username="manager", password="opsportal-demo")
    assert client.get("/api/v1/projects/shop/").status_code == 200


def test_plain_login_page_for_non_staff_readers(client, db):
    from tests.factories import UserFactory

    UserFactory(username="reader", is_staff=False)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post("/accounts/login/", {"username": "reader", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert response["Location"] == "/kb/"

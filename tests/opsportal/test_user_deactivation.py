"""Users are deactivated, never deleted: records keep their author; login and tokens stop."""

from django.http import HttpRequest

from opsportal.models import EvidenceRecord
from opsportal.services import log_evidence
from opsportal.services.api_tokens import api_token_create
from tests.factories import UserFactory


def test_users_are_deactivated_instead_of_deleted(client, manager, operator, project):
    record = log_evidence(project=project, kind="manual", summary="DR drill", actor=operator)
    _, secret = api_token_create(user=operator, name="CI")
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    for who in (manager, superuser):  # not even a superuser is offered a delete
        client.force_login(who)
        assert client.get(f"/admin/auth/user/{operator.pk}/delete/").status_code == 403
        assert "delete_selected" not in client.get("/admin/auth/user/").content.decode()
    # (user administration is a superuser's job: the role groups have no auth.user permissions)
    response = client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [operator.pk]})
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.is_active is False
    assert EvidenceRecord.objects.get(pk=record.pk).created_by == operator  # authorship kept
    assert client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401
    client.logout()
    assert not client.login(request=HttpRequest(), username="operator", password="pw-for-tests")


def test_nobody_deactivates_themselves(client, db):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    response = client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [superuser.pk]},
                           follow=True)
    assert "You cannot deactivate yourself." in response.content.decode()
    superuser.refresh_from_db()
    assert superuser.is_active is True
